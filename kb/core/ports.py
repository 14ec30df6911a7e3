"""Small protocols between the floors. Real and fake implementations both satisfy them; every
method here is one a caller calls (no duck typing across roles)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from kb.core.types import Chunk, DocRecord, Neighbours

class Database(Protocol):
    """The product database: kb.core.sqlite.Database or kb.core.postgres.PostgresDatabase. SQL
    written against it uses `?` parameters and what both dialects accept (ON CONFLICT upserts)."""

    dialect: str  # "sqlite" | "postgresql"

    def tx(self) -> AbstractContextManager[Any]:
        """One write transaction; yields a connection with execute()/executemany()."""

    def query(self, sql: str, params: tuple | list = ()) -> list[Any]:
        """Rows readable by column name and by position."""

    def script(self, sql: str) -> None: ...

    def lock_schema(self, conn: Any) -> None: ...

    def migrate(self, component: str, steps: Sequence[str | dict[str, str]]) -> int: ...

    def checkpoint(self) -> dict[str, int]:
        """Make deleted rows unreadable in the files (SQLite: WAL checkpoint; PostgreSQL: VACUUM
        and WAL rotation as its `purge` allows). Returns counts of what was done, by name."""

    def close(self) -> None: ...

class ChunkIndex(Protocol):
    """What ingestion needs from every index it keeps in sync (vector and keyword)."""

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None: ...

    def delete_doc(self, doc_id: str, keep_version: str | None = None) -> None:
        """Remove the document's chunks, except those of `keep_version` when given."""

    def relabel(self, doc_id: str, acl: frozenset[str]) -> None:
        """Replace the access tokens on every chunk of the document."""

    def ids(self) -> set[str]: ...

class VectorIndex(ChunkIndex, Protocol):
    def query(self, vector: Sequence[float], k: int, tokens: Iterable[str]) -> Neighbours:
        """Nearest chunks readable with any of `tokens`, and the path the index took."""

class KeywordIndex(ChunkIndex, Protocol):
    def search(self, query: str, k: int, tokens: Iterable[str], views: Sequence = (),
               view_weight: float = 0.5) -> list[tuple[Chunk, float]]:
        """BM25-ranked current chunks readable with any of `tokens` (higher is better).
        `views` (objects with `groups`: tuples of frozensets of index tokens) are the query
        translated; a chunk's score from them counts `view_weight` of the query's own."""

    def visible_stats(self, terms: Sequence[str],
                      tokens: Iterable[str]) -> tuple[int, float, dict[str, int]]:
        """(chunks, average length, {term: document frequency}) over the chunks readable with
        `tokens` only."""

    def term_weights(self, terms: Sequence[str], tokens: Iterable[str]) -> dict[str, float]:
        """{term: idf among the chunks readable with `tokens`}, every term included (one no
        readable chunk contains weighs as the rarest possible); {} when nothing is readable."""

    def read_chunks(self, doc_id: str, version: str, tokens: Iterable[str]) -> list[Chunk]:
        """The chunks of one version of a document, in order, only where readable with
        `tokens` (the access filter is inside the read)."""

    def rebuild(self) -> int:
        """Re-tokenize every stored chunk; returns the chunk count."""

class Manifest(Protocol):
    def get(self, doc_id: str) -> DocRecord | None: ...

    def docs(self, root: str | None = None) -> list[DocRecord]: ...

    def put(self, record: DocRecord) -> None: ...

    def remove(self, doc_id: str) -> None: ...

    def roots(self) -> list[str]: ...

    def fingerprints(self) -> set[str]: ...

    # stat-first re-ingest: a file whose size and mtime are unchanged is not read again
    def file_stats(self, root: str) -> dict[str, tuple[int, int]]: ...

    def put_stats(self, stats: Iterable[tuple[str, int, int]]) -> None: ...

    def current_versions(self, doc_ids: Iterable[str]) -> Mapping[str, str]:
        """doc_id -> version that readers may see (only status 'ok' rows)."""

    def current_acl(self, doc_ids: Iterable[str]) -> Mapping[str, frozenset[str]]:
        """doc_id -> access tokens of the searchable document."""

    # crash recovery journal: a document whose indexes may hold chunks of other versions
    def begin(self, doc_id: str) -> None: ...

    def done(self, doc_id: str) -> None: ...

    def pending(self) -> list[str]: ...

    # the history of ingest runs (kb status, the Insights page)
    def record_run(self, root: str, report: dict) -> None: ...

    def last_runs(self, limit: int = 20) -> list[dict]: ...

class Lock(Protocol):
    """The writers' lock (filelock.FileLock's shape): acquire raises filelock.Timeout."""

    lock_file: str

    def acquire(self, timeout: float = ...) -> Any: ...

    def release(self) -> None: ...
