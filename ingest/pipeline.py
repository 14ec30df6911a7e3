"""Incremental, crash-safe sync of folders into every index: the `Ingestor` facade.

A run takes the writers' lock (`lock`), recovers what a crash left (`apply.Writer.recover`), plans
each path (`scope` for what it covers, `discover` to walk and hash, `plan` to compare with the
manifest), then applies each plan (`parse` prepares documents while `apply` embeds and writes
them in the order of DESIGN.md §3).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from ingest import scope
from ingest.apply import Progress, Writer, apply
from ingest.discover import scan, walk
from ingest.lock import held, writers_lock
from ingest.parse import prepared_batches
from ingest.plan import Plan, make_plan
from ingest.queue import WorkQueue
from kb.core.config import Settings
from kb.core.embeddings import model_id
from kb.core.ports import ChunkIndex, Lock, Manifest
from kb.core.types import IngestReport, Removal

__all__ = ["Ingestor", "Plan", "Progress"]

QUEUE_LOCK_WAIT = 300.0  # seconds a queue worker waits for another one's planning


class Ingestor:
    def __init__(
        self,
        settings: Settings,
        manifest: Manifest,
        indexes: Sequence[ChunkIndex],
        vector_index: ChunkIndex,
        embedder,
        prune: Callable[[], object] | None = None,
        lock: Callable[[], Lock] | None = None,
        purge: Callable[[], dict[str, int]] | None = None,
        queue: WorkQueue | None = None,
    ) -> None:
        self.settings = settings
        self._lock_factory = lock
        self.manifest = manifest
        self.indexes = list(indexes)  # every index that holds chunks, the vector index included
        self.vector_index = vector_index
        self.embedder = embedder
        self.fingerprint = scope.fingerprint(model_id(embedder), settings)
        self._prune = prune  # drops vectors of other embedding models once none is current
        self._purge = purge  # makes removed texts unreadable in the stores' files
        self._writer = Writer(manifest, self.indexes, vector_index, self.fingerprint)
        self.queue = queue  # several workers share the sync through it (ingest/queue.py)

    def resolve(self, path: str | os.PathLike) -> tuple[str, str]:
        """(root, subtree) for a path: inside an already ingested root it is a part of it."""
        return scope.resolve(path, self.manifest.roots())

    def plan(self, path: str | os.PathLike) -> Plan:
        root, subtree = self.resolve(path)
        if not os.path.exists(os.path.join(root, subtree)):
            raise FileNotFoundError(f"no such file or folder: {path}")
        rules = scope.access_rules(self.settings, root)
        rules.check(os.path.join(root, subtree))
        existing = scope.in_scope(self.manifest.docs(), root, subtree)
        files = walk(root, exclude=(str(self.settings.home),), subtree=subtree)
        stats = self.manifest.file_stats(root)
        known = {d.doc_id: (*stats[d.doc_id], d.content_hash) for d in existing
                 if d.doc_id in stats}
        found = scan(files, int(self.settings.max_file_mb * 1024 * 1024), known)
        return make_plan(root, subtree, found, existing, self.fingerprint, rules,
                         self.settings.max_file_mb)

    def lock(self) -> Lock:
        """The writers' lock, not yet acquired (see ingest.lock)."""
        return writers_lock(self.settings, self._lock_factory)

    def run(self, paths: Sequence[str | os.PathLike], dry_run: bool = False,
            progress: Progress | None = None) -> IngestReport:
        if self.queue is not None and not dry_run:
            return self._run_shared(paths, progress)
        started = time.perf_counter()
        with held(self.lock(), self.settings.lock_timeout):
            if not dry_run:
                self.recover()
            plans = [self.plan(p) for p in paths]
            report = IngestReport(dry_run=dry_run)
            for plan in plans:
                part = plan.report() if dry_run else self.apply(plan, progress)
                report = _merge(report, part)
                if not dry_run:
                    self.manifest.record_run(plan.root, part.to_json())
            # a run that changed nothing made no collection stale (and need not open Chroma)
            if not dry_run and not report.nothing_to_do and self._prune is not None and (
                    self.manifest.fingerprints() <= {self.fingerprint}):
                self._prune()
            if not dry_run and self._purge is not None and (report.deleted or report.updated):
                self._purge()  # old versions and deleted documents leave no text behind
            return replace(report, seconds=time.perf_counter() - started)

    def _run_shared(self, paths: Sequence[str | os.PathLike],
                    progress: Progress | None) -> IngestReport:
        """One worker of several (ingest/queue.py): plan and enqueue under the writers' lock,
        then drain the queue alongside the other workers, without the lock."""
        assert self.queue is not None
        started = time.perf_counter()
        wait = max(self.settings.lock_timeout, QUEUE_LOCK_WAIT)  # planning holds it briefly
        parts: dict[str, IngestReport] = {}
        with held(self.lock(), wait):
            self._writer.recover(skip=self.queue.queued())
            plans = [self.plan(p) for p in paths]
            for plan in plans:
                self.queue.fill(plan.root, [(f, h) for f, h, _ in plan.work()])
                rest = replace(plan, add=[], update=[], retry=[])  # deletions, relabels, stats
                parts[plan.root] = apply(rest, self._writer, (), self.embedder)
        for plan in plans:
            while True:
                with self.queue.claim(plan.root, self.settings.ingest_queue_claim) as items:
                    if not items:
                        break
                    part = self.apply(self._claimed_plan(plan, items), progress)
                parts[plan.root] = _merge(parts[plan.root], replace(part, unchanged=0))
            self.manifest.record_run(plan.root, parts[plan.root].to_json())
        report = IngestReport()
        for part in parts.values():
            report = _merge(report, part)
        if not report.nothing_to_do and self._prune is not None and (
                self.manifest.fingerprints() <= {self.fingerprint}):
            self._prune()
        return replace(report, seconds=time.perf_counter() - started)

    def _claimed_plan(self, plan: Plan, items) -> Plan:
        """The claimed files as a plan of their own, each against its manifest row as it is
        now; a document a dead worker left half-written is healed first."""
        half_written = set(self.manifest.pending())
        sub = Plan(root=plan.root, subtree=plan.subtree, rules=plan.rules)
        for item in items:
            doc_id = item.file.doc_id
            if doc_id in half_written:
                self._writer.heal(doc_id)
            old = self.manifest.get(doc_id)
            if old is None:
                sub.add.append((item.file, item.content_hash))
            elif old.status != "ok":
                sub.retry.append((item.file, item.content_hash, old))
            else:
                sub.update.append((item.file, item.content_hash, old))
        return sub

    def recover(self) -> int:
        """Remove chunks a crashed run left behind: anything not of the current version."""
        return self._writer.recover()

    def apply(self, plan: Plan, progress: Progress | None = None) -> IngestReport:
        batches = prepared_batches(self.settings, self.fingerprint, plan.root, plan.rules,
                                   plan.work())
        return apply(plan, self._writer, batches, self.embedder, progress)

    def delete_path(self, path: str | os.PathLike) -> Removal:
        """Remove every document at or under `path` from every index, then purge the stores'
        files of their text."""
        with held(self.lock(), self.settings.lock_timeout):
            self.recover()
            root, subtree = self.resolve(path)
            docs = scope.in_scope(self.manifest.docs(), root, subtree)
            for d in docs:
                self._writer.delete(d)
            purged = self._purge() if docs and self._purge is not None else {}
            return Removal(len(docs), sum(d.chunks for d in docs),
                           tuple(sorted(d.path for d in docs)), tuple(sorted(purged.items())))


def _merge(a: IngestReport, b: IngestReport) -> IngestReport:
    return IngestReport(
        added=a.added + b.added, updated=a.updated + b.updated,
        unchanged=a.unchanged + b.unchanged, deleted=a.deleted + b.deleted,
        relabeled=a.relabeled + b.relabeled, failed=a.failed + b.failed,
        chunks=a.chunks + b.chunks, dry_run=a.dry_run,
    )
