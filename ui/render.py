"""Pure helpers that turn records into page text (tested without Streamlit)."""

from __future__ import annotations

import re

from kb.types import Chunk
from retriever.tokens import tokenize

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<])")


def escape_md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def location(c: Chunk) -> str:
    parts = [c.path]
    if c.page:
        parts.append(f"p. {c.page}")
    if c.section:
        parts.append(c.section)
    return " · ".join(parts)


def highlight(text: str, query: str, limit: int = 400) -> str:
    """Markdown snippet with the query's words in bold (Chinese words as jieba cuts them)."""
    snippet = " ".join(text.split())
    if len(snippet) > limit:
        snippet = snippet[:limit] + "…"
    terms = sorted({t for t in tokenize(query) if len(t) > 1 or not t.isascii()}, key=len,
                   reverse=True)
    out = escape_md(snippet)
    if not terms:
        return out
    pattern = re.compile("|".join(re.escape(escape_md(t)) for t in terms), re.IGNORECASE)
    return pattern.sub(lambda m: f"**{m.group(0)}**", out)
