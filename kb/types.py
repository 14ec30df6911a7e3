"""Records shared by every role package: frozen, with deterministic ids."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

PUBLIC = "public"


def group_token(group: str) -> str:
    """The one formatter of access tokens, used when writing chunks and when querying."""
    group = group.strip()
    if group == PUBLIC:
        return PUBLIC
    return f"group:{group}"


def user_token(user: str) -> str:
    return f"user:{user.strip()}"


def sha1_hex(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
class SourceDoc:
    doc_id: str
    path: str  # relative to root, posix separators, for people
    root: str  # absolute ingest root
    content_hash: str  # sha256 of the bytes
    mime: str
    title: str
    acl: frozenset[str]


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


@dataclass(frozen=True)
class Answer:
    text: str
    citations: tuple[Citation, ...]
    refused: bool
    reason: str
    hits: tuple[Hit, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    standalone_question: str = ""  # the question as searched (a follow-up rewritten)


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
