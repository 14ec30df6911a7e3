"""Records shared by every role package: frozen, with deterministic ids. Each record that leaves
the product as JSON (CLI `--json`, the HTTP API, stored conversations) has one `to_json`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

PUBLIC = "public"


def group_token(group: str) -> str:
    """The one formatter of access tokens, used when writing chunks and when querying."""
    group = group.strip()
    if group == PUBLIC:
        return PUBLIC
    return f"group:{group}"


def user_token(user: str) -> str:
    return f"user:{user.strip()}"


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user and the groups a login or proxy vouches for."""

    user: str
    groups: frozenset[str] = frozenset()

    def acl_tokens(self) -> frozenset[str]:
        tokens = {PUBLIC, user_token(self.user)}
        tokens.update(group_token(g) for g in self.groups)
        return frozenset(tokens)


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

    def readable_by(self, principal: "Principal") -> bool:
        """Searchable, and labelled with one of the principal's access tokens."""
        return self.status == "ok" and bool(self.acl & principal.acl_tokens())


@dataclass(frozen=True)
class Chunk:
    """A passage with exact provenance: page_text[char_start:char_end] == text."""

    chunk_id: str
    doc_id: str
    version: str  # content hash + pipeline fingerprint; readers keep only the manifest's
    ordinal: int
    text: str
    page: int | None
    char_start: int
    char_end: int
    section: str
    lang: str
    acl: frozenset[str]
    path: str = ""
    title: str = ""

    @staticmethod
    def make_id(doc_id: str, version: str, ordinal: int) -> str:
        return f"{doc_id}:{version[:12]}:{ordinal}"


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    signals: dict[str, float] = field(default_factory=dict)

    def to_json(self, rank: int) -> dict[str, Any]:
        c = self.chunk
        return {"rank": rank, "score": round(self.score, 6), "doc_id": c.doc_id, "path": c.path,
                "page": c.page, "section": c.section, "chunk_id": c.chunk_id,
                "char_start": c.char_start, "char_end": c.char_end, "text": c.text}


def hits_json(hits: Sequence[Hit]) -> list[dict[str, Any]]:
    return [h.to_json(i) for i, h in enumerate(hits, start=1)]


def timings_json(timings: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in timings.items()}


@dataclass(frozen=True)
class SearchResult(Sequence[Hit]):
    """What a search returns: the hits, best first, with the diagnostics of this one call (stage
    timings in ms, the dense path taken). A sequence of its hits, so it reads like a list."""

    hits: tuple[Hit, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    dense_path: str = ""  # "overfetch" | "where" | "" (no dense search)

    @overload
    def __getitem__(self, i: int) -> Hit: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[Hit, ...]: ...

    def __getitem__(self, i):
        return self.hits[i]

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def to_json(self) -> dict[str, Any]:
        return {"hits": hits_json(self.hits), "timings_ms": timings_json(self.timings)}


@dataclass(frozen=True)
class Neighbours(Sequence[tuple[Chunk, float]]):
    """Nearest chunks of a vector query, best first, and how the index found them."""

    matches: tuple[tuple[Chunk, float], ...] = ()
    path: str = ""  # "overfetch" (unfiltered, dropped here) | "where" (filter inside the index)

    def __getitem__(self, i):
        return self.matches[i]

    def __len__(self) -> int:
        return len(self.matches)

    def __iter__(self) -> Iterator[tuple[Chunk, float]]:
        return iter(self.matches)


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    path: str
    page: int | None
    char_start: int
    char_end: int
    quote: str
    section: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "doc_id": self.doc_id, "path": self.path, "page": self.page,
                "section": self.section, "char_start": self.char_start,
                "char_end": self.char_end, "quote": self.quote}


@dataclass(frozen=True)
class Answer:
    text: str
    citations: tuple[Citation, ...]
    refused: bool
    reason: str
    hits: tuple[Hit, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    standalone_question: str = ""  # the question as searched (a follow-up rewritten)

    def to_json(self) -> dict[str, Any]:
        return {"answer": self.text, "refused": self.refused, "reason": self.reason,
                "standalone_question": self.standalone_question,
                "citations": [c.to_json() for c in self.citations],
                "hits": hits_json(self.hits), "timings_ms": timings_json(self.timings)}


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation, for rewriting follow-up questions."""

    question: str
    answer: str
    refused: bool = False


@dataclass(frozen=True)
class AnswerEvent:
    """What `Assistant.stream()` yields: one `hits` event, `delta`s, then one final `answer`."""

    kind: Literal["hits", "delta", "answer"]
    text: str = ""
    hits: tuple[Hit, ...] = ()
    answer: Answer | None = None


@dataclass(frozen=True)
class FileError:
    path: str
    code: str  # stable: encrypted, corrupt, unsupported, too_large, timeout, empty, unreadable, ...
    error: str  # a sentence for people

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "code": self.code, "error": self.error}


@dataclass(frozen=True)
class Removal:
    """What `kb delete` removed from every index, and what the purge that followed made
    unreadable in the stores' files (`purged`: counts by store)."""

    documents: int = 0
    chunks: int = 0
    paths: tuple[str, ...] = ()
    purged: tuple[tuple[str, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"deleted": self.documents, "chunks": self.chunks, "paths": list(self.paths),
                "purged": dict(self.purged)}


@dataclass(frozen=True)
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    relabeled: int = 0
    failed: tuple[FileError, ...] = ()
    chunks: int = 0  # chunks written in this run
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def nothing_to_do(self) -> bool:
        return not (self.added or self.updated or self.deleted or self.relabeled or self.failed)

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "relabeled": self.relabeled,
            "failed": [f.to_json() for f in self.failed],
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
            "dry_run": self.dry_run,
        }
