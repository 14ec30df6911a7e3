"""PDF: the text layer page by page (pypdfium2, ~10x faster than pypdf; pypdf for the pages
pdfium cannot map to Unicode and for files pdfium cannot open), OCR for pages without usable text
(pypdfium2 renders, rapidocr reads).

Encrypted files open with the empty password (owner-password-only files: readable by anyone) or
with one of the passwords configured for the path; otherwise they fail as `encrypted`.
"""

from __future__ import annotations

import io
import logging
import re
import threading

from kb.core.errors import IngestError
from ingest.loaders.base import LoadedDoc, LoadOptions, Page, clean_text, stem_of

log = logging.getLogger(__name__)

MIN_PAGE_CHARS = 16  # fewer visible characters than this on a page with content: OCR it
OCR_DPI = 200
OCR_MAX_SIDE = 3000  # pixels; very large pages are rendered smaller
_VISIBLE = re.compile(r"\S")
# pdfium writes U+0002 where a word is hyphenated across a line break (and joins the word);
# other control characters and U+FFFD/U+FFFE are glyphs it could not map to Unicode.
_SOFT_HYPHEN = "\x02"
_UNMAPPED = re.compile(r"[\x00\x01\x03-\x08\x0b\x0c\x0e-\x1f\ufffd\ufffe]")
# pdfium is not thread-safe; loaders run in threads when KB_ISOLATE_LOADERS=false.
_PDFIUM_LOCK = threading.Lock()


class _Unreadable(Exception):
    """pypdf could not read the file; pypdfium2 gets a try."""


def _encrypted_error(tried: int) -> IngestError:
    if tried:
        return IngestError(
            "encrypted", f"the PDF is password-protected and none of the {tried} configured "
            "password(s) for this path opened it (KB_PASSWORDS / KB_PASSWORDS_FILE)")
    return IngestError(
        "encrypted", "the PDF is password-protected; add its password for this path to "
        "KB_PASSWORDS or KB_PASSWORDS_FILE")


def _too_many(n: int, options: LoadOptions) -> None:
    if n > options.max_pages:
        raise IngestError("too_large", f"the PDF has {n} pages, over the limit of "
                          f"{options.max_pages} (KB_MAX_PAGES)")


def _pypdf_texts(data: bytes, options: LoadOptions) -> tuple[list[str | None], str, str]:
    """(text per page, None where pypdf failed on that page), title, the password that worked."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        password = ""
        if reader.is_encrypted:
            for candidate in ("", *options.passwords):
                if reader.decrypt(candidate):
                    password = candidate
                    break
            else:
                raise _encrypted_error(len(options.passwords))
        n = len(reader.pages)
    except IngestError:
        raise
    except DependencyError as exc:
        raise IngestError("unsupported", f"cannot decrypt this PDF: {exc}") from exc
    except FileNotDecryptedError as exc:
        raise _encrypted_error(len(options.passwords)) from exc
    except Exception as exc:  # pypdf raises many kinds on broken files
        raise _Unreadable(f"{type(exc).__name__}: {exc}") from exc
    _too_many(n, options)
    texts: list[str | None] = []
    for i in range(n):
        try:
            texts.append(clean_text(reader.pages[i].extract_text() or ""))
        except Exception as exc:  # one bad page: pypdfium2 reads it later
            log.debug("pypdf failed on page %d: %s", i + 1, exc)
            texts.append(None)
    try:
        title = str((reader.metadata or {}).get("/Title") or "").strip()
    except Exception:
        title = ""
    return texts, title, password


class _Pdfium:
    """The file opened with pypdfium2 on first need (text, OCR), then kept."""

    def __init__(self, data: bytes, passwords: list[str]) -> None:
        self.data = data
        self.passwords = list(dict.fromkeys(passwords))
        self.doc = None
        self.password = ""
        self.error: IngestError | None = None

    def get(self):
        if self.doc is None and self.error is None:
            import pypdfium2 as pdfium

            last: Exception | None = None
            for candidate in self.passwords:
                try:
                    self.doc = pdfium.PdfDocument(self.data, password=candidate or None)
                    self.password = candidate
                    return self.doc
                except pdfium.PdfiumError as exc:
                    last = exc
                    if "password" not in str(exc).lower():
                        break
            if last is not None and "password" in str(last).lower():
                self.error = _encrypted_error(len(self.passwords) - 1)
            else:
                self.error = IngestError("corrupt", f"the PDF is damaged or truncated: {last}")
        return self.doc

    def close(self) -> None:
        if self.doc is not None:
            self.doc.close()


def _pdfium_text(pdf, i: int) -> str:
    page = pdf[i]
    try:
        textpage = page.get_textpage()
        try:
            return clean_text((textpage.get_text_bounded() or "").replace(_SOFT_HYPHEN, ""))
        finally:
            textpage.close()
    finally:
        page.close()


class _Pypdf:
    """The same file opened with pypdf on first need: the text of the pages pdfium misreads."""

    def __init__(self, data: bytes, password: str) -> None:
        self.data = data
        self.password = password
        self.reader = None
        self.failed = False

    def text(self, i: int) -> str | None:
        if self.reader is None and not self.failed:
            try:
                from pypdf import PdfReader

                reader = PdfReader(io.BytesIO(self.data), strict=False)
                if reader.is_encrypted:
                    reader.decrypt(self.password)
                self.reader = reader
            except Exception as exc:  # pdfium read the file: its text stands
                log.debug("pypdf could not open the file: %s", exc)
                self.failed = True
        if self.reader is None:
            return None
        try:
            return clean_text(self.reader.pages[i].extract_text() or "")
        except Exception as exc:
            log.debug("pypdf failed on page %d: %s", i + 1, exc)
            return None


def _misread(text: str) -> bool:
    """pdfium's text of a page is not to be trusted: unmapped glyphs, or next to no text."""
    return bool(_UNMAPPED.search(text)) or len(_VISIBLE.findall(text)) < MIN_PAGE_CHARS


def _title(pdf) -> str:
    try:
        return str(pdf.get_metadata_dict().get("Title") or "").strip()
    except Exception:
        return ""


def _pdfium_texts(pdf, data: bytes, password: str, options: LoadOptions) -> list[str | None]:
    """Text per page from pdfium; a page it misreads from pypdf when pypdf reads it better."""
    _too_many(len(pdf), options)
    pypdf = _Pypdf(data, password)
    texts: list[str | None] = []
    for i in range(len(pdf)):
        text = _pdfium_text(pdf, i)
        if _misread(text):
            other = pypdf.text(i)
            if other is not None and _better(other, text):
                text = other
        texts.append(text)
    return texts


def _better(candidate: str, current: str) -> bool:
    """Fewer unmapped glyphs, then more visible text."""
    def score(t: str) -> tuple[int, int]:
        return -len(_UNMAPPED.findall(t)), len(_VISIBLE.findall(t))
    return score(candidate) > score(current)


def _needs_ocr(pdf, i: int, text: str) -> bool:
    """No text but something drawn (a scan, or text flattened to paths), or next to no text and
    an image (a scan with a stamped page number)."""
    import pypdfium2.raw as pdfium_c

    visible = len(_VISIBLE.findall(text))
    if visible >= MIN_PAGE_CHARS:
        return False
    page = pdf[i]
    try:
        kinds = {obj.type for obj in page.get_objects(max_depth=2)}
    finally:
        page.close()
    return bool(kinds) if visible == 0 else pdfium_c.FPDF_PAGEOBJ_IMAGE in kinds


def _ocr_page(pdf, i: int) -> str:
    from ingest.ocr import ocr_image

    page = pdf[i]
    try:
        width, height = page.get_size()
        scale = min(OCR_DPI / 72, OCR_MAX_SIDE / max(width, height, 1))
        bitmap = page.render(scale=scale, grayscale=True)
        image = bitmap.to_pil()
        bitmap.close()
    finally:
        page.close()
    return clean_text(ocr_image(image))


def load_pdf(data: bytes, name: str, options: LoadOptions = LoadOptions()) -> LoadedDoc:
    if b"%PDF" not in data[:1024]:
        raise IngestError("corrupt", "not a PDF file (no %PDF header)")
    with _PDFIUM_LOCK:
        return _load(data, name, options)


def _pypdf_first(data: bytes, options: LoadOptions,
                 warnings: list[str]) -> tuple[list[str | None], str, _Pdfium]:
    """pdfium could not open the file: pypdf reads it (or says it is encrypted), and a page it
    fails on gets pdfium's text once more."""
    try:
        texts, title, password = _pypdf_texts(data, options)
        return texts, title, _Pdfium(data, [password, "", *options.passwords])
    except _Unreadable as exc:
        pdfium = _Pdfium(data, ["", *options.passwords])
        pdf = pdfium.get()
        if pdf is None:
            raise IngestError("corrupt", f"the PDF is damaged or truncated (pypdf: {exc}; "
                              f"pypdfium2: {pdfium.error.message})") from exc
        warnings.append(f"pypdf could not read the file ({exc}); the text is from pypdfium2")
        _too_many(len(pdf), options)
        return [None] * len(pdf), _title(pdf), pdfium


def _load(data: bytes, name: str, options: LoadOptions) -> LoadedDoc:
    warnings: list[str] = []
    pdfium = _Pdfium(data, ["", *options.passwords])
    pdf = pdfium.get()
    if pdf is not None:
        try:
            texts, title = _pdfium_texts(pdf, data, pdfium.password, options), _title(pdf)
        except BaseException:
            pdfium.close()
            raise
    else:
        texts, title, pdfium = _pypdf_first(data, options, warnings)
    pages: list[Page] = []
    ocr_pages: list[int] = []
    ocr_error: IngestError | None = None
    try:
        for i, text in enumerate(texts):
            if text is None or (options.ocr and len(_VISIBLE.findall(text)) < MIN_PAGE_CHARS):
                pdf = pdfium.get()
                if pdf is None or i >= len(pdf):
                    warnings.append(f"page {i + 1}: pypdfium2 could not open the file")
                    pages.append(Page(i + 1, text or ""))
                    continue
                if text is None:
                    text = _pdfium_text(pdf, i)
                if options.ocr and _needs_ocr(pdf, i, text):
                    ocr_pages.append(i + 1)
                    try:
                        found = _ocr_page(pdf, i)
                        text = found if len(found.strip()) > len(text.strip()) else text
                    except IngestError as exc:
                        ocr_error = exc
                        warnings.append(f"page {i + 1}: {exc.message}")
            pages.append(Page(i + 1, text))
    finally:
        pdfium.close()
    if not any(p.text.strip() for p in pages):
        if ocr_error is not None:
            raise ocr_error
        if ocr_pages:
            raise IngestError("ocr_failed", f"OCR found no text on the {len(ocr_pages)} scanned "
                              f"page(s) of this PDF")
        hint = "" if options.ocr else " (OCR is off: KB_OCR=false)"
        raise IngestError("empty", f"no text on any of the {len(pages)} pages{hint}")
    metadata: dict = {"pages": len(pages)}
    if ocr_pages:
        metadata["ocr_pages"] = ocr_pages
    if warnings:
        metadata["warnings"] = warnings
    return LoadedDoc(pages=tuple(pages), title=title or stem_of(name), mime="application/pdf",
                     metadata=metadata)
