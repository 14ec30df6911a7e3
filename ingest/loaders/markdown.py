"""Markdown: front matter becomes metadata, ATX headings become sections, text stays as written."""

from __future__ import annotations

import re

from ingest.loaders.base import HeadingPath, LoadedDoc, LoadOptions, Page
from ingest.loaders.text import decode_bytes

_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def split_front_matter(text: str) -> tuple[dict, str]:
    m = _FRONT.match(text)
    if not m:
        return {}, text
    import yaml

    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError:
        meta = {}
    if not isinstance(meta, dict):
        meta = {}
    return {str(k): v for k, v in meta.items()}, text[m.end():]


def markdown_sections(text: str) -> tuple[tuple[tuple[int, str], ...], str]:
    """(offset, heading path) for every ATX heading outside code fences, and the first H1."""
    sections: list[tuple[int, str]] = []
    path = HeadingPath()
    in_fence = False
    first_h1 = ""
    offset = 0
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            m = _HEADING.match(line.rstrip("\n"))
            if m:
                level, title = len(m.group(1)), m.group(2).strip()
                if level == 1 and not first_h1:
                    first_h1 = title
                sections.append((offset, path.push(level, title)))
        offset += len(line)
    return tuple(sections), first_h1


def load_markdown(data: bytes, name: str, options: LoadOptions = LoadOptions()) -> LoadedDoc:
    text, encoding = decode_bytes(data)
    meta, body = split_front_matter(text)
    sections, first_h1 = markdown_sections(body)
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    title = str(meta.get("title") or first_h1 or stem)
    safe_meta = {k: v if isinstance(v, (str, int, float, bool)) else str(v) for k, v in meta.items()}
    return LoadedDoc(
        pages=(Page(None, body, sections),), title=title, mime="text/markdown",
        metadata={"encoding": encoding, "front_matter": safe_meta},
    )
