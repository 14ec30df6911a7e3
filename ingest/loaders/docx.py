"""DOCX: paragraphs in body order, headings as sections, tables as row text, headers/footers once."""

from __future__ import annotations

import io
import re

from kb.core.errors import IngestError
from ingest.loaders.base import HeadingPath, LoadedDoc, LoadOptions, Page, clean_text, stem_of
from ingest.loaders.office import open_package

_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)


def _heading_level(paragraph) -> int | None:
    try:
        name = (paragraph.style.name or "").strip() if paragraph.style is not None else ""
    except (KeyError, AttributeError):
        return None
    if name.lower() == "title":
        return 1
    m = _HEADING_STYLE.match(name)
    return int(m.group(1)) if m else None


def _row_text(row) -> str:
    cells: list[str] = []
    for cell in row.cells:
        text = " ".join(cell.text.split())
        if not cells or cells[-1] != text:  # merged cells repeat their text
            cells.append(text)
    return " | ".join(cells)


def load_docx(data: bytes, name: str, options: LoadOptions = LoadOptions()) -> LoadedDoc:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    data = open_package(data, "DOCX", options)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds for broken packages
        raise IngestError("corrupt", f"could not open the DOCX: {exc}") from exc

    parts: list[str] = []
    length = 0
    sections: list[tuple[int, str]] = []
    headings = HeadingPath()
    first_heading = ""

    def emit(text: str) -> None:
        nonlocal length
        text = clean_text(text).strip()
        if text:
            parts.append(text + "\n")
            length += len(text) + 1

    for block in document.element.body.iterchildren():
        if not isinstance(block.tag, str):  # comments and processing instructions
            continue
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(block, document)
            level = _heading_level(para)
            text = para.text
            if level is not None and text.strip():
                first_heading = first_heading or " ".join(text.split())
                sections.append((length, headings.push(level, text)))
            emit(text)
        elif tag == "tbl":
            for row in Table(block, document).rows:
                emit(_row_text(row))

    seen: set[str] = set()
    extra: list[str] = []
    for sec in document.sections:
        for part in (sec.header, sec.footer):
            if part is None or part.is_linked_to_previous:
                continue
            text = "\n".join(p.text for p in part.paragraphs if p.text.strip())
            if text and text not in seen:
                seen.add(text)
                extra.append(text)
    if extra:
        sections.append((length, "Header/Footer"))
        for text in extra:
            emit(text)

    title = (document.core_properties.title or "").strip() or first_heading or stem_of(name)
    return LoadedDoc(
        pages=(Page(None, "".join(parts), tuple(sections)),), title=title,
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
