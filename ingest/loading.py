"""How the pipeline loads one file: options from the settings (passwords for its path, page
limit, OCR), the parser in a child process with a timeout and a memory cap (ingest/isolate.py)."""

from __future__ import annotations

from ingest import loaders
from ingest.isolate import IsolatedLoader, Limits
from ingest.loaders.base import LoadedDoc, LoadOptions
from ingest.passwords import load_passwords
from kb.core.config import Settings


class FileLoader:
    """Built for one ingest run and closed after it (its worker processes stop)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.passwords = load_passwords(settings)  # a broken passwords file stops the run early
        self.isolated = (
            IsolatedLoader(Limits(settings.load_timeout, settings.load_memory_mb),
                           workers=settings.ingest_workers)
            if settings.isolate_loaders else None
        )

    def options_for(self, rel_path: str) -> LoadOptions:
        return LoadOptions(passwords=self.passwords.for_path(rel_path),
                           max_pages=self.settings.max_pages, ocr=self.settings.ocr,
                           max_chars=self.settings.max_file_chars)

    def load(self, data: bytes, rel_path: str) -> LoadedDoc:
        options = self.options_for(rel_path)
        if self.isolated is None:
            return loaders.load(data, rel_path, options)
        return self.isolated.load(data, rel_path, options)

    def close(self) -> None:
        if self.isolated is not None:
            self.isolated.close()

    def __enter__(self) -> FileLoader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
