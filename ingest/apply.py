"""Applying a plan: the ordered writes and the journal that makes them crash-safe.

Write order for a changed document (DESIGN.md §3): journal entry -> new chunks into every index
-> manifest row flips to the new version -> old chunks deleted -> journal entry cleared. Readers
keep only chunks of the manifest's current version, so a crash anywhere leaves the old or the new
version visible, never both; `Writer.recover()` at the start of every run removes what a crash left.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from ingest.parse import Failed, Prepared
from ingest.plan import Plan
from kb.core.embeddings import embed_array
from kb.core.errors import EmbeddingServerError
from kb.core.ports import ChunkIndex, Manifest
from kb.core.types import DocRecord, FileError, IngestReport

Progress = Callable[[str, int, int, str], None]  # (phase, done, total, path)


class Writer:
    """Every write to the manifest and the indexes, each one inside a journal entry."""

    def __init__(self, manifest: Manifest, indexes: Sequence[ChunkIndex],
                 vector_index: ChunkIndex, fp: str) -> None:
        self.manifest = manifest
        self.indexes = list(indexes)  # every index that holds chunks, the vector index included
        self.vector_index = vector_index
        self.fingerprint = fp

    def recover(self, skip: frozenset[str] | set[str] = frozenset()) -> int:
        """Remove chunks a crashed run left behind: anything not of the current version. Docs
        in `skip` are left alone (queued: a live worker may be writing them)."""
        pending = [d for d in self.manifest.pending() if d not in skip]
        for doc_id in pending:
            self.heal(doc_id)
        return len(pending)

    def heal(self, doc_id: str) -> None:
        """One document's journal entry: keep only the manifest's version in every index."""
        rec = self.manifest.get(doc_id)
        keep = rec.version if rec is not None and rec.status == "ok" else None
        for index in self.indexes:
            index.delete_doc(doc_id, keep_version=keep)
        self.manifest.done(doc_id)

    def commit(self, items: Sequence[Prepared], vectors) -> None:
        """Documents with their vectors (in order): every journal entry first, then all their
        chunks in one write per index (an embedded Chroma upsert costs ~0.1 s however few
        chunks it holds), then each manifest row flips and its old chunks go."""
        for item in items:
            self.manifest.begin(item.record.doc_id)
        chunks = [c for item in items for c in item.chunks]
        if chunks:
            for index in self.indexes:
                index.upsert(chunks, vectors if index is self.vector_index else ())
        now = time.time()
        for item in items:
            doc_id = item.record.doc_id
            self.manifest.put(replace(item.record, ingested_at=now))
            if item.file.mtime_ns and item.record.size == item.file.size:
                self.manifest.put_stats([item.file.stat])  # the next run need not read it
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
    embedded together (in the background, `embedder.concurrency` batches in flight, so the
    model never waits for parsing or writing), written together, in order.

    When the embedding model fails (a remote server down) the documents of that batch and of
    every later one fail with code `embedding` and nothing of theirs is written: an updated
    document keeps its old version, and the next run embeds them all again."""
    failed = list(plan.failed)
    for old in plan.delete:
        writer.delete(old)
    for old, acl in plan.relabel:
        writer.relabel(old, acl)
    writer.manifest.put_stats(plan.restat)
    counts = {"added": 0, "updated": 0, "chunks": 0, "done": 0}
    total = len(plan.work())
    broken: list[str] = []  # the embedding error, once there is one: later batches are not sent

    def write(batch: list[Prepared | Failed], vectors: Future | None) -> None:
        try:
            vecs = vectors.result() if vectors is not None else []
        except EmbeddingServerError as exc:
            broken[:] = [str(exc)]
            vecs = None
        fresh = [item for item in batch if isinstance(item, Prepared)]
        if vecs is not None:
            writer.commit(fresh, vecs)
        for item in batch:
            counts["done"] += 1
            if isinstance(item, Failed):
                failed.append(item.error)
                writer.record_failure(plan, item)
            elif vecs is None:
                failed.append(FileError(item.file.rel, "embedding", broken[0]))
            else:
                counts["chunks"] += len(item.chunks)
                was_searchable = item.old is not None and item.old.status == "ok"
                counts["updated"] += was_searchable
                counts["added"] += not was_searchable
            if progress:
                progress("ingest", counts["done"], total, item.file.rel)

    in_flight = max(1, int(getattr(embedder, "concurrency", 1)))
    with ThreadPoolExecutor(in_flight, thread_name_prefix="kb-embed") as pool:
        queue: deque[tuple[list[Prepared | Failed], Future | None]] = deque()
        for batch in batches:
            texts = [t for p in batch if isinstance(p, Prepared) for t in p.texts]
            if broken:
                queue.append((batch, _failed_future(broken[0])))
            else:
                queue.append((batch, pool.submit(embed_array, embedder, texts) if texts else None))
            while len(queue) > in_flight:  # the oldest is written while the others embed
                write(*queue.popleft())
        while queue:
            write(*queue.popleft())
    return IngestReport(
        added=counts["added"], updated=counts["updated"], unchanged=len(plan.unchanged),
        deleted=len(plan.delete), relabeled=plan.relabeled, failed=tuple(failed),
        chunks=counts["chunks"],
    )


def _failed_future(message: str) -> Future:
    f: Future = Future()
    f.set_exception(EmbeddingServerError(message))
    return f
