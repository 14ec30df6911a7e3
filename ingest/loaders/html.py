"""HTML: visible text only (script, style, templates and hidden elements dropped), headings as
sections, block elements on their own lines."""

from __future__ import annotations

import re

from ingest.loaders.base import HeadingPath, LoadedDoc, LoadOptions, Page
from ingest.loaders.text import decode_bytes

_SKIP = {"script", "style", "noscript", "template", "head", "svg", "canvas", "iframe", "object"}
_BLOCK = {
    "p", "div", "section", "article", "header", "footer", "nav", "aside", "main", "li", "ul",
    "ol", "table", "tr", "thead", "tbody", "tfoot", "br", "hr", "blockquote", "pre", "dt", "dd",
    "dl", "figure", "figcaption", "form", "address", "details", "summary", "caption", "body",
    "h1", "h2", "h3", "h4", "h5", "h6",
}
_CELL = {"td", "th"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_WS = re.compile(r"\s+")


_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"^[a-z0-9]*([.#])([\w-]+)$", re.I)


def hidden_selectors(soup) -> tuple[frozenset[str], frozenset[str]]:
    """(classes, ids) that the page's own <style> blocks hide with display:none or
    visibility:hidden; only simple selectors (`.x`, `#y`, `div.x`), which is what pages use."""
    classes: set[str] = set()
    ids: set[str] = set()
    for style in soup.find_all("style"):
        for selectors, body in _CSS_RULE.findall(style.get_text()):
            if not _HIDDEN_STYLE.search(body):
                continue
            for selector in selectors.split(","):
                m = _SIMPLE_SELECTOR.match(selector.strip())
                if m:
                    (classes if m.group(1) == "." else ids).add(m.group(2))
    return frozenset(classes), frozenset(ids)


def _hidden(tag, hidden: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())) -> bool:
    attrs = tag.attrs or {}
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true":
        return True
    classes, ids = hidden
    if classes and any(c in classes for c in attrs.get("class") or ()):
        return True
    if ids and attrs.get("id") in ids:
        return True
    return bool(_HIDDEN_STYLE.search(str(attrs.get("style", ""))))


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.sections: list[tuple[int, str]] = []
        self.headings = HeadingPath()

    def write(self, s: str) -> None:
        self.parts.append(s)
        self.length += len(s)

    def newline(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.write("\n")

    def inline(self, s: str) -> None:
        s = _WS.sub(" ", s)
        if not s.strip():
            if self.parts and not self.parts[-1].endswith((" ", "\n")):
                self.write(" ")
            return
        if not self.parts or self.parts[-1].endswith("\n"):
            s = s.lstrip()
        self.write(s)


def _walk(node, out: _Writer, hidden=(frozenset(), frozenset())) -> None:
    from bs4 import Comment, NavigableString, Tag

    for child in node.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:
                out.inline(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name.lower() if child.name else ""
        if name in _SKIP or _hidden(child, hidden):
            continue
        if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
            out.newline()
            title = _WS.sub(" ", child.get_text(" ")).strip()
            if title:
                out.sections.append((out.length, out.headings.push(int(name[1]), title)))
        elif name in _BLOCK:
            out.newline()
        _walk(child, out, hidden)
        if name in _CELL:
            out.write(" | ")
        elif name in _BLOCK:
            out.newline()


def load_html(data: bytes, name: str, options: LoadOptions = LoadOptions()) -> LoadedDoc:
    import warnings

    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    text, encoding = decode_bytes(data)
    with warnings.catch_warnings():  # XHTML and SEC filings start with <?xml ...?>; HTML is right
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(text, "lxml")
    title_tag = soup.find("title")
    title = _WS.sub(" ", title_tag.get_text()).strip() if title_tag else ""
    out = _Writer()
    _walk(soup.body or soup, out, hidden_selectors(soup))
    body = "".join(out.parts)  # already clean: decode_bytes cleaned, whitespace is collapsed
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if not title and out.sections:
        title = out.sections[0][1].split(" > ")[0]
    return LoadedDoc(
        pages=(Page(None, body, tuple(out.sections)),), title=title or stem, mime="text/html",
        metadata={"encoding": encoding},
    )
