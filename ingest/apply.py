"""Applying a plan: the ordered writes and the journal that makes them crash-safe.

Write order for a changed document (DESIGN.md §3): journal entry -> new chunks into every index
-> manifest row flips to the new version -> old chunks deleted -> journal entry cleared. Readers
keep only chunks of the manifest's current version, so a crash anywhere leaves the old or the new
version visible, never both; `Writer.recover()` at the start of every run removes what a crash left.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from ingest.parse import Failed, Prepared
from ingest.plan import Plan
from kb.core.embeddings import embed_array
from kb.core.ports import ChunkIndex, Manifest
from kb.core.types import DocRecord, IngestReport

Progress = Callable[[str, int, int, str], None]  # (phase, done, total, path)


class Writer:
    """Every write to the manifest and the indexes, each one inside a journal entry."""

    def __init__(self, manifest: Manifest, indexes: Sequence[ChunkIndex],
                 vector_index: ChunkIndex, fp: str) -> None:
        self.manifest = manifest
        self.indexes = list(indexes)  # every index that holds chunks, the vector index included
        self.vector_index = vector_index
        self.fingerprint = fp

    def recover(self) -> int:
        """Remove chunks a crashed run left behind: anything not of the current version."""
        pending = self.manifest.pending()
        for doc_id in pending:
            rec = self.manifest.get(doc_id)
            keep = rec.version if rec is not None and rec.status == "ok" else None
            for index in self.indexes:
                index.delete_doc(doc_id, keep_version=keep)
            self.manifest.done(doc_id)
        return len(pending)

    def commit(self, item: Prepared, vectors) -> None:
        doc_id = item.record.doc_id
        self.manifest.begin(doc_id)
        for index in self.indexes:
            index.upsert(item.chunks, vectors if index is self.vector_index else ())
        self.manifest.put(replace(item.record, ingested_at=time.time()))
        if item.old is not None:  # a new document has no older chunks (recover() saw to that)
            for index in self.indexes:
                index.delete_doc(doc_id, keep_version=item.record.version)
        self.manifest.done(doc_id)

    def record_failure(self, plan: Plan, item: Failed) -> None:
        doc_id = item.file.doc_id
        self.manifest.begin(doc_id)
        self.manifest.put(DocRecord(
            doc_id=doc_id, root=plan.root, path=item.file.rel, content_hash=item.content_hash,
            fingerprint=self.fingerprint, version="", acl=plan.rules.labels(item.file),
            mime="", title="", size=item.file.size, chunks=0, status="failed",
            error_code=item.error.code, error=item.error.error, ingested_at=time.time(),
        ))
        for index in self.indexes:
            index.delete_doc(doc_id)
        self.manifest.done(doc_id)

    def relabel(self, old: DocRecord, acl: frozenset[str]) -> None:
        for index in self.indexes:
            index.relabel(old.doc_id, acl)
        self.manifest.put(replace(old, acl=acl))

    def delete(self, old: DocRecord) -> None:
        self.manifest.begin(old.doc_id)
        self.manifest.remove(old.doc_id)
        for index in self.indexes:
            index.delete_doc(old.doc_id)
        self.manifest.done(old.doc_id)


def apply(plan: Plan, writer: Writer, batches: Iterable[list[Prepared | Failed]], embedder,
          progress: Progress | None = None) -> IngestReport:
    """Deletions and relabels first, then each batch of prepared documents of `plan.work()`:
    embedded together, written one document at a time."""
    failed = list(plan.failed)
    for old in plan.delete:
        writer.delete(old)
    for old, acl in plan.relabel:
        writer.relabel(old, acl)
    added = updated = chunks_written = 0
    total = len(plan.work())
    done = 0
    for batch in batches:
        fresh = [p for p in batch if isinstance(p, Prepared)]
        texts = [t for p in fresh for t in p.texts]
        vectors = embed_array(embedder, texts) if texts else []
        offset = 0
        for item in batch:
            done += 1
            if isinstance(item, Failed):
                failed.append(item.error)
                writer.record_failure(plan, item)
            else:
                n = len(item.chunks)
                writer.commit(item, vectors[offset : offset + n])
                offset += n
                chunks_written += n
                was_searchable = item.old is not None and item.old.status == "ok"
                updated += was_searchable
                added += not was_searchable
            if progress:
                progress("ingest", done, total, item.file.rel)
    return IngestReport(
        added=added, updated=updated, unchanged=len(plan.unchanged),
        deleted=len(plan.delete), relabeled=plan.relabeled, failed=tuple(failed),
        chunks=chunks_written,
    )
