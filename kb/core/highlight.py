"""Where a query's terms occur in a passage, and a short snippet around them, for people."""

from __future__ import annotations

import re
import unicodedata

from kb.core.text import CJK_RE, TOKEN_RE, query_terms, segmenter, token


def term_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) spans of `text` whose keyword token is a query term."""
    terms = set(query_terms(query))
    if not terms:
        return []
    spans: list[tuple[int, int]] = []
    for m in TOKEN_RE.finditer(text):
        run = m.group()
        norm = unicodedata.normalize("NFKC", run).lower()
        if CJK_RE.match(norm):
            if len(norm) != len(run):
                continue  # compatibility forms change offsets; do not guess
            for word, s, e in segmenter().tokenize(norm, mode="search", HMM=True):
                if word in terms:
                    spans.append((m.start() + s, m.start() + e))
        elif token(norm) in terms:
            spans.append((m.start(), m.end()))
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest spans first wins; overlapping shorter ones (jieba's sub-words) are absorbed."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans, key=lambda se: (se[0], -(se[1] - se[0]))):
        if out and s < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def snippet(text: str, query: str, width: int = 240) -> tuple[str, list[tuple[int, int]]]:
    """A window of about `width` characters around the densest run of query terms (whitespace
    collapsed), with the term spans inside that window."""
    flat = re.sub(r"\s+", " ", text).strip()
    spans = term_spans(flat, query)
    if len(flat) <= width:
        return flat, spans
    best_start, best_n = 0, -1
    for s, _ in spans:  # the window starting a little before each hit; keep the densest
        start = max(0, min(s - width // 5, len(flat) - width))
        n = sum(1 for a, b in spans if a >= start and b <= start + width)
        if n > best_n:
            best_start, best_n = start, n
    start = best_start
    if start > 0 and flat[start - 1].isascii() and flat[start - 1].isalnum():
        space = flat.find(" ", start, start + 20)  # do not open in the middle of a word
        if space != -1 and all(a >= space + 1 for a, _ in spans if a >= start):
            start = space + 1
    end = min(len(flat), start + width)
    if end < len(flat) and flat[end].isascii() and flat[end].isalnum():
        space = flat.rfind(" ", end - 20, end)
        if space > start and all(b <= space for a, b in spans if start <= a < end):
            end = space
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    inside = [(a - start + len(prefix), b - start + len(prefix))
              for a, b in spans if a >= start and b <= end]
    return prefix + flat[start:end] + suffix, inside


def mark(text: str, spans: list[tuple[int, int]], before: str, after: str) -> str:
    """`text` with `before`/`after` around every span."""
    out, pos = [], 0
    for s, e in spans:
        out += [text[pos:s], before, text[s:e], after]
        pos = e
    out.append(text[pos:])
    return "".join(out)
