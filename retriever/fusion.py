"""Reciprocal rank fusion of ranked lists."""

from __future__ import annotations

from collections.abc import Sequence


def rrf(lists: Sequence[Sequence[str]], weights: Sequence[float], k: float = 60.0) -> dict[str, float]:
    """Score of each id: sum over lists of weight / (k + rank), ranks starting at 1."""
    scores: dict[str, float] = {}
    for ids, w in zip(lists, weights):
        for rank, cid in enumerate(ids, start=1):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank)
    return scores
