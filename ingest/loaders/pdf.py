"""PDF: the text layer page by page (pypdf), owner-password-only files open normally."""

from __future__ import annotations

import io

from ingest.errors import IngestError
from ingest.loaders.base import LoadedDoc, Page, clean_text


def load_pdf(data: bytes, name: str, password: str | None = None) -> LoadedDoc:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise IngestError("corrupt", "not a PDF file (no %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            ok = reader.decrypt(password or "")
            if not ok:
                raise IngestError(
                    "encrypted",
                    "the PDF is password-protected; add its password to the settings",
                )
        pages = []
        for number, page in enumerate(reader.pages, start=1):
            text = clean_text(page.extract_text() or "")
            pages.append(Page(number, text))
        meta = reader.metadata or {}
        title = str(meta.get("/Title") or "").strip()
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise IngestError("corrupt", f"could not read the PDF: {exc}") from exc
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if not any(p.text.strip() for p in pages):
        raise IngestError(
            "empty", f"no text layer on any of the {len(pages)} pages (a scan without OCR text?)"
        )
    return LoadedDoc(pages=tuple(pages), title=title or stem, mime="application/pdf",
                     metadata={"pages": len(pages)})
