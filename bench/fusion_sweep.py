"""Choose fusion across every kind of corpus, from one retrieval pass per question and part.

    nice -n 5 python bench/fusion_sweep.py \
        zh=../shared/eval/zh/questions.jsonl@/tmp/home-zh \
        en=../shared/eval/en/questions.jsonl@/tmp/home-en \
        news-zh=../shared/eval/news/zh/questions.jsonl@/tmp/home-news-zh \
        news-en=../shared/eval/news/en/questions.jsonl@/tmp/home-news-en \
        en-to-zh=tests/data/crosslang_dev/en_to_zh.jsonl@/tmp/home-mixed \
        zh-to-en=tests/data/crosslang_dev/zh_to_en.jsonl@/tmp/home-mixed \
        --cache-dir /tmp/fusion-cache

Each part is NAME=QUESTIONS@HOME (an ingested home; the query embedding goes through the home's
settings, centring included). The dense and keyword candidate lists (depth --depth) of every
answerable question are fetched once (and kept in --cache-dir), then fusion rules are replayed on
them offline: RRF for several k and weights, convex combinations (keyword scores min-max scaled or
kept as the index's share of the best possible BM25), candidate depths, 1 or 2 hits per document.

Printed as JSON lines: per part, the product's default rule and equal-weight RRF (k=60); then
leave-one-part-out: for each part, the rule with the best mean MRR@10 over the OTHER parts and
what it scores on the held-out part; then the rule best on the mean of all parts. Weights fitted
to one kind of corpus (Wikipedia) are what this guards against.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/ingest.py would shadow the ingest package: the repository root comes first
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from kb.app.evaluate import load_questions, recall_at, reciprocal_rank  # noqa: E402
from kb.app.wiring import build  # noqa: E402
from kb.core.config import Settings  # noqa: E402
from kb.core.types import Principal  # noqa: E402
from retriever.fusion import fuse  # noqa: E402


def candidates(kb, questions, depth: int):
    """Per question: (dense, keyword) lists of (chunk_id, path, score), best first, as the
    product's searcher produces them (centred query vector, translated keyword views)."""
    tokens = Principal("sweep").acl_tokens()
    searcher = kb.searcher()
    s = kb.settings
    out = []
    for q in questions:
        dense = kb.vector_index.query(searcher.query_vector(q.question), depth, tokens)
        views = []
        if searcher.lexicon is not None:
            from retriever.translation import query_views

            views = query_views(q.question, searcher.lexicon)
        keyword = kb.keyword_index.search(q.question, depth, tokens, views,
                                          s.keyword_translation_weight)
        out.append(([(c.chunk_id, c.path, s_) for c, s_ in dense],
                    [(c.chunk_id, c.path, s_) for c, s_ in keyword]))
    return out


def ranking(dense, keyword, rule) -> list[str]:
    """The first 10 documents under `rule` (method, weights, rrf_k, per_doc, depth, scaling)."""
    method, weights, rrf_k, per_doc, n, scaling = rule
    path = {cid: p for cid, p, _ in [*dense, *keyword]}
    lists = [[(cid, s) for cid, _, s in lst[:n]] for lst in (dense, keyword)]
    if method == "dense":
        fused = dict(lists[0])
    elif method == "keyword":
        fused = dict(lists[1])
    else:
        fused = fuse(lists, weights, method, rrf_k, ["minmax", scaling])
    docs, seen = [], {}
    for cid in sorted(fused, key=lambda c: (-fused[c], c)):
        p = path[cid]
        seen[p] = seen.get(p, 0) + 1
        if seen[p] <= per_doc:
            docs.append(p)
        if len(docs) >= 10:
            break
    return list(dict.fromkeys(docs))


def score(rows, questions) -> dict[str, float]:
    n = max(len(rows), 1)
    return {
        "hit@1": round(sum(recall_at(r, q.gold_docs, 1) for r, q in zip(rows, questions)) / n, 4),
        "r@5": round(sum(recall_at(r, q.gold_docs, 5) for r, q in zip(rows, questions)) / n, 4),
        "mrr": round(sum(reciprocal_rank(r, q.gold_docs, 10) for r, q in zip(rows, questions)) / n, 4),
    }


def rules(default: tuple) -> list[tuple]:
    out = [default, ("rrf", (1, 1), 60, 2, 50, "minmax"),
           ("dense", (1, 1), 60, 2, 50, "minmax"), ("keyword", (1, 1), 60, 2, 50, "minmax")]
    for n in (20, 50, 100):
        for per_doc in (1, 2, 3):
            for rrf_k in (10, 30, 60):
                for w in ((1, 1), (1, 0.5), (0.5, 1)):
                    out.append(("rrf", w, rrf_k, per_doc, n, "minmax"))
            for kw in (0.5, 1.0, 2.0, 3.0):
                for scaling in ("minmax", "none"):
                    out.append(("convex", (1.0, kw), 0, per_doc, n, scaling))
    return list(dict.fromkeys(out))


def table(parts: dict[str, tuple[list, list]], grid: list[tuple]) -> dict[tuple, dict]:
    """{rule: {part: metrics}} for every rule of the grid."""
    return {rule: {name: score([ranking(d, k, rule) for d, k in cands], qs)
                   for name, (qs, cands) in parts.items()} for rule in grid}


def leave_one_part_out(results: dict[tuple, dict], names: list[str]) -> dict[str, dict]:
    """For each part: the rule with the best mean MRR over the other parts (ties: the earlier
    rule of the grid) and its metrics on the held-out part."""
    out = {}
    for held in names:
        rest = [n for n in names if n != held] or [held]
        best = max(results, key=lambda r: sum(results[r][n]["mrr"] for n in rest) / len(rest))
        out[held] = {"rule": best, **results[best][held]}
    return out


def default_rule(s: Settings) -> tuple:
    depth = max(s.search_candidates, s.search_k * s.max_per_doc)
    w = (s.dense_weight, s.keyword_weight)
    return (s.fusion, w, s.rrf_k, s.max_per_doc, depth, s.keyword_scaling)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("parts", nargs="+", help="NAME=QUESTIONS.jsonl@HOME")
    ap.add_argument("--depth", type=int, default=100)
    ap.add_argument("--cache-dir", help="Folder to keep the candidate lists in")
    args = ap.parse_args()
    parts = {}
    for spec in args.parts:
        name, _, rest = spec.partition("=")
        qpath, _, home = rest.partition("@")
        questions = [q for q in load_questions(qpath) if q.answerable and q.gold_docs]
        cache = Path(args.cache_dir, f"{name}.json") if args.cache_dir else None
        if cache and cache.exists():
            cands = json.loads(cache.read_text())
        else:
            kb = build(Settings(home=Path(home)))
            cands = candidates(kb, questions, args.depth)
            kb.close()
            if cache:
                cache.parent.mkdir(parents=True, exist_ok=True)
                cache.write_text(json.dumps(cands, ensure_ascii=False))
        parts[name] = (questions, cands)
    default = default_rule(Settings())
    grid = rules(default)
    results = table(parts, grid)
    names = list(parts)
    equal = ("rrf", (1, 1), 60, 2, 50, "minmax")
    for name in names:
        print(json.dumps({"part": name, "questions": len(parts[name][0]),
                          "default": results[default][name], "rrf_equal": results[equal][name]}))
    for name, row in leave_one_part_out(results, names).items():
        print(json.dumps({"held_out": name, **row}))
    best = max(results, key=lambda r: sum(results[r][n]["mrr"] for n in names))
    print(json.dumps({"best_on_all_parts": best, **results[best]}))


if __name__ == "__main__":
    main()
