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
from kb.core.config import Settings
from kb.core.embeddings import model_id
from kb.core.ports import ChunkIndex, Lock, Manifest
from kb.core.types import IngestReport

__all__ = ["Ingestor", "Plan", "Progress"]


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
    ) -> None:
        self.settings = settings
        self._lock_factory = lock
        self.manifest = manifest
        self.indexes = list(indexes)  # every index that holds chunks, the vector index included
        self.vector_index = vector_index
        self.embedder = embedder
        self.fingerprint = scope.fingerprint(model_id(embedder), settings)
        self._prune = prune  # drops vectors of other embedding models once none is current
        self._writer = Writer(manifest, self.indexes, vector_index, self.fingerprint)

    def resolve(self, path: str | os.PathLike) -> tuple[str, str]:
        """(root, subtree) for a path: inside an already ingested root it is a part of it."""
        return scope.resolve(path, self.manifest.roots())

    def plan(self, path: str | os.PathLike) -> Plan:
        root, subtree = self.resolve(path)
        if not os.path.exists(os.path.join(root, subtree)):
            raise FileNotFoundError(f"no such file or folder: {path}")
        rules = scope.access_rules(self.settings, root)
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
            if not dry_run and not report.nothing_to_do and self._prune is not None and (  # a run
                    # that changed nothing made no collection stale
                self.manifest.fingerprints() <= {self.fingerprint}
            ):
                self._prune()
            return replace(report, seconds=time.perf_counter() - started)

    def recover(self) -> int:
        """Remove chunks a crashed run left behind: anything not of the current version."""
        return self._writer.recover()

    def apply(self, plan: Plan, progress: Progress | None = None) -> IngestReport:
        batches = prepared_batches(self.settings, self.fingerprint, plan.root, plan.rules,
                                   plan.work())
        return apply(plan, self._writer, batches, self.embedder, progress)

    def delete_path(self, path: str | os.PathLike) -> int:
        """Remove every document at or under `path` from every index. Returns how many."""
        with held(self.lock(), self.settings.lock_timeout):
            self.recover()
            root, subtree = self.resolve(path)
            docs = scope.in_scope(self.manifest.docs(), root, subtree)
            for d in docs:
                self._writer.delete(d)
            return len(docs)


def _merge(a: IngestReport, b: IngestReport) -> IngestReport:
    return IngestReport(
        added=a.added + b.added, updated=a.updated + b.updated,
        unchanged=a.unchanged + b.unchanged, deleted=a.deleted + b.deleted,
        relabeled=a.relabeled + b.relabeled, failed=a.failed + b.failed,
        chunks=a.chunks + b.chunks, dry_run=a.dry_run,
    )
