"""Opening documents for a person: THE access decision, made once, here, for every front end.

A document may be opened by a principal when its manifest row is searchable and carries one of
the principal's access tokens (`DocRecord.readable_by`); its text is then read through the
keyword index's `read_chunks`, which filters by the same tokens inside its query. A document
the principal may not read, a deleted one and one that never existed all raise the same
`NotFound` with the same message, so no answer tells them apart."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.core.errors import NotFound
from kb.core.ports import KeywordIndex, Manifest
from kb.core.types import Chunk, DocRecord, Principal

NOT_FOUND = "no such document"


def original_file(rec: DocRecord) -> Path | None:
    """The file on disk, if it is still there and inside its ingest root."""
    root = os.path.realpath(rec.root)
    path = os.path.realpath(os.path.join(root, rec.path))
    if not path.startswith(root.rstrip(os.sep) + os.sep) or not os.path.isfile(path):
        return None
    return Path(path)


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

    def file(self, doc_id: str, principal: Principal) -> Path:
        """The original file of a readable document (NotFound when it is gone from disk)."""
        path = original_file(self.record(doc_id, principal))
        if path is None:
            raise NotFound(NOT_FOUND)
        return path


def _section_at(chunks: Sequence[Chunk], page: int | None, offset: int) -> str:
    for c in chunks:
        if c.page == page and c.char_start <= offset < max(c.char_end, c.char_start + 1):
            return c.section
    return ""
