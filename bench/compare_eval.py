"""Paired comparison of two `kb eval --json --per-question` runs on the same questions.

    python bench/compare_eval.py A.json B.json [--boot 10000]

For recall@1/5/10 and MRR@10 over answerable questions: both values, the difference B - A, a
95% paired bootstrap interval of the difference, and how many questions each run wins.
"""

from __future__ import annotations

import argparse
import json

import numpy as np


def per_question(path: str) -> dict[str, int | None]:
    rows = json.load(open(path, encoding="utf-8"))["per_question"]
    return {r["id"]: r["gold_rank"] for r in rows if r["answerable"]}


def metrics(ranks: list[int | None]) -> dict[str, np.ndarray]:
    r = np.array([x if x is not None else 10**6 for x in ranks])
    return {"recall@1": (r <= 1) * 1.0, "recall@5": (r <= 5) * 1.0,
            "recall@10": (r <= 10) * 1.0, "mrr@10": np.where(r <= 10, 1.0 / r, 0.0)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--boot", type=int, default=10000)
    args = ap.parse_args()
    a, b = per_question(args.a), per_question(args.b)
    ids = sorted(set(a) & set(b))
    ma, mb = metrics([a[i] for i in ids]), metrics([b[i] for i in ids])
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(ids), size=(args.boot, len(ids)))
    out = {"questions": len(ids)}
    for name in ma:
        d = mb[name] - ma[name]
        boots = d[idx].mean(axis=1)
        out[name] = {"a": round(float(ma[name].mean()), 4), "b": round(float(mb[name].mean()), 4),
                     "diff": round(float(d.mean()), 4),
                     "ci95": [round(float(np.percentile(boots, 2.5)), 4),
                              round(float(np.percentile(boots, 97.5)), 4)],
                     "b_better": int((d > 0).sum()), "a_better": int((d < 0).sum())}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
