"""Deterministic, readable fakes: shared words mean similar vectors."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence

from langchain_core.embeddings import Embeddings

from kb.core.types import Chunk, Neighbours
from kb.core.text import tokenize


class BagOfWordsEmbeddings(Embeddings):
    """Each keyword token adds 1 to a dimension chosen by sha256 of the token; L2-normalised.
    Texts that share words get a positive cosine; disjoint texts are (almost always) orthogonal."""

    model_id = "fake-bow-256"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.calls = 0
        self.texts_embedded = 0

    def _vec(self, text: str) -> list[float]:
        v = [0.0] * self.dim
        for tok in tokenize(text):
            v[int.from_bytes(hashlib.sha256(tok.encode()).digest()[:4], "big") % self.dim] += 1.0
        norm = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / norm for x in v]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.texts_embedded += len(texts)
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


class InMemoryIndex:
    """A dict-backed VectorIndex + KeywordIndex, for unit tests and the contract suite."""

    def __init__(self) -> None:
        self.chunks: dict[str, Chunk] = {}
        self.vectors: dict[str, list[float]] = {}

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]] = ()) -> None:
        for i, c in enumerate(chunks):
            self.chunks[c.chunk_id] = c
            if len(vectors):  # a numpy array has no truth value
                self.vectors[c.chunk_id] = list(vectors[i])

    def delete_doc(self, doc_id: str, keep_version: str | None = None) -> None:
        for cid, c in list(self.chunks.items()):
            if c.doc_id == doc_id and c.version != keep_version:
                del self.chunks[cid]
                self.vectors.pop(cid, None)

    def relabel(self, doc_id: str, acl: frozenset[str]) -> None:
        from dataclasses import replace

        for cid, c in self.chunks.items():
            if c.doc_id == doc_id:
                self.chunks[cid] = replace(c, acl=acl)

    def ids(self) -> set[str]:
        return set(self.chunks)

    def query(self, vector, k: int, tokens: Iterable[str]):
        allowed = set(tokens)
        scored = [
            (c, sum(a * b for a, b in zip(vector, self.vectors[cid])))
            for cid, c in self.chunks.items() if c.acl & allowed and cid in self.vectors
        ]
        return Neighbours(tuple(sorted(scored, key=lambda cs: (-cs[1], cs[0].chunk_id))[:k]),
                          "where")

    def search(self, query: str, k: int, tokens: Iterable[str], views=(), view_weight=0.5):
        """Shared tokens count; a view's group counts once when any of its tokens is shared."""
        allowed = set(tokens)
        q = set(tokenize(query))
        scored = []
        for c in self.chunks.values():
            words = set(tokenize(c.text))
            overlap = max([float(len(q & words)),
                           *(view_weight * sum(1 for g in v.groups if g & words) for v in views)])
            if overlap and c.acl & allowed:
                scored.append((c, overlap))
        return sorted(scored, key=lambda cs: (-cs[1], cs[0].chunk_id))[:k]
