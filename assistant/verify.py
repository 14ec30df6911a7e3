"""Citation verification, run on every answer before anyone sees it.

The answer is cut into units: each quote followed by its citations (`"…" [2]`) is one unit,
whatever line breaks it holds (the answerer's quote of a sentence a PDF wrapped is one quote),
and the rest, line by line, into its sentences (kb.core.text.sentence_spans; a fragment made
only of citations belongs to the sentence before it). A unit stays only if a passage it cites supports it:

- a quoted text must occur in the passage (exactly, or equal after NFKC, lower case and
  whitespace removal), outside any sentence that reads as an instruction to a model;
- an unquoted sentence must share at least `min_overlap` of its content terms with the passage
  (its non-instruction sentences, title and section), and every number in it must occur there.

Citation numbers that name no passage are dropped, as are citations of passages that do not
support the unit. The kept units cite their evidence as [1], [2], ... in order of first
appearance; each citation is one exact span of a passage (the quote, or the passage sentence
that overlaps the unit most). A fixed framing sentence may stay without a citation, but it does
not count as an answer: when no unit is supported the caller refuses with reason `unsupported`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.passages import Passage
from kb.core.types import Citation
from kb.core.text import query_terms, sentence_spans, squash

_CITES = r"(?:\[\s*\d+(?:\s*[,，、]\s*\d+)*\s*\]\s*)+"
CITATION = re.compile(r"\[\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*\]")
# a quote and its citations, at the start of a unit: it may run over line breaks, never over a
# blank line, a citation or a line that opens another quote
QUOTE_UNIT = re.compile(
    rf"[ \t]*[“\"「『](?P<quote>(?:(?!\[\s*\d)(?!\n\s*\n)(?!\n\s*[“\"「『]).)+?)[”\"」』]"
    rf"[ \t]*(?P<cites>{_CITES})[.。]?[ \t]*(?=\n|$)", re.S)
LEADING_CITES = re.compile(rf"^\s*{_CITES}[.。,，;；]?\s*")
QUOTED = re.compile(r"[“\"「『]([^“”\"「」『』]{4,})[”\"」』]")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass
class Unit:
    line: int
    text: str  # without citation markers
    cited: list[int]
    quote: str = ""  # set for a quote line
    body: str = ""  # a quote line as written, quotation marks included


@dataclass(frozen=True)
class Verified:
    text: str
    citations: tuple[Citation, ...]
    supported: int  # units kept because a passage supports them
    removed: tuple[str, ...]  # the units dropped, for logs and tests


def units(answer: str) -> list[Unit]:
    out: list[Unit] = []
    pos, line = 0, 0  # `line` numbers the output lines: each quote, each other line
    while pos < len(answer):
        m = QUOTE_UNIT.match(answer, pos)
        if m:
            quote = m.group("quote")
            out.append(Unit(line, quote, _numbers(m.group("cites")), quote,
                            answer[pos:m.start("cites")].strip()))
        else:
            end = answer.find("\n", pos)
            m = None
            _sentences(answer[pos:len(answer) if end < 0 else end], line, out)
        pos = (m.end() if m else (len(answer) if end < 0 else end)) + 1
        line += 1
    return out


def _sentences(text: str, i: int, out: list[Unit]) -> None:
    """The units of a line that is not a quote: its sentences."""
    for start, end in sentence_spans(text, 0, len(text)):
        piece = text[start:end]
        if not piece.strip():
            continue
        lead = LEADING_CITES.match(piece)
        if lead and out and out[-1].line == i:  # "... leave. [1] They ..." : [1] is before
            out[-1].cited.extend(_numbers(lead.group()))
            piece = piece[lead.end():]
            if not piece.strip():
                continue
        body = re.sub(r"\s+([.。,，;；!?！？])", r"\1", CITATION.sub("", piece)).strip()
        out.append(Unit(i, body, _numbers(piece)))


def _numbers(text: str) -> list[int]:
    return [int(n) for m in CITATION.finditer(text) for n in re.split(r"[,，、\s]+", m.group(1))
            if n]


def support(unit: Unit, p: Passage, min_overlap: float) -> tuple[int, int] | None:
    """The span of `p`'s text (chunk offsets) supporting the unit, or None."""
    evidence = [s for s in p.sentences if not s.instruction]
    if not evidence:
        return None
    quotes = [unit.quote] if unit.quote else QUOTED.findall(unit.text)
    if quotes:
        spans = [_find(q, p) for q in quotes]
        if any(s is None for s in spans):
            return None
        return min(s[0] for s in spans), max(s[1] for s in spans)  # type: ignore[index]
    terms = set(query_terms(unit.text))
    if not terms:
        return None
    allowed = set(query_terms(f"{p.chunk.title}\n{p.chunk.section}"))
    for s in evidence:
        allowed |= s.terms
    if len(terms & allowed) / len(terms) < min_overlap:
        return None
    text = squash(" ".join(s.text for s in evidence))
    if any(squash(n) not in text for n in NUMBER.findall(unit.text)):
        return None
    best = max(evidence, key=lambda s: (len(terms & s.terms), -s.start))
    return best.start, best.end


def _find(quote: str, p: Passage) -> tuple[int, int] | None:
    text = p.chunk.text
    at = text.find(quote.strip())
    if at >= 0:
        span = (at, at + len(quote.strip()))
    else:  # equal up to case, width and whitespace: cite the sentences it falls in
        q = squash(quote)
        if not q or q not in p.normalized:
            return None
        span = next(((s.start, s.end) for s in p.sentences if q in squash(s.text)), None)
        if span is None:
            return None
    if any(s.instruction and s.start < span[1] and span[0] < s.end for s in p.sentences):
        return None
    return span


def verify(answer: str, passages: Sequence[Passage], exempt: Iterable[str] = (),
           min_overlap: float = 0.6, joiner: str = " ") -> Verified:
    by_n = {p.n: p for p in passages}
    exempt_keys = {squash(e) for e in exempt}
    numbering: dict[tuple[int, int, int], int] = {}
    citations: list[Citation] = []
    lines: dict[int, list[str]] = {}
    removed: list[str] = []
    supported = 0
    for u in units(answer):
        if not u.cited and squash(u.text) in exempt_keys:
            lines.setdefault(u.line, []).append(u.text)
            continue
        marks = []
        for n in dict.fromkeys(u.cited):
            p = by_n.get(n)
            span = support(u, p, min_overlap) if p is not None else None
            if span is None:
                continue
            key = (p.n, *span)
            if key not in numbering:
                numbering[key] = len(numbering) + 1
                c = p.chunk
                citations.append(Citation(
                    n=numbering[key], doc_id=c.doc_id, path=c.path, page=c.page,
                    char_start=c.char_start + span[0], char_end=c.char_start + span[1],
                    quote=c.text[span[0]:span[1]], section=c.section))
            marks.append(f"[{numbering[key]}]")
        if not marks:
            removed.append(u.text)
            continue
        supported += 1
        body = u.body or u.text
        lines.setdefault(u.line, []).append(f"{body} {''.join(marks)}")
    text = "\n".join(joiner.join(parts) for _, parts in sorted(lines.items()))
    return Verified(text if supported else "", tuple(citations), supported, tuple(removed))
