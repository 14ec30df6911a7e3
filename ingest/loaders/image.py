"""Images (PNG, JPEG, TIFF, BMP, WebP): OCR of every frame, one page per frame."""

from __future__ import annotations

import io

from kb.core.errors import IngestError
from ingest.loaders.base import LoadedDoc, LoadOptions, Page, clean_text, stem_of

MAX_SIDE = 4000  # pixels; larger scans are scaled down before OCR


def load_image(data: bytes, name: str, options: LoadOptions = LoadOptions()) -> LoadedDoc:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    from ingest.ocr import ocr_image

    if not options.ocr:
        raise IngestError("unsupported", "images are read by OCR, which is off (KB_OCR=false)")
    try:
        image = Image.open(io.BytesIO(data))
        frames = getattr(image, "n_frames", 1)
    except Image.DecompressionBombError as exc:
        raise IngestError("too_large", f"the image is too large to read safely: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise IngestError("corrupt", f"not a readable image: {exc}") from exc
    if frames > options.max_pages:
        raise IngestError("too_large", f"the image has {frames} pages, over the limit of "
                          f"{options.max_pages} (KB_MAX_PAGES)")
    pages = []
    try:
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            frame.load()
            if max(frame.size) > MAX_SIDE:
                frame = frame.copy()
                frame.thumbnail((MAX_SIDE, MAX_SIDE))
            pages.append(Page(number, clean_text(ocr_image(frame))))
    except Image.DecompressionBombError as exc:
        raise IngestError("too_large", f"the image is too large to read safely: {exc}") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise IngestError("corrupt", f"could not decode the image: {exc}") from exc
    if not any(p.text.strip() for p in pages):
        raise IngestError("ocr_failed", "OCR found no text in the image")
    fmt = (image.format or "image").lower()
    return LoadedDoc(pages=tuple(pages), title=stem_of(name), mime=f"image/{fmt}",
                     metadata={"pages": len(pages), "ocr_pages": list(range(1, len(pages) + 1))})
