"""Loaders by file extension. Each turns bytes into pages of text or raises IngestError."""

from __future__ import annotations

from collections.abc import Callable

from kb.core.errors import IngestError
from ingest.loaders.base import Attachment, LoadedDoc, LoadOptions, Page

Loader = Callable[[bytes, str, LoadOptions], LoadedDoc]

# Formats we recognise but do not read: no offline reader does them justice (docs/FORMATS.md).
LEGACY = {
    ".ppt": "legacy PowerPoint 97-2003 (.ppt)", ".ods": "OpenDocument spreadsheet (.ods)",
    ".odp": "OpenDocument presentation (.odp)", ".pages": "Apple Pages", ".wps": "WPS",
}


def _registry() -> dict[str, Loader]:
    from ingest.loaders.doc import load_doc
    from ingest.loaders.docx import load_docx
    from ingest.loaders.html import load_html
    from ingest.loaders.image import load_image
    from ingest.loaders.mail import load_eml
    from ingest.loaders.markdown import load_markdown
    from ingest.loaders.msg import load_msg
    from ingest.loaders.pandoc import load_pandoc
    from ingest.loaders.pdf import load_pdf
    from ingest.loaders.pptx import load_pptx
    from ingest.loaders.sheets import load_csv, load_xls, load_xlsx
    from ingest.loaders.text import load_text

    return {
        ".pdf": load_pdf, ".docx": load_docx, ".pptx": load_pptx,
        ".xlsx": load_xlsx, ".xlsm": load_xlsx, ".xls": load_xls,
        ".csv": load_csv, ".tsv": load_csv,
        ".html": load_html, ".htm": load_html, ".xhtml": load_html,
        ".md": load_markdown, ".markdown": load_markdown, ".txt": load_text, ".text": load_text,
        ".eml": load_eml, ".msg": load_msg, ".doc": load_doc,
        ".rtf": load_pandoc, ".odt": load_pandoc, ".epub": load_pandoc,
        ".png": load_image, ".jpg": load_image, ".jpeg": load_image, ".tif": load_image,
        ".tiff": load_image, ".bmp": load_image, ".webp": load_image,
    }


def supported_extensions() -> frozenset[str]:
    return frozenset(_registry())


def extension(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""


def too_large_text(chars: int, limit: int) -> IngestError:
    return IngestError("too_large", f"the extracted text has {chars:,} characters, over the "
                       f"limit of {limit:,} (KB_MAX_FILE_CHARS)")


def load(data: bytes, name: str, options: LoadOptions | None = None) -> LoadedDoc:
    """Load a file's bytes; `name` (its path) picks the loader by extension."""
    ext = extension(name)
    loader = _registry().get(ext)
    if loader is None:
        if ext in LEGACY:
            raise IngestError("unsupported", f"{LEGACY[ext]} files are not supported; save the "
                              "file as PDF, DOCX, XLSX or PPTX")
        raise IngestError("unsupported", f"unsupported file type {ext or '(no extension)'!r}")
    if not data:
        raise IngestError("empty", "the file is empty (0 bytes)")
    options = options or LoadOptions()
    doc = loader(data, name, options)
    if options.max_chars and doc.chars > options.max_chars:  # in the parser's process: the
        raise too_large_text(doc.chars, options.max_chars)  # text never crosses the pipe
    if not any(p.text.strip() for p in doc.pages) and not doc.attachments:
        raise IngestError("empty", "no text could be extracted from the file")
    return doc


__all__ = ["Attachment", "IngestError", "LoadOptions", "LoadedDoc", "Page", "load",
           "supported_extensions"]
