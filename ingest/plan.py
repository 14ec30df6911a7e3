"""The plan of an ingest run: a pure comparison of the files found (with their content hashes)
against the manifest rows in scope, under the pipeline fingerprint and the access rules.

Nothing here touches the disk or an index: walking and hashing happen before (`discover.scan`),
loading and writing after (`parse`, `apply`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from ingest import attachments
from ingest.acl import Labels
from ingest.discover import Found, FoundFile
from kb.core.types import DocRecord, FileError, IngestReport

Work = tuple[FoundFile, str, "DocRecord | None"]  # (file, content hash, its row if it has one)


@dataclass
class Plan:
    root: str
    subtree: str
    add: list[tuple[FoundFile, str]] = field(default_factory=list)  # (file, content hash)
    update: list[tuple[FoundFile, str, DocRecord]] = field(default_factory=list)
    retry: list[tuple[FoundFile, str, DocRecord]] = field(default_factory=list)  # failed before
    relabel: list[tuple[DocRecord, frozenset[str]]] = field(default_factory=list)
    relabeled_too: list[str] = field(default_factory=list)  # re-written with other labels
    unchanged: list[DocRecord] = field(default_factory=list)
    delete: list[DocRecord] = field(default_factory=list)
    failed: list[FileError] = field(default_factory=list)
    rules: Labels | None = None
    # (doc_id, size, mtime_ns) of kept files that had to be hashed: remembered, not hashed again
    restat: list[tuple[str, int, int]] = field(default_factory=list)

    def work(self) -> list[Work]:
        """The files to load, chunk, embed and write, in order."""
        return [(f, h, None) for f, h in self.add] + list(self.update) + list(self.retry)

    @property
    def relabeled(self) -> int:
        """Documents whose labels change: relabelled only, or re-written with new labels."""
        return len(self.relabel) + len(self.relabeled_too)

    def report(self) -> IngestReport:
        """What applying the plan would do (a dry run)."""
        return IngestReport(
            added=len(self.add) + len(self.retry), updated=len(self.update),
            unchanged=len(self.unchanged), deleted=len(self.delete), relabeled=self.relabeled,
            failed=tuple(self.failed), dry_run=True,
        )


def make_plan(root: str, subtree: str, found: Iterable[Found], existing: Iterable[DocRecord],
              fp: str, rules: Labels, max_file_mb: float) -> Plan:
    """Compare the found files with the rows in scope: what to add, update, retry, relabel,
    keep and delete, and which files fail before being read (too large, unreadable)."""
    plan = Plan(root=root, subtree=subtree, rules=rules)
    rows = {d.doc_id: d for d in existing}
    elsewhere = {os.path.join(d.root, d.path): d for d in rows.values() if d.root != root}
    limit = int(max_file_mb * 1024 * 1024)
    seen: set[str] = set()
    for item in found:
        f = item.file
        seen.add(f.doc_id)
        old = rows.get(f.doc_id)
        error = _refused(item, limit, max_file_mb)
        if error is not None:
            plan.failed.append(error)
            if old is not None and old.status == "ok":
                plan.delete.append(old)
            continue
        acl = rules.labels(f)
        before = old if old is not None else elsewhere.get(f.abs_path)  # under a narrower root
        if before is not None and before.status == "ok" and before.acl != acl and (
                old is None or old.content_hash != item.content_hash or old.fingerprint != fp):
            plan.relabeled_too.append(f.rel)
        if old is None:
            plan.add.append((f, item.content_hash))
        elif old.status != "ok":
            plan.retry.append((f, item.content_hash, old))
        elif old.content_hash != item.content_hash or old.fingerprint != fp:
            plan.update.append((f, item.content_hash, old))
        else:
            if not item.from_stat:
                plan.restat.append(f.stat)
            if old.acl != acl:
                plan.relabel.append((old, acl))
            else:
                plan.unchanged.append(old)
    attachments.settle(plan, rows, seen)  # children follow their parent; the rest is gone
    return plan


def _refused(item: Found, limit: int, max_file_mb: float) -> FileError | None:
    """Why a found file cannot be ingested at all, or None."""
    f = item.file
    if f.size > limit:
        return FileError(f.rel, "too_large", f"the file is {f.size / 1048576:.1f} MB, over the "
                         f"limit of {max_file_mb:g} MB (KB_MAX_FILE_MB)")
    if item.unreadable:
        return FileError(f.rel, "unreadable", f"cannot read the file: {item.unreadable}")
    return None
