"""Opening documents for a person: THE access decision, made once, here, for every front end.

A document may be opened by a principal when its manifest row is searchable and carries one of
the principal's access tokens (`DocRecord.readable_by`); its text is then read through the
keyword index's `read_chunks`, which filters by the same tokens inside its query. A document
the principal may not read, a deleted one and one that never existed all raise the same
`NotFound` with the same message, so no answer tells them apart."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.core.errors import NotFound
from kb.core.ports import KeywordIndex, Manifest
from kb.core.types import Chunk, DocRecord, Principal

NOT_FOUND = "no such document"


def original_file(rec: DocRecord) -> Path | None:
    """The file on disk, if it is still there, inside its ingest root, and reached without any
    symbolic link on the way (its date for the page's filters; its bytes: `read_original`)."""
    path = os.path.join(rec.root, *rec.path.split("/"))
    if os.path.realpath(path) != os.path.normpath(path) or not os.path.isfile(path):
        return None
    if not path.startswith(os.path.realpath(rec.root).rstrip(os.sep) + os.sep):
        return None
    return Path(path)


def read_original(rec: DocRecord) -> bytes | None:
    """The bytes that were ingested, or None: every part of the path is opened without
    following a symbolic link, and what is read must hash to the manifest's `content_hash` (a
    file swapped or edited after the ingest is not served)."""
    parts = [p for p in os.path.join(rec.root, *rec.path.split("/")).split(os.sep) if p]
    if not os.path.isabs(rec.root) or not parts or any(p in (".", "..") for p in parts):
        return None
    nofollow = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fds: list[int] = []
    try:
        fds.append(os.open(os.sep, os.O_RDONLY | os.O_DIRECTORY))
        for part in parts[:-1]:
            fds.append(os.open(part, nofollow | os.O_DIRECTORY, dir_fd=fds[-1]))
        fd = os.open(parts[-1], nofollow, dir_fd=fds[-1])
        fds.append(fd)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read()
    except OSError:  # gone, a symbolic link (ELOOP), not a folder, unreadable
        return None
    finally:
        for fd in fds:
            os.close(fd)
    return data if hashlib.sha256(data).hexdigest() == rec.content_hash else None


def pages(chunks: Iterable[Chunk]) -> list[int | None]:
    return sorted({c.page for c in chunks}, key=lambda p: (p is None, p or 0))


def page_text(chunks: Iterable[Chunk], page: int | None) -> str:
    """The page's extracted text rebuilt from its (overlapping) chunks; characters no chunk
    covers (whitespace between chunks) become spaces."""
    on_page = [c for c in chunks if c.page == page]
    if not on_page:
        return ""
    buf = [" "] * max(c.char_end for c in on_page)
    for c in on_page:
        buf[c.char_start:c.char_end] = list(c.text)
    return "".join(buf)


@dataclass(frozen=True)
class Passage:
    before: str
    quote: str
    after: str


def passage(text: str, start: int, end: int, context: int = 400) -> Passage:
    """The quote text[start:end] with up to `context` characters either side, cut at a sentence
    or line boundary where one is near."""
    start, end = max(0, start), min(len(text), end)
    lo = max(0, start - context)
    if lo > 0:
        cut = max(text.rfind(p, lo, start) for p in ("\n", "。", ". ", "！", "？"))
        lo = cut + 1 if cut >= lo else lo
    hi = min(len(text), end + context)
    if hi < len(text):
        cuts = [i for i in (text.find(p, end, hi) for p in ("\n", "。", ". ")) if i != -1]
        hi = min(cuts) + 1 if cuts else hi
    before = ("…" if lo > 0 else "") + text[lo:start].lstrip()
    after = text[end:hi].rstrip() + ("…" if hi < len(text) else "")
    return Passage(before, text[start:end], after)


@dataclass(frozen=True)
class OriginalFile:
    """The bytes of a document as they were ingested, and the file's name."""

    name: str
    data: bytes


@dataclass(frozen=True)
class OpenedDocument:
    """A readable document's record and its current chunks, in order."""

    record: DocRecord
    chunks: tuple[Chunk, ...]

    @property
    def pages(self) -> list[int | None]:
        return pages(self.chunks)

    def page_text(self, page: int | None) -> str:
        return page_text(self.chunks, page)


@dataclass(frozen=True)
class OpenedPassage:
    """A cited or found span shown in its context: where it is, and the text around it. When
    the document changed since the citation was made, the quote is looked up again; a quote no
    longer in the page gives an empty `quote`."""

    doc_id: str
    path: str
    title: str
    page: int | None
    section: str
    char_start: int
    char_end: int
    before: str
    quote: str
    after: str

    def to_json(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "path": self.path, "title": self.title, "page": self.page,
                "section": self.section, "char_start": self.char_start,
                "char_end": self.char_end, "before": self.before, "quote": self.quote,
                "after": self.after}


class Documents:
    """Documents as a principal may see them. Every method takes the principal."""

    def __init__(self, manifest: Manifest, keywords: KeywordIndex) -> None:
        self.manifest = manifest
        self.keywords = keywords

    def record(self, doc_id: str, principal: Principal) -> DocRecord:
        rec = self.manifest.get(doc_id)
        if rec is None or not rec.readable_by(principal):
            raise NotFound(NOT_FOUND)
        return rec

    def readable(self, principal: Principal) -> list[DocRecord]:
        return [d for d in self.manifest.docs() if d.readable_by(principal)]

    def open(self, doc_id: str, principal: Principal) -> OpenedDocument:
        rec = self.record(doc_id, principal)
        chunks = self.keywords.read_chunks(rec.doc_id, rec.version, principal.acl_tokens())
        if not chunks:  # re-ingested or relabelled between the two reads
            raise NotFound(NOT_FOUND)
        return OpenedDocument(rec, tuple(chunks))

    def passage(self, doc_id: str, principal: Principal, page: int | None, start: int,
                end: int, quote: str = "") -> OpenedPassage:
        doc = self.open(doc_id, principal)
        text = doc.page_text(page)
        if quote and text[start:end] != quote:  # the document changed since: find it again
            found = text.find(quote)
            start, end = (found, found + len(quote)) if found >= 0 else (0, 0)
        p = passage(text, start, end)
        return OpenedPassage(doc.record.doc_id, doc.record.path, doc.record.title, page,
                             _section_at(doc.chunks, page, start), start, end, p.before,
                             p.quote, p.after)

    def file(self, doc_id: str, principal: Principal) -> OriginalFile:
        """The ingested bytes of a readable document (NotFound when the file on disk is gone,
        changed, or reached through a symbolic link)."""
        rec = self.record(doc_id, principal)
        data = read_original(rec)
        if data is None:
            raise NotFound(NOT_FOUND)
        return OriginalFile(rec.path.rsplit("/", 1)[-1], data)


def _section_at(chunks: Sequence[Chunk], page: int | None, offset: int) -> str:
    for c in chunks:
        if c.page == page and c.char_start <= offset < max(c.char_end, c.char_start + 1):
            return c.section
    return ""
