"""Search filters and library rows as the page shows them. Plain functions, tested without
Streamlit. (Opening documents, and the access decision, are the service layer's:
kb/app/documents.py.)"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kb.app.documents import original_file
from kb.core.types import PUBLIC, DocRecord, Hit


# ------------------------------------------------------------------ search filters
def folder_of(path: str) -> str:
    parts = path.split("/")
    return parts[0] if len(parts) > 1 else "/"


def file_type(path: str) -> str:
    return Path(path).suffix.lower().lstrip(".") or "-"


def modified_date(rec: DocRecord) -> dt.date | None:
    f = original_file(rec)  # rows of readable documents only (KnowledgeBase.readable_documents)
    return dt.date.fromtimestamp(f.stat().st_mtime) if f else None


@dataclass(frozen=True)
class Filters:
    folders: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    langs: frozenset[str] = frozenset()
    modified_from: dt.date | None = None
    modified_to: dt.date | None = None


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


def relabels(before: Iterable[DocRecord], after: Iterable[DocRecord]) -> list[
        tuple[str, list[str], list[str]]]:
    """(path, groups before, groups after) of every document whose access labels changed
    between the two listings: a re-ingest's relabels, whatever the ingest counted them as."""
    old = {d.doc_id: d.acl for d in before}
    return [(d.path, group_names(old[d.doc_id]), group_names(d.acl)) for d in after
            if d.doc_id in old and old[d.doc_id] != d.acl]
