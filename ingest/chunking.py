"""Sentence-, heading- and page-aware chunking with exact spans.

Every piece satisfies `page.text[start:end] == text`. Chunks never cross a page or a section
boundary; inside a section whole sentences (Chinese 。！？；… and English .!?) are packed up to
`size` characters, and the next chunk repeats whole trailing sentences up to `overlap` characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.loaders.base import Page
from kb.core.text import sentence_spans

CHUNKER_VERSION = "3"  # 3: chunk language by the one rule of kb.core.text.language

_WORD_BREAK = re.compile(r"[\s,，、:：]")


@dataclass(frozen=True)
class Piece:
    page: int | None
    start: int
    end: int
    text: str
    section: str


def _hard_split(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at word breaks near `size`, else exactly at `size`."""
    out: list[tuple[int, int]] = []
    pos = start
    while end - pos > size:
        cut = pos + size
        window = text[pos + size // 2 : cut]
        breaks = list(_WORD_BREAK.finditer(window))
        if breaks:
            cut = pos + size // 2 + breaks[-1].end()
        out.append((pos, cut))
        pos = cut
    out.append((pos, end))
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _pack(text: str, spans: list[tuple[int, int]], size: int, overlap: int):
    """Greedy packing of sentence spans into (start, end) windows with sentence overlap."""
    i = 0
    n = len(spans)
    while i < n:
        j = i
        while j + 1 < n and spans[j + 1][1] - spans[i][0] <= size:
            j += 1
        yield spans[i][0], spans[j][1]
        if j + 1 >= n:
            return
        nxt = j + 1
        for k in range(i + 1, j + 1):  # repeat trailing sentences, if the next one still fits
            if spans[j][1] - spans[k][0] <= overlap and spans[j + 1][1] - spans[k][0] <= size:
                nxt = k
                break
        i = nxt


def chunk_page(page: Page, size: int, overlap: int) -> list[Piece]:
    text = page.text
    bounds = sorted({0, len(text), *(o for o, _ in page.sections if 0 <= o <= len(text))})
    section_at = dict(page.sections)
    # A section holding only its heading (a title over sub-sections) joins the next section.
    merged: list[tuple[int, int, str]] = []
    current = ""
    carry: int | None = None
    for a, b in zip(bounds, bounds[1:]):
        current = section_at.get(a, current)
        start = a if carry is None else carry
        body = text[a:b].strip()
        heading = current.rsplit(" > ", 1)[-1]
        lone_heading = " ".join(body.lstrip("#").split()) == heading
        if b < len(text) and a in section_at and lone_heading:
            carry = start
            continue
        carry = None
        merged.append((start, b, current))
    if carry is not None:
        merged.append((carry, len(text), current))
    pieces: list[Piece] = []
    for a, b, current in merged:
        spans: list[tuple[int, int]] = []
        for s, e in sentence_spans(text, a, b):
            spans.extend(_hard_split(text, s, e, size) if e - s > size else [(s, e)])
        for s, e in _pack(text, spans, size, overlap):
            s, e = _trim(text, s, e)
            if e > s:
                pieces.append(Piece(page.number, s, e, text[s:e], current))
    return pieces


def chunk_pages(pages: Iterable[Page], size: int, overlap: int) -> list[Piece]:
    out: list[Piece] = []
    for page in pages:
        out.extend(chunk_page(page, size, overlap))
    return out


def context_text(title: str, section: str, text: str) -> str:
    """What the embedding model sees: the passage under its document title and section."""
    head = [h for h in (title, section.replace(" > ", " / ")) if h and h not in text[:200]]
    return "\n".join([*head, text])
