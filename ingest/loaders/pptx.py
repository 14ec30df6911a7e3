"""PPTX: one page per slide (shapes in order, tables as rows, groups opened), speaker notes at the
end of their slide; the slide title is the section."""

from __future__ import annotations

import io

from kb.core.errors import IngestError
from ingest.loaders.base import LoadedDoc, LoadOptions, Page, clean_text, stem_of
from ingest.loaders.office import open_package


def _shape_texts(shapes) -> list[str]:
    out: list[str] = []
    for shape in shapes:
        if getattr(shape, "shape_type", None) == 6 or hasattr(shape, "shapes"):  # group
            out.extend(_shape_texts(shape.shapes))
        elif getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                cells = [" ".join(c.text.split()) for c in row.cells]
                out.append(" | ".join(cells))
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            text = shape.text_frame.text.strip()
            if text:
                out.append(text)
    return out


def _slide_title(slide) -> str:
    try:
        title = slide.shapes.title
    except (KeyError, AttributeError):
        return ""
    return " ".join(title.text.split()) if title is not None and title.has_text_frame else ""


def load_pptx(data: bytes, name: str, options: LoadOptions = LoadOptions()) -> LoadedDoc:
    from pptx import Presentation

    data = open_package(data, "PPTX", options)
    try:
        deck = Presentation(io.BytesIO(data))
        slides = list(deck.slides)
    except Exception as exc:  # python-pptx raises many kinds for broken packages
        raise IngestError("corrupt", f"could not open the PPTX: {exc}") from exc
    if len(slides) > options.max_pages:
        raise IngestError("too_large", f"the presentation has {len(slides)} slides, over the "
                          f"limit of {options.max_pages} (KB_MAX_PAGES)")
    pages = []
    first_title = ""
    for number, slide in enumerate(slides, start=1):
        title = _slide_title(slide)
        first_title = first_title or title
        section = title or f"Slide {number}"
        text = "\n".join(clean_text(t) for t in _shape_texts(slide.shapes))
        sections = [(0, section)]
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = clean_text(slide.notes_slide.notes_text_frame.text).strip()
            if notes:
                text = (text + "\n" if text else "")
                sections.append((len(text), f"{section} > Notes"))
                text += notes
        pages.append(Page(number, text, tuple(sections)))
    try:
        title = (deck.core_properties.title or "").strip()
    except Exception:
        title = ""
    return LoadedDoc(
        pages=tuple(pages), title=title or first_title or stem_of(name),
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        metadata={"pages": len(pages)},
    )
