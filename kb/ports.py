"""Small protocols between the role packages. Real and fake implementations both satisfy them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from kb.types import Chunk


@runtime_checkable
class Embedder(Protocol):
    """The LangChain `Embeddings` signatures; any LangChain embeddings object fits."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class ChunkIndex(Protocol):
    """What ingestion needs from every index it keeps in sync (vector and keyword)."""

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None: ...

    def delete_doc(self, doc_id: str, keep_version: str | None = None) -> None:
        """Remove the document's chunks, except those of `keep_version` when given."""

    def relabel(self, doc_id: str, acl: frozenset[str]) -> None:
        """Replace the access tokens on every chunk of the document."""

    def ids(self) -> set[str]: ...


class VectorIndex(ChunkIndex, Protocol):
    def query(
        self, vector: Sequence[float], k: int, tokens: Iterable[str]
    ) -> list[tuple[Chunk, float]]:
        """Nearest chunks readable with any of `tokens` (filter inside the index)."""


class KeywordIndex(ChunkIndex, Protocol):
    def search(self, query: str, k: int, tokens: Iterable[str]) -> list[tuple[Chunk, float]]:
        """BM25-ranked current chunks readable with any of `tokens` (higher is better)."""


@dataclass(frozen=True)
class DocRecord:
    """One manifest row: what the indexes hold for a file, or why they hold nothing."""

    doc_id: str
    root: str
    path: str
    content_hash: str
    fingerprint: str
    version: str
    acl: frozenset[str]
    mime: str
    title: str
    size: int
    chunks: int
    status: str  # "ok" | "failed"
    error_code: str = ""
    error: str = ""
    ingested_at: float = 0.0


class Manifest(Protocol):
    def get(self, doc_id: str) -> DocRecord | None: ...

    def docs(self, root: str | None = None) -> list[DocRecord]: ...

    def put(self, record: DocRecord) -> None: ...

    def remove(self, doc_id: str) -> None: ...

    def current_versions(self, doc_ids: Iterable[str]) -> Mapping[str, str]:
        """doc_id -> version that readers may see (only status 'ok' rows)."""

    def current_acl(self, doc_ids: Iterable[str]) -> Mapping[str, frozenset[str]]:
        """doc_id -> access tokens of the searchable document."""

    # crash recovery journal: a document whose indexes may hold chunks of other versions
    def begin(self, doc_id: str) -> None: ...

    def done(self, doc_id: str) -> None: ...

    def pending(self) -> list[str]: ...
