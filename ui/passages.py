"""Documents as the page shows them: access checks, page text rebuilt from chunks, the passage
around a citation, search filters and library rows. Plain functions, tested without Streamlit."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kb.core.types import DocRecord
from kb.core.types import PUBLIC, Chunk, Hit, Principal


# ------------------------------------------------------------------ access
def readable(rec: DocRecord | None, principal: Principal) -> bool:
    return rec is not None and rec.status == "ok" and bool(rec.acl & principal.acl_tokens())


def readable_doc(manifest, doc_id: str, principal: Principal) -> DocRecord | None:
    """The manifest row of a searchable document the principal may read, else None."""
    rec = manifest.get(doc_id)
    return rec if readable(rec, principal) else None


def original_file(rec: DocRecord) -> Path | None:
    """The file on disk, if it is still there and inside its ingest root."""
    root = os.path.realpath(rec.root)
    path = os.path.realpath(os.path.join(root, rec.path))
    if not path.startswith(root.rstrip(os.sep) + os.sep) or not os.path.isfile(path):
        return None
    return Path(path)


def doc_chunks(keyword_index, rec: DocRecord) -> list[Chunk]:
    """The current chunks of a document, in order (ids are deterministic per version)."""
    ids = [Chunk.make_id(rec.doc_id, rec.version, i) for i in range(rec.chunks)]
    return sorted(keyword_index.get(ids), key=lambda c: c.ordinal)


# ------------------------------------------------------------------ page text and passages
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


def citation_passage(chunks: Sequence[Chunk], page: int | None, start: int, end: int) -> Passage:
    return passage(page_text(chunks, page), start, end)


# ------------------------------------------------------------------ search filters
def folder_of(path: str) -> str:
    parts = path.split("/")
    return parts[0] if len(parts) > 1 else "/"


def file_type(path: str) -> str:
    return Path(path).suffix.lower().lstrip(".") or "-"


def modified_date(rec: DocRecord) -> dt.date | None:
    f = original_file(rec)
    return dt.date.fromtimestamp(f.stat().st_mtime) if f else None


@dataclass(frozen=True)
class Filters:
    folders: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    langs: frozenset[str] = frozenset()
    modified_from: dt.date | None = None
    modified_to: dt.date | None = None

    @property
    def active(self) -> bool:
        return bool(self.folders or self.types or self.langs or self.modified_from
                    or self.modified_to)


def facets(docs: Iterable[DocRecord]) -> tuple[list[str], list[str]]:
    """(folders, file types) among the given documents."""
    docs = list(docs)
    return (sorted({folder_of(d.path) for d in docs}), sorted({file_type(d.path) for d in docs}))


def apply_filters(hits: Sequence[Hit], filters: Filters, docs: dict[str, DocRecord],
                  modified: Callable[[DocRecord], dt.date | None] = modified_date) -> list[Hit]:
    out = []
    for h in hits:
        c, rec = h.chunk, docs.get(h.chunk.doc_id)
        if rec is None:
            continue
        if filters.folders and folder_of(c.path) not in filters.folders:
            continue
        if filters.types and file_type(c.path) not in filters.types:
            continue
        if filters.langs and c.lang not in filters.langs:
            continue
        if filters.modified_from or filters.modified_to:
            day = modified(rec)
            if day is None or (filters.modified_from and day < filters.modified_from) or (
                    filters.modified_to and day > filters.modified_to):
                continue
        out.append(h)
    return out


# ------------------------------------------------------------------ library
def status_of(rec: DocRecord, pending: set[str]) -> str:
    if rec.doc_id in pending:
        return "pending"
    if rec.status == "ok":
        return "searchable"
    return "encrypted" if rec.error_code == "encrypted" else "failed"


def group_names(acl: Iterable[str]) -> list[str]:
    """Access tokens as people name them: groups, `user:x`, and 'public'."""
    return sorted(a.removeprefix("group:") for a in acl)


def folder_groups(docs: Iterable[DocRecord]) -> dict[str, list[str]]:
    """Each folder (relative to its root) and the groups that can read something in it."""
    out: dict[str, set[str]] = {}
    for d in docs:
        folder = str(Path(d.path).parent).replace(os.sep, "/")
        out.setdefault("/" if folder == "." else folder, set()).update(group_names(d.acl))
    return {k: sorted(v, key=lambda g: (g != PUBLIC, g)) for k, v in sorted(out.items())}


def safe_subfolder(root: str, sub: str) -> Path | None:
    """root/sub when it stays inside root, else None."""
    base = os.path.realpath(root)
    target = os.path.realpath(os.path.join(base, sub.strip().strip("/")))
    if target != base and not target.startswith(base.rstrip(os.sep) + os.sep):
        return None
    return Path(target)
