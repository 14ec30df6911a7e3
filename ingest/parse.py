"""Preparing documents for the writes: load each file of a plan's work, chunk it, and build its
chunks and manifest row; parsing runs in worker threads while the caller embeds the last batch."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from ingest import attachments
from ingest.acl import Labels
from ingest.chunking import chunk_pages, context_text
from ingest.discover import FoundFile
from ingest.loaders import too_large_text
from ingest.loading import FileLoader
from ingest.plan import Work
from ingest.scope import version_of
from kb.core.config import Settings
from kb.core.errors import IngestError
from kb.core.text import language
from kb.core.types import Chunk, DocRecord, FileError


@dataclass
class Prepared:
    """A document ready to write: its chunks, their texts to embed, its new manifest row."""

    file: FoundFile
    old: DocRecord | None
    record: DocRecord
    chunks: list[Chunk]
    texts: list[str]


@dataclass
class Failed:
    """A document that could not be prepared, and why."""

    file: FoundFile
    old: DocRecord | None
    error: FileError
    content_hash: str


class Preparer:
    """Turns one file (and its attachments) of a root into `Prepared` or `Failed` items."""

    def __init__(self, settings: Settings, fp: str, root: str, rules: Labels,
                 loader: FileLoader) -> None:
        self.settings = settings
        self.fingerprint = fp
        self.root = root
        self.rules = rules
        self.loader = loader

    def file(self, f: FoundFile, digest: str, old: DocRecord | None) -> list[Prepared | Failed]:
        try:
            with open(f.abs_path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            return [Failed(f, old, FileError(f.rel, "vanished", "the file disappeared during the run"), digest)]
        except OSError as exc:
            return [Failed(f, old, FileError(f.rel, "unreadable", f"cannot read the file: {exc.strerror or exc}"), digest)]
        return self.data(f, data, old)

    def data(self, f: FoundFile, data: bytes, old: DocRecord | None,
             level: int = 0) -> list[Prepared | Failed]:
        """A file's attachments first (children before their parent), then the file."""
        digest = hashlib.sha256(data).hexdigest()  # what we index is what we read
        try:
            doc = self.loader.load(data, f.rel)
        except IngestError as exc:
            return [Failed(f, old, FileError(f.rel, exc.code, exc.message), digest)]
        except Exception as exc:  # a parser bug on one file never stops the run
            return [Failed(f, old, FileError(f.rel, "corrupt", f"could not parse the file: {type(exc).__name__}: {exc}"), digest)]
        children: list[Prepared | Failed] = []
        for att in doc.attachments if level < attachments.MAX_DEPTH else ():
            child = attachments.child_file(f, att.name, len(att.data))
            children += self.data(child, att.data, None, level + 1)  # the mail's labels
        error = _too_large(doc.chars, None, self.settings)  # also here, in this process:
        if error is None:  # the limits hold whichever way (and wherever) the file was parsed
            pieces = chunk_pages(doc.pages, self.settings.chunk_size, self.settings.chunk_overlap)
            error = _too_large(doc.chars, len(pieces), self.settings)
        if error is not None:
            return [*children, Failed(f, old, FileError(f.rel, "too_large", error.message), digest)]
        if not pieces:
            return [*children, Failed(f, old, FileError(f.rel, "empty", "no text could be extracted from the file"), digest)]
        acl = self.rules.labels(f)
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
            doc_id=f.doc_id, root=self.root, path=f.rel, content_hash=digest,
            fingerprint=self.fingerprint, version=version, acl=acl, mime=doc.mime,
            title=doc.title, size=len(data), chunks=len(chunks), status="ok",
        )
        texts = [context_text(doc.title, c.section, c.text) for c in chunks]
        return [*children, Prepared(f, old, record, chunks, texts)]


def _too_large(chars: int, chunks: int | None, settings: Settings) -> IngestError | None:
    """Why a document's extracted text is over the per-file limits, or None."""
    if chars > settings.max_file_chars:
        return too_large_text(chars, settings.max_file_chars)
    if chunks is not None and chunks > settings.max_file_chunks:
        return IngestError("too_large", f"the file would make {chunks:,} chunks, over the limit "
                           f"of {settings.max_file_chunks:,} (KB_MAX_FILE_CHUNKS)")
    return None


def prepared_batches(settings: Settings, fp: str, root: str, rules: Labels,
                     work: Sequence[Work]) -> Iterator[list[Prepared | Failed]]:
    """Parse files in worker threads while the caller embeds; yield groups of whole
    documents holding about one embedding batch of chunks."""
    batch_size = settings.embedding_batch_size
    window = max(2, settings.ingest_workers * 2)
    with ThreadPoolExecutor(settings.ingest_workers, thread_name_prefix="kb-load") as pool, \
            FileLoader(settings) as loader:
        prepare = Preparer(settings, fp, root, rules, loader)
        futures: list[Future] = []
        it = iter(work)

        def refill() -> None:
            while len(futures) < window:
                nxt = next(it, None)
                if nxt is None:
                    return
                futures.append(pool.submit(prepare.file, *nxt))

        refill()
        batch: list[Prepared | Failed] = []
        n_chunks = 0
        while futures:
            items = futures.pop(0).result()  # a file's attachments first, then the file
            refill()
            batch.extend(items)
            n_chunks += sum(len(i.chunks) for i in items if isinstance(i, Prepared))
            if n_chunks >= batch_size:
                yield batch
                batch, n_chunks = [], 0
        if batch:
            yield batch
