"""What every loader returns: pages of extracted text with section boundaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Page:
    """Extracted text of one page (or of the whole file when it has no pages).

    `sections` holds (offset, heading path) pairs: from `offset` on, text belongs to that section.
    """

    number: int | None
    text: str
    sections: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Attachment:
    """A file carried inside another (a mail attachment): ingested as its own document."""

    name: str
    data: bytes


@dataclass(frozen=True)
class LoadOptions:
    """What a loader may need beyond the bytes; built from Settings by the pipeline.

    `passwords` are the candidates configured for this one file (tried in order).
    """

    passwords: tuple[str, ...] = ()
    max_pages: int = 2000
    ocr: bool = True
    max_chars: int = 0  # extracted characters a document may have (0: no limit)


@dataclass(frozen=True)
class LoadedDoc:
    pages: tuple[Page, ...]
    title: str
    mime: str
    metadata: dict[str, Any] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()

    @property
    def chars(self) -> int:
        return sum(len(p.text) for p in self.pages)


def stem_of(name: str) -> str:
    """File name without folders and extension: the title of last resort."""
    return name.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def clean_text(text: str) -> str:
    """Text as every loader hands it on: no BOM, no NUL, Unix newlines."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").replace("\x00", "")


class HeadingPath:
    """Tracks nested headings ("Leave > Annual leave") while a loader walks a document."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def push(self, level: int, title: str) -> str:
        title = " ".join(title.split())
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, title))
        return self.path

    @property
    def path(self) -> str:
        return " > ".join(t for _, t in self._stack if t)
