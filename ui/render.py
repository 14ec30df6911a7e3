"""Pure helpers that turn records into page text (tested without Streamlit)."""

from __future__ import annotations

import html
import re
import string

from kb.core.types import Chunk

# Every ASCII punctuation character (CommonMark lets each be backslash-escaped): no link, image,
# HTML, entity, LaTeX (`$`) or emphasis survives. GFM's autolinks (`http://x`, `www.x`, `a@b.c`)
# are found in the text behind the escapes, so a word joiner (U+2060, invisible) follows each
# `:` and `@` and splits `www.`: no address is left for the browser to turn into a link.
_MD_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")
_JOIN = "\u2060"
_WWW = re.compile(r"(www)(\\\.)", re.IGNORECASE)


def escape_md(text: str) -> str:
    """`text` as literal text inside Markdown (answers, titles, paths, names, questions)."""
    out = _MD_SPECIAL.sub(r"\\\1", text)
    out = out.replace("\\:", "\\:" + _JOIN).replace("\\@", "\\@" + _JOIN)
    return _WWW.sub(r"\1" + _JOIN + r"\2", out)


def label(text: str) -> str:
    """A document-derived string (title, heading, path, file or folder name) as one line of
    literal text for a Markdown element, a button or a tab."""
    return escape_md(" ".join(text.split()))


def location(c: Chunk) -> str:
    parts = [c.path]
    if c.page:
        parts.append(f"p. {c.page}")
    if c.section:
        parts.append(c.section)
    return " · ".join(parts)


_CITE = re.compile(r"\\\[(\d+)\\\]")


def answer_markdown(text: str) -> str:
    """An answer as Markdown: document text escaped (it is data, never markup), `[n]` in bold."""
    return _CITE.sub(r"**[\1]**", escape_md(text))


def passage_html(before: str, quote: str, after: str) -> str:
    """The quoted passage highlighted inside its surrounding text; everything escaped."""
    body = (f"{html.escape(before)}<mark class='kb-quote'>{html.escape(quote)}</mark>"
            f"{html.escape(after)}")
    return (f"<div class='kb-passage' style='white-space:pre-wrap;line-height:1.6'>{body}</div>")


def marked_html(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` escaped, with the given spans in <mark>."""
    out, pos = [], 0
    for s, e in spans:
        out += [html.escape(text[pos:s]), "<mark>", html.escape(text[s:e]), "</mark>"]
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out)
