"""Fusion of ranked candidate lists into one score per id.

Two rules, picked by the `fusion` setting:

* `rrf`: reciprocal rank fusion, sum of weight / (k + rank). Uses ranks only.
* `convex`: a weighted sum of scores scaled to [0, 1] per list (min-max over the list), so a
  strong lead in one list counts for more than a rank. Bruch et al., "An Analysis of Fusion
  Functions for Hybrid Retrieval" (2023) found such a convex combination at least as good as RRF.

An id absent from a list gets nothing from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def rrf(lists: Sequence[Sequence[str]], weights: Sequence[float], k: float = 60.0) -> dict[str, float]:
    """Score of each id: sum over lists of weight / (k + rank), ranks starting at 1."""
    scores: dict[str, float] = {}
    for ids, w in zip(lists, weights):
        for rank, cid in enumerate(ids, start=1):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank)
    return scores


def minmax(scores: Mapping[str, float]) -> dict[str, float]:
    """Scores scaled so the list's best is 1 and its worst 0 (all 1 when they are equal)."""
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo <= 1e-12:
        return {cid: 1.0 for cid in scores}
    return {cid: (s - lo) / (hi - lo) for cid, s in scores.items()}


SCALINGS = ("minmax", "none")


def convex(lists: Sequence[Mapping[str, float]], weights: Sequence[float],
           scalings: Sequence[str] | None = None) -> dict[str, float]:
    """Score of each id: sum over lists of weight * scaled score. Each list is min-max scaled,
    unless its scaling is 'none' (for scores that already mean the same in every query, such as
    the keyword index's share of the query's best possible BM25)."""
    scalings = scalings or ["minmax"] * len(lists)
    out: dict[str, float] = {}
    for scores, w, how in zip(lists, weights, scalings):
        if how not in SCALINGS:
            raise ValueError(f"unknown scaling {how!r}: expected one of {', '.join(SCALINGS)}")
        scaled = minmax(scores) if how == "minmax" else scores
        for cid, s in scaled.items():
            out[cid] = out.get(cid, 0.0) + w * s
    return out


def fuse(
    lists: Sequence[Sequence[tuple[str, float]]],
    weights: Sequence[float],
    method: str = "rrf",
    rrf_k: float = 60.0,
    scalings: Sequence[str] | None = None,
) -> dict[str, float]:
    """Fuse lists of (id, score), each best first, with `method` ('rrf' or 'convex')."""
    if method == "rrf":
        return rrf([[cid for cid, _ in lst] for lst in lists], weights, rrf_k)
    if method == "convex":
        return convex([dict(lst) for lst in lists], weights, scalings)
    raise ValueError(f"unknown fusion method {method!r}: expected 'rrf' or 'convex'")
