"""Compare fusion rules on an ingested eval corpus, from one retrieval pass per question.

    KB_HOME=/tmp/kb-eval-zh python bench/fusion_sweep.py /work/shared/eval/zh/questions.jsonl

Fetches the dense and keyword candidate lists (depth --depth) of every answerable question
once, then replays fusion rules on them offline: RRF for several k and weights, convex
combinations of min-max scores for several weights, each with 1 or 2 hits per document.
Prints doc-level recall@1/5/10 and MRR@10 per rule as JSON lines (best MRR last).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kb.core.config import Settings  # noqa: E402
from kb.app.evaluate import load_questions, recall_at, reciprocal_rank  # noqa: E402
from kb.core.types import Principal  # noqa: E402
from kb.app.wiring import build  # noqa: E402
from retriever.fusion import fuse  # noqa: E402


def candidates(kb, questions, depth: int):
    tokens = Principal("sweep").acl_tokens()
    out = []
    for q in questions:
        dense = kb.vector_index.query(kb.embedder.embed_query(q.question), depth, tokens)
        keyword = kb.keyword_index.search(q.question, depth, tokens)
        out.append(([(c.chunk_id, c.path, s) for c, s in dense],
                    [(c.chunk_id, c.path, s) for c, s in keyword]))
    return out


def best_per_doc(lst):
    """Only the first (best) chunk of each document: ranks become document ranks."""
    seen, out = set(), []
    for cid, p, s in lst:
        if p not in seen:
            seen.add(p)
            out.append((cid, p, s))
    return out


def ranking(dense, keyword, method: str, weights, rrf_k: float, per_doc: int, n: int,
            doc_level: bool = False):
    path = {cid: p for cid, p, _ in [*dense, *keyword]}
    if doc_level:
        dense, keyword = best_per_doc(dense[:n]), best_per_doc(keyword[:n])
    lists = [[(cid, s) for cid, _, s in lst[:n]] for lst in (dense, keyword)]
    if method == "dense":
        fused = dict(lists[0])
    elif method == "keyword":
        fused = dict(lists[1])
    else:
        fused = fuse(lists, weights, method, rrf_k)
    docs, seen = [], {}
    for cid in sorted(fused, key=lambda c: (-fused[c], c)):
        p = path[cid]
        seen[p] = seen.get(p, 0) + 1
        if seen[p] <= per_doc:
            docs.append(p)
        if len(docs) >= 10:
            break
    return list(dict.fromkeys(docs))


def score(rows, questions):
    n = len(rows)
    return {
        "r@1": round(sum(recall_at(r, q.gold_docs, 1) for r, q in zip(rows, questions)) / n, 4),
        "r@5": round(sum(recall_at(r, q.gold_docs, 5) for r, q in zip(rows, questions)) / n, 4),
        "r@10": round(sum(recall_at(r, q.gold_docs, 10) for r, q in zip(rows, questions)) / n, 4),
        "mrr": round(sum(reciprocal_rank(r, q.gold_docs, 10) for r, q in zip(rows, questions)) / n, 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("questions")
    ap.add_argument("--depth", type=int, default=100)
    ap.add_argument("--cache", help="JSON file to keep the candidate lists in")
    args = ap.parse_args()
    questions = [q for q in load_questions(args.questions) if q.answerable and q.gold_docs]
    if args.cache and Path(args.cache).exists():
        cands = json.loads(Path(args.cache).read_text())
    else:
        kb = build(Settings())
        cands = candidates(kb, questions, args.depth)
        if args.cache:
            Path(args.cache).write_text(json.dumps(cands, ensure_ascii=False))
    rules = [("dense", (1, 1), 60, 1, 50, False), ("keyword", (1, 1), 60, 1, 50, False)]
    for n in (20, 50, 100):
        for per_doc in (1, 2):
            for doc_level in (False, True):
                for rrf_k in (5, 10, 20, 30, 60):
                    for w in ((1, 1), (1, 0.7), (0.7, 1), (1, 0.5), (0.5, 1)):
                        rules.append(("rrf", w, rrf_k, per_doc, n, doc_level))
                for a in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
                    rules.append(("convex", (a, 1 - a), 0, per_doc, n, doc_level))
    results = []
    for method, w, rrf_k, per_doc, n, doc_level in rules:
        rows = [ranking(d, k, method, w, rrf_k, per_doc, n, doc_level) for d, k in cands]
        results.append({"method": method, "weights": w, "rrf_k": rrf_k, "per_doc": per_doc,
                        "depth": n, "doc_level": doc_level, **score(rows, questions)})
    for r in sorted(results, key=lambda r: (r["mrr"], r["r@5"])):
        print(json.dumps(r))


if __name__ == "__main__":
    main()
