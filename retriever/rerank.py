"""Optional second-stage reranking behind a small protocol.

No cross-encoder weights can be installed offline from PyPI today, so the real implementation
loads a sentence-transformers `CrossEncoder` from a local folder the user points the `reranker`
setting at (for example a copy of BAAI/bge-reranker-v2-m3 for zh + en). Nothing is downloaded.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol, runtime_checkable

from kb.core.types import Hit


@runtime_checkable
class Reranker(Protocol):
    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        """Relevance of each passage to the query; higher is better."""


class CrossEncoderReranker:
    """A sentence-transformers cross-encoder from a local folder, loaded on first use."""

    def __init__(self, folder: Path | str, batch_size: int = 16, max_length: int = 512) -> None:
        self.folder = Path(folder).expanduser()
        if not (self.folder / "config.json").exists():
            raise ValueError(
                f"KB_RERANKER={str(folder)!r} is not a local model folder (no config.json); "
                "point it at a downloaded cross-encoder such as bge-reranker-v2-m3"
            )
        self.batch_size = batch_size
        self.max_length = max_length
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                from kb.core.embeddings import offline_sentence_transformers

                self._model = offline_sentence_transformers("CrossEncoder")(
                    str(self.folder), device="cpu", max_length=self.max_length,
                    local_files_only=True,
                )
        return self._model

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        pairs = [(query, p) for p in passages]
        scores = self._load().predict(pairs, batch_size=self.batch_size, show_progress_bar=False)
        return [float(s) for s in scores]


def rerank(query: str, hits: Sequence[Hit], reranker: Reranker, depth: int) -> list[Hit]:
    """The first `depth` hits reordered by the reranker's score (kept as signal 'rerank' and as
    the hit's score); the rest follow unchanged."""
    head, tail = list(hits[:depth]), list(hits[depth:])
    if not head:
        return list(tail)
    scores = reranker.score(query, [h.chunk.text for h in head])
    if len(scores) != len(head):
        raise ValueError(f"the reranker returned {len(scores)} scores for {len(head)} passages")
    order = sorted(range(len(head)), key=lambda i: (-scores[i], i))
    reranked = [
        replace(head[i], score=float(scores[i]), signals={**head[i].signals, "rerank": float(scores[i])})
        for i in order
    ]
    return reranked + tail
