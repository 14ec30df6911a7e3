"""How close each sentence of a passage is to the question, by the embedding model: what picks
the sentence to quote when the best passage is in the other language (no key term can match)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from kb.core.embeddings import omp_threads


class SentenceSimilarity:
    """`(question, texts) -> cosines`: the question embedded and centred exactly as search embeds
    it (`query_vector`), the texts embedded as passages by `model`. Pass the model itself, not
    the cached one: answering never writes sentence vectors into the embedding cache."""

    def __init__(self, query_vector: Callable[[str], Sequence[float]], model: Embeddings) -> None:
        self.query_vector = query_vector
        self.model = model

    def __call__(self, question: str, texts: list[str]) -> list[float]:
        q = np.asarray(self.query_vector(question), dtype=float)
        with omp_threads(1):  # a few short texts: a second thread only waits (see omp_threads)
            m = np.asarray(self.model.embed_documents(list(texts)), dtype=float)
        norms = np.linalg.norm(m, axis=1) * (np.linalg.norm(q) or 1.0)
        return list((m @ q) / np.where(norms == 0, 1.0, norms))
