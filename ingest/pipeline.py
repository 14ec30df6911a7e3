"""Incremental, crash-safe sync of folders into every index: plan, then apply.

Write order for a changed document (DESIGN.md §3): journal entry -> new chunks into every index
-> manifest row flips to the new version -> old chunks deleted -> journal entry cleared. Readers
keep only chunks of the manifest's current version, so a crash anywhere leaves the old or the new
version visible, never both; `recover()` at the start of every run removes what a crash left.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from filelock import FileLock, Timeout

from ingest import attachments
from ingest.acl import AccessRules, load_rules
from ingest.chunking import CHUNKER_VERSION, chunk_pages, context_text
from ingest.discover import FoundFile, hash_file, walk
from kb.core.errors import IngestError, IngestLocked
from ingest.loading import FileLoader
from kb.core.config import Settings
from kb.core.embeddings import embed_array, model_id
from kb.core.ports import ChunkIndex, Manifest
from kb.core.text import language
from kb.core.types import Chunk, DocRecord, FileError, IngestReport

Progress = Callable[[str, int, int, str], None]  # (phase, done, total, path)


def fingerprint(embedding_model_id: str, settings: Settings) -> str:
    """Changes whenever stored chunks or vectors would come out differently."""
    key = f"{embedding_model_id}|chunker={CHUNKER_VERSION}|{settings.chunk_size}|{settings.chunk_overlap}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def version_of(content_hash: str, fp: str) -> str:
    return hashlib.sha256(f"{content_hash}|{fp}".encode()).hexdigest()[:16]


@dataclass
class Plan:
    root: str
    subtree: str
    add: list[tuple[FoundFile, str]] = field(default_factory=list)  # (file, content hash)
    update: list[tuple[FoundFile, str, DocRecord]] = field(default_factory=list)
    retry: list[tuple[FoundFile, str, DocRecord]] = field(default_factory=list)  # failed before
    relabel: list[tuple[DocRecord, frozenset[str]]] = field(default_factory=list)
    unchanged: list[DocRecord] = field(default_factory=list)
    delete: list[DocRecord] = field(default_factory=list)
    failed: list[FileError] = field(default_factory=list)
    rules: AccessRules | None = None


@dataclass
class _Prepared:
    file: FoundFile
    old: DocRecord | None
    record: DocRecord
    chunks: list[Chunk]
    texts: list[str]


@dataclass
class _Failed:
    file: FoundFile
    old: DocRecord | None
    error: FileError
    content_hash: str


class Ingestor:
    def __init__(
        self,
        settings: Settings,
        manifest: Manifest,
        indexes: Sequence[ChunkIndex],
        vector_index: ChunkIndex,
        embedder,
        prune: Callable[[], object] | None = None,
        lock: Callable[[], object] | None = None,
    ) -> None:
        self.settings = settings
        self._lock_factory = lock  # acquire(timeout)/release(), raising filelock.Timeout
        self.manifest = manifest
        self.indexes = list(indexes)  # every index that holds chunks, the vector index included
        self.vector_index = vector_index
        self.embedder = embedder
        self.fingerprint = fingerprint(model_id(embedder), settings)
        self._prune = prune  # drops vectors of other embedding models once none is current

    # ----------------------------------------------------------------- scope and planning
    def resolve(self, path: str | os.PathLike) -> tuple[str, str]:
        """(root, subtree) for a path: inside an already ingested root it is a part of it."""
        target = os.path.realpath(os.fspath(path))
        known = sorted({d.root for d in self.manifest.docs()}, key=len, reverse=True)
        for root in known:
            if target == root:
                return root, ""
            if target.startswith(root.rstrip(os.sep) + os.sep):
                return root, os.path.relpath(target, root)
        if os.path.isfile(target):
            return os.path.dirname(target), os.path.basename(target)
        return target, ""

    def plan(self, path: str | os.PathLike) -> Plan:
        root, subtree = self.resolve(path)
        if not os.path.exists(os.path.join(root, subtree)):
            raise FileNotFoundError(f"no such file or folder: {path}")
        plan = Plan(root=root, subtree=subtree)
        acl_path = Path(self.settings.acl_file)
        plan.rules = load_rules(acl_path if acl_path.is_absolute() else Path(root) / acl_path,
                                self.settings.default_access)
        existing = {d.doc_id: d for d in self._in_scope(root, subtree)}
        exclude = (str(self.settings.home),)
        limit = int(self.settings.max_file_mb * 1024 * 1024)
        seen: set[str] = set()
        for f in walk(root, exclude=exclude, subtree=subtree):
            seen.add(f.doc_id)
            old = existing.get(f.doc_id)
            if f.size > limit:
                plan.failed.append(FileError(
                    f.rel, "too_large",
                    f"the file is {f.size / 1048576:.1f} MB, over the limit of "
                    f"{self.settings.max_file_mb:g} MB (KB_MAX_FILE_MB)"))
                if old is not None and old.status == "ok":
                    plan.delete.append(old)
                continue
            try:
                digest = hash_file(f.abs_path)
            except FileNotFoundError:
                seen.discard(f.doc_id)
                continue
            except OSError as exc:
                plan.failed.append(FileError(f.rel, "unreadable", f"cannot read the file: {exc.strerror or exc}"))
                if old is not None and old.status == "ok":
                    plan.delete.append(old)
                continue
            acl = plan.rules.tokens_for(f.rel)
            if old is None:
                plan.add.append((f, digest))
            elif old.status != "ok":
                plan.retry.append((f, digest, old))
            elif old.content_hash != digest or old.fingerprint != self.fingerprint:
                plan.update.append((f, digest, old))
            elif old.acl != acl:
                plan.relabel.append((old, acl))
            else:
                plan.unchanged.append(old)
        attachments.settle(plan, existing, seen)  # children follow their parent; the rest is gone
        return plan

    def _in_scope(self, root: str, subtree: str) -> list[DocRecord]:
        """Rows this run may delete: under the root (and subtree), or under roots it contains."""
        out = []
        prefix = subtree.replace(os.sep, "/")
        for d in self.manifest.docs():
            if d.root == root:
                if (not prefix or d.path == prefix or d.path.startswith(prefix.rstrip("/") + "/")
                        or d.path.startswith(prefix + attachments.SEPARATOR)):
                    out.append(d)
            elif not subtree and d.root.startswith(root.rstrip(os.sep) + os.sep):
                out.append(d)  # an older, narrower root now covered by this one
        return out

    # ------------------------------------------------------------------------- running
    def lock(self) -> FileLock:
        """The writers' lock: a file under `home`, or what the composition root passed (a
        PostgreSQL advisory lock when ingest workers share a database, not a disk)."""
        if self._lock_factory is not None:
            return self._lock_factory()
        self.settings.home.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.settings.lock_path))

    def run(self, paths: Sequence[str | os.PathLike], dry_run: bool = False,
            progress: Progress | None = None) -> IngestReport:
        started = time.perf_counter()
        with self._locked():
            if not dry_run:
                self.recover()
            plans = [self.plan(p) for p in paths]
            report = IngestReport(dry_run=dry_run)
            for plan in plans:
                part = self._report_plan(plan) if dry_run else self.apply(plan, progress)
                report = _merge(report, part)
                if not dry_run:
                    self.manifest.record_run(plan.root, part.to_json())
            if not dry_run and self._prune is not None and all(
                d.fingerprint == self.fingerprint for d in self.manifest.docs()
            ):
                self._prune()
            return replace(report, seconds=time.perf_counter() - started)

    @staticmethod
    def _report_plan(plan: Plan) -> IngestReport:
        return IngestReport(
            added=len(plan.add) + len(plan.retry), updated=len(plan.update),
            unchanged=len(plan.unchanged), deleted=len(plan.delete), relabeled=len(plan.relabel),
            failed=tuple(plan.failed), dry_run=True,
        )

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

    def apply(self, plan: Plan, progress: Progress | None = None) -> IngestReport:
        failed = list(plan.failed)
        for old in plan.delete:
            self._delete(old)
        for old, acl in plan.relabel:
            for index in self.indexes:
                index.relabel(old.doc_id, acl)
            self.manifest.put(replace(old, acl=acl))
        work = [(f, h, None) for f, h in plan.add] + list(plan.update) + list(plan.retry)
        added = updated = chunks_written = 0
        total = len(work)
        done = 0
        for batch in self._prepared_batches(plan, work):
            fresh = [p for p in batch if isinstance(p, _Prepared)]
            texts = [t for p in fresh for t in p.texts]
            vectors = embed_array(self.embedder, texts) if texts else []
            offset = 0
            for item in batch:
                done += 1
                if isinstance(item, _Failed):
                    failed.append(item.error)
                    self._record_failure(plan, item)
                else:
                    n = len(item.chunks)
                    self._commit(item, vectors[offset : offset + n])
                    offset += n
                    chunks_written += n
                    was_searchable = item.old is not None and item.old.status == "ok"
                    updated += was_searchable
                    added += not was_searchable
                if progress:
                    progress("ingest", done, total, item.file.rel)
        return IngestReport(
            added=added, updated=updated, unchanged=len(plan.unchanged),
            deleted=len(plan.delete), relabeled=len(plan.relabel), failed=tuple(failed),
            chunks=chunks_written,
        )

    def _prepared_batches(self, plan: Plan, work) -> Iterator[list[_Prepared | _Failed]]:
        """Parse files in worker threads while the caller embeds; yield groups of whole
        documents holding about one embedding batch of chunks."""
        batch_size = self.settings.embedding_batch_size
        window = max(2, self.settings.ingest_workers * 2)
        with ThreadPoolExecutor(self.settings.ingest_workers, thread_name_prefix="kb-load") as pool, \
                FileLoader(self.settings) as loader:
            futures: list[Future] = []
            it = iter(work)

            def refill() -> None:
                while len(futures) < window:
                    nxt = next(it, None)
                    if nxt is None:
                        return
                    futures.append(pool.submit(self._prepare, plan, loader, *nxt))

            refill()
            batch: list[_Prepared | _Failed] = []
            n_chunks = 0
            while futures:
                items = futures.pop(0).result()  # a file's attachments first, then the file
                refill()
                batch.extend(items)
                n_chunks += sum(len(i.chunks) for i in items if isinstance(i, _Prepared))
                if n_chunks >= batch_size:
                    yield batch
                    batch, n_chunks = [], 0
            if batch:
                yield batch

    def _prepare(self, plan: Plan, loader: FileLoader, f: FoundFile, digest: str,
                 old: DocRecord | None) -> list[_Prepared | _Failed]:
        try:
            with open(f.abs_path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            return [_Failed(f, old, FileError(f.rel, "vanished", "the file disappeared during the run"), digest)]
        except OSError as exc:
            return [_Failed(f, old, FileError(f.rel, "unreadable", f"cannot read the file: {exc.strerror or exc}"), digest)]
        return self._prepare_bytes(plan, loader, f, data, old)

    def _prepare_bytes(self, plan: Plan, loader: FileLoader, f: FoundFile, data: bytes,
                       old: DocRecord | None, level: int = 0,
                       acl_rel: str = "") -> list[_Prepared | _Failed]:
        digest = hashlib.sha256(data).hexdigest()  # what we index is what we read
        try:
            doc = loader.load(data, f.rel)
        except IngestError as exc:
            return [_Failed(f, old, FileError(f.rel, exc.code, exc.message), digest)]
        except Exception as exc:  # a parser bug on one file never stops the run
            return [_Failed(f, old, FileError(f.rel, "corrupt", f"could not parse the file: {type(exc).__name__}: {exc}"), digest)]
        children: list[_Prepared | _Failed] = []
        for att in doc.attachments if level < attachments.MAX_DEPTH else ():
            child = attachments.child_file(f, att.name, len(att.data))
            children += self._prepare_bytes(plan, loader, child, att.data, None, level + 1,
                                            acl_rel or f.rel)  # attachments get the mail's ACL
        pieces = chunk_pages(doc.pages, self.settings.chunk_size, self.settings.chunk_overlap)
        if not pieces:
            return [*children, _Failed(f, old, FileError(f.rel, "empty", "no text could be extracted from the file"), digest)]
        acl = plan.rules.tokens_for(acl_rel or f.rel)
        version = version_of(digest, self.fingerprint)
        chunks = [
            Chunk(
                chunk_id=Chunk.make_id(f.doc_id, version, i), doc_id=f.doc_id, version=version,
                ordinal=i, text=p.text, page=p.page, char_start=p.start, char_end=p.end,
                section=p.section, lang=language(p.text), acl=acl, path=f.rel, title=doc.title,
            )
            for i, p in enumerate(pieces)
        ]
        record = DocRecord(
            doc_id=f.doc_id, root=plan.root, path=f.rel, content_hash=digest,
            fingerprint=self.fingerprint, version=version, acl=acl, mime=doc.mime,
            title=doc.title, size=len(data), chunks=len(chunks), status="ok",
        )
        texts = [context_text(doc.title, c.section, c.text) for c in chunks]
        return [*children, _Prepared(f, old, record, chunks, texts)]

    # ---------------------------------------------------------------- writes, in order
    def _commit(self, item: _Prepared, vectors) -> None:
        doc_id = item.record.doc_id
        self.manifest.begin(doc_id)
        for index in self.indexes:
            index.upsert(item.chunks, vectors if index is self.vector_index else ())
        self.manifest.put(replace(item.record, ingested_at=time.time()))
        if item.old is not None:  # a new document has no older chunks (recover() saw to that)
            for index in self.indexes:
                index.delete_doc(doc_id, keep_version=item.record.version)
        self.manifest.done(doc_id)

    def _record_failure(self, plan: Plan, item: _Failed) -> None:
        doc_id = item.file.doc_id
        self.manifest.begin(doc_id)
        self.manifest.put(DocRecord(
            doc_id=doc_id, root=plan.root, path=item.file.rel, content_hash=item.content_hash,
            fingerprint=self.fingerprint, version="", acl=plan.rules.tokens_for(item.file.rel),
            mime="", title="", size=item.file.size, chunks=0, status="failed",
            error_code=item.error.code, error=item.error.error, ingested_at=time.time(),
        ))
        for index in self.indexes:
            index.delete_doc(doc_id)
        self.manifest.done(doc_id)

    def _delete(self, old: DocRecord) -> None:
        self.manifest.begin(old.doc_id)
        self.manifest.remove(old.doc_id)
        for index in self.indexes:
            index.delete_doc(old.doc_id)
        self.manifest.done(old.doc_id)

    def delete_path(self, path: str | os.PathLike) -> int:
        """Remove every document at or under `path` from every index. Returns how many."""
        with self._locked():
            self.recover()
            root, subtree = self.resolve(path)
            docs = self._in_scope(root, subtree)
            for d in docs:
                self._delete(d)
            return len(docs)

    def _locked(self):
        lock = self.lock()
        try:
            lock.acquire(timeout=self.settings.lock_timeout)
        except Timeout as exc:
            raise IngestLocked(
                f"another ingest is running (lock {getattr(lock, 'lock_file', lock)}); try again when it "
                "finishes, or set KB_LOCK_TIMEOUT to wait for it"
            ) from exc
        return _Release(lock)


class _Release:
    def __init__(self, lock: FileLock) -> None:
        self.lock = lock

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.lock.release()


def _merge(a: IngestReport, b: IngestReport) -> IngestReport:
    return IngestReport(
        added=a.added + b.added, updated=a.updated + b.updated,
        unchanged=a.unchanged + b.unchanged, deleted=a.deleted + b.deleted,
        relabeled=a.relabeled + b.relabeled, failed=a.failed + b.failed,
        chunks=a.chunks + b.chunks, dry_run=a.dry_run,
    )
