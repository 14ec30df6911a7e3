"""Files inside files (mail attachments) as documents of their own.

A loader hands back `LoadedDoc.attachments`; each becomes a child document whose path is the
parent's path, `#`, and the attachment's name (`inbox/offer.eml#terms.pdf`), so search results and
citations point into the mail. A child's `doc_id` is derived from its parent's and its name, so it
is stable, and never equal to the id of a file on disk.

Children are not on disk, so planning settles them through their parent: a child of an unchanged
parent is unchanged, a child of a relabelled parent is relabelled with it, and every other child
(the parent changed, failed or went away) is deleted before the parent is loaded again, which
re-creates the current children. Children are committed before their parent, so a crash leaves the
parent at its old version and the next run repeats the work.
"""

from __future__ import annotations

import hashlib

from ingest.discover import FoundFile
from kb.core.types import DocRecord

MAX_DEPTH = 3  # a mail inside a mail inside a mail: deeper attachments are not opened
SEPARATOR = "#"


def child_id(parent_doc_id: str, name: str) -> str:
    return hashlib.sha1(f"{parent_doc_id}\x00attachment\x00{name}".encode()).hexdigest()


def child_file(parent: FoundFile, name: str, size: int) -> FoundFile:
    return FoundFile(parent.abs_path, f"{parent.rel}{SEPARATOR}{name}",
                     child_id(parent.doc_id, name), size)


def parent_of(record: DocRecord, by_path: dict[str, DocRecord]) -> DocRecord | None:
    """The record this one is an attachment of, or None for a file on disk."""
    path = record.path
    cut = path.rfind(SEPARATOR)
    while cut > 0:
        parent = by_path.get(path[:cut])
        if parent is not None and child_id(parent.doc_id, path[cut + 1:]) == record.doc_id:
            return parent
        cut = path.rfind(SEPARATOR, 0, cut)
    return None


def settle(plan, existing: dict[str, DocRecord], seen: set[str]) -> None:
    """Sort the records not found on disk into unchanged / relabel (children whose parent is) or
    delete (everything else)."""
    unchanged = {d.doc_id for d in plan.unchanged}
    relabel = {d.doc_id: acl for d, acl in plan.relabel}
    by_path = {d.path: d for d in existing.values()}
    fate: dict[str, str] = {}
    for record in sorted((d for d in existing.values() if d.doc_id not in seen),
                         key=lambda d: len(d.path)):
        parent = parent_of(record, by_path)
        pid = parent.doc_id if parent is not None else None
        if pid is not None and (pid in unchanged or fate.get(pid) == "unchanged"):
            fate[record.doc_id] = "unchanged"
            plan.unchanged.append(record)
        elif pid is not None and pid in relabel:
            fate[record.doc_id] = "relabel"
            relabel[record.doc_id] = relabel[pid]
            plan.relabel.append((record, relabel[pid]))
        else:
            fate[record.doc_id] = "delete"
            plan.delete.append(record)
