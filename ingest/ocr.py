"""OCR of page images with rapidocr-onnxruntime (PP-OCRv4 zh/en models shipped in its wheel).

The engine loads once per process, on first use; nothing is downloaded. Recognised boxes are put
back into reading order: boxes that overlap vertically form a line, lines run top to bottom,
boxes left to right, with a space between words unless both sides are CJK.
"""

from __future__ import annotations

import threading

from kb.core.errors import IngestError
from kb.core.text import is_wide

_ENGINE = None
_LOCK = threading.Lock()
MIN_SCORE = 0.5


def engine():
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:
                raise IngestError(
                    "ocr_failed",
                    "this file needs OCR (a scan or an image) but rapidocr-onnxruntime is not "
                    "installed; install it with `pip install -e .[ocr]`",
                ) from exc
            _ENGINE = RapidOCR()
        return _ENGINE


def _join(left: str, right: str) -> str:
    if not left:
        return right
    if is_wide(left[-1]) and is_wide(right[:1] or " "):
        return left + right
    return left + " " + right


def reading_order(boxes: list[tuple[list[list[float]], str]]) -> str:
    """Text of OCR boxes ((4 corner points), text) in reading order, one line per text line."""
    items = []
    for points, text in boxes:
        ys = [p[1] for p in points]
        xs = [p[0] for p in points]
        items.append((min(ys), max(ys), min(xs), text.strip()))
    items.sort(key=lambda it: ((it[0] + it[1]) / 2, it[2]))
    lines: list[list[tuple[float, float, float, str]]] = []
    for it in items:
        if not it[3]:
            continue
        if lines:
            top = min(b[0] for b in lines[-1])
            bottom = max(b[1] for b in lines[-1])
            overlap = min(bottom, it[1]) - max(top, it[0])
            if overlap > 0.5 * min(bottom - top, it[1] - it[0]):
                lines[-1].append(it)
                continue
        lines.append([it])
    out = []
    for line in lines:
        text = ""
        for it in sorted(line, key=lambda b: b[2]):
            text = _join(text, it[3])
        out.append(text)
    return "\n".join(out)


def ocr_image(image) -> str:
    """Text of a PIL image (any mode)."""
    import numpy as np

    rgb = np.asarray(image.convert("RGB"))
    try:
        # No angle classifier: scans are upright, and it flips whole correct lines by 180
        # degrees now and then (a line of English came back as "e d s s s"). Half the time, too.
        result, _ = engine()(rgb, use_cls=False)
    except IngestError:
        raise
    except Exception as exc:  # onnxruntime / opencv errors on odd images
        raise IngestError("ocr_failed", f"OCR failed on a page: {type(exc).__name__}: {exc}") from exc
    boxes = [(box, text) for box, text, score in (result or []) if float(score) >= MIN_SCORE]
    return reading_order(boxes)
