"""Plain text of unknown encoding: BOMs first, then strict UTF-8, then detection (GBK, Big5...)."""

from __future__ import annotations

import codecs

from kb.core.errors import IngestError
from ingest.loaders.base import LoadedDoc, LoadOptions, Page, clean_text

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Chinese legacy encodings are tried first, on their own: general detection guesses wrong on short
# texts (a few GBK lines come out as Korean cp949). GB18030 is a superset of GBK and GB2312.
_LEGACY = ("gb18030", "big5")
_MAX_CHAOS = 0.2  # charset-normalizer's mess ratio above which a Chinese reading is rejected


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: text with NUL in (almost) every other byte, on one side only."""
    head = data[:4096]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if half and odd >= 0.3 * half and even * 4 < odd:
        return "utf-16-le"
    if half and even >= 0.3 * half and odd * 4 < even:
        return "utf-16-be"
    return None


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Return (text, encoding). Raises IngestError('corrupt') for binary data."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return clean_text(data[len(bom):].decode(enc, errors="replace")), enc
    try:
        return clean_text(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096]:
        utf16 = _bomless_utf16(data)
        if utf16:
            return clean_text(data.decode(utf16, errors="replace")), utf16
        raise IngestError("corrupt", "the file looks binary, not text")
    from charset_normalizer import from_bytes

    chinese = from_bytes(data, cp_isolation=list(_LEGACY)).best()
    if chinese is not None and chinese.chaos <= _MAX_CHAOS:
        return clean_text(str(chinese)), chinese.encoding
    best = from_bytes(data).best()
    candidates = [best.encoding] if best is not None else []
    for enc in (*candidates, *_LEGACY):
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if enc in ("gb2312", "gbk"):
            enc = "gb18030"
            text = data.decode(enc)
        return clean_text(text), enc
    raise IngestError("corrupt", "could not detect the text encoding")


def first_line_title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= 120 else fallback
    return fallback


def load_text(data: bytes, name: str, options: LoadOptions = LoadOptions()) -> LoadedDoc:
    text, encoding = decode_bytes(data)
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return LoadedDoc(
        pages=(Page(None, text),), title=first_line_title(text, stem), mime="text/plain",
        metadata={"encoding": encoding},
    )
