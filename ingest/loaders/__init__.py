"""Loaders by file extension. Each turns bytes into pages of text or raises IngestError."""

from __future__ import annotations

from collections.abc import Callable

from ingest.errors import IngestError
from ingest.loaders.base import LoadedDoc, Page

Loader = Callable[[bytes, str], LoadedDoc]


def _registry() -> dict[str, Loader]:
    from ingest.loaders.docx import load_docx
    from ingest.loaders.html import load_html
    from ingest.loaders.markdown import load_markdown
    from ingest.loaders.pdf import load_pdf
    from ingest.loaders.text import load_text

    return {
        ".pdf": load_pdf, ".docx": load_docx, ".html": load_html, ".htm": load_html,
        ".md": load_markdown, ".markdown": load_markdown, ".txt": load_text, ".text": load_text,
    }


def supported_extensions() -> frozenset[str]:
    return frozenset(_registry())


def load(data: bytes, name: str) -> LoadedDoc:
    """Load a file's bytes; `name` (its path) picks the loader by extension."""
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    loader = _registry().get(ext)
    if loader is None:
        raise IngestError("unsupported", f"unsupported file type {ext or '(no extension)'!r}")
    if not data:
        raise IngestError("empty", "the file is empty (0 bytes)")
    doc = loader(data, name)
    if not any(p.text.strip() for p in doc.pages):
        raise IngestError("empty", "no text could be extracted from the file")
    return doc


__all__ = ["IngestError", "LoadedDoc", "Page", "load", "supported_extensions"]
