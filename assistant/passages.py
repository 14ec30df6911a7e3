"""The passages an answer may cite: the top hits, numbered from 1, split into sentences with
exact offsets. Sentences that read as instructions to an assistant are marked: they are data,
never evidence for an answer and never quoted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from kb.core.types import Hit
from kb.core.text import arabic_numerals, is_cjk, query_terms, sentence_spans, squash

# Phrases that address a model rather than a reader ("prompt injection"), zh + en.
INSTRUCTION = re.compile(
    r"ignore (?:all |any |the )?(?:previous|prior|above|earlier) (?:instructions|prompts?|rules)"
    r"|disregard (?:all |any |the )?(?:previous|prior|above) |system prompt"
    r"|you are now |as an ai (?:language )?model"
    r"|忽略(?:之前|以上|上述|前面|所有)|无视(?:之前|以上|上述|前面|所有)|系统提示|提示词",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Sentence:
    start: int  # offset in the chunk's text
    end: int
    text: str
    instruction: bool

    @cached_property
    def terms(self) -> frozenset[str]:
        return text_terms(self.text)


def text_terms(text: str) -> frozenset[str]:
    """The content terms of a text a question's key terms are looked up in: its words, and for
    Chinese also the characters of each word. jieba cuts an unfamiliar question word into
    characters (年假 -> 年, 假) that the text only holds inside longer words (年休假), so
    without them a colloquial question misses the very sentence that answers it."""
    terms = set(query_terms(arabic_numerals(text)))  # 二十年 and 20年 share the term 20
    terms.update(ch for term in list(terms) if len(term) > 1 and is_cjk(term) for ch in term)
    return frozenset(terms)


@dataclass(frozen=True)
class Passage:
    n: int  # 1-based, as cited
    hit: Hit

    @property
    def chunk(self):
        return self.hit.chunk

    @cached_property
    def sentences(self) -> tuple[Sentence, ...]:
        """Whole sentences: the chunker's spans, rejoined where it cut after a semicolon or an
        abbreviation ("Op. 10", "the U.S. Army"), so that a quote is a full statement."""
        text = self.chunk.text
        spans: list[list[int]] = []
        for start, end in sentence_spans(text, 0, len(text)):
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if end <= start:
                continue
            if spans and _continues(text[spans[-1][0]:spans[-1][1]], text[start:end],
                                    text[spans[-1][1]:start]):
                spans[-1][1] = end
            else:
                spans.append([start, end])
        return tuple(Sentence(a, b, text[a:b], bool(INSTRUCTION.search(text[a:b])))
                     for a, b in spans)

    @cached_property
    def context_terms(self) -> frozenset[str]:
        """Terms of the document's title and the passage's section: the subject a sentence of
        the passage may leave unsaid ("It flowers in May" under the title "Bluebell")."""
        title = self.chunk.title
        if title.rstrip().endswith(_ENDS):  # a sentence (a text file's first line), not a name:
            title = ""  # it says what it says, and lends nothing to the other sentences
        return text_terms(f"{title}\n{self.chunk.section}")

    def quotable(self, s: Sentence) -> bool:
        """A statement a quote may consist of: not an instruction to a model, more than a repeat
        of the title or section, not a bare list number ("5."), not a heading (a short line of
        its own without closing punctuation: "Meals and per diem"), and not a fragment (the
        second half of a sentence the chunker cut before this passage began)."""
        if s.instruction or s.terms <= self.context_terms or LIST_MARK.fullmatch(s.text):
            return False
        return not self.heading(s) and not self.fragment(s)

    def heading(self, s: Sentence) -> bool:
        text = self.chunk.text
        whole_line = (text[:s.start].rstrip(" \t").endswith("\n") or not text[:s.start].strip()
                      or bool(LIST_MARK.fullmatch(text[:s.start].rsplit("\n", 1)[-1].strip()))) \
            and (s.end == len(text) or text[s.end:].lstrip(" \t").startswith("\n"))
        line = text[:s.end].rsplit("\n", 1)[-1].lstrip()
        if not whole_line or s.text.rstrip().endswith(_ENDS) or "|" in s.text or \
                line.startswith(_BULLETS):  # a bullet point is a statement, not a heading
            return False
        return len(s.text.split()) <= HEADING_WORDS if not is_cjk(s.text) else \
            len(s.text) <= HEADING_CHARS

    def fragment(self, s: Sentence) -> bool:
        return s.start == 0 and self.chunk.char_start > 0 and s.text[:1].islower()

    @cached_property
    def terms(self) -> frozenset[str]:
        """Content terms of the passage, its title and section (what a sentence may draw on)."""
        c = self.chunk
        return text_terms(f"{c.title}\n{c.section}\n{c.text}")

    @cached_property
    def normalized(self) -> str:
        return squash(self.chunk.text)


# a list item's number or letter standing alone: "5.", "(b)", "iv)", "三、"
LIST_MARK = re.compile(r"[\s#*•·\-–(（]*(?:\d{1,3}(?:\.\d{1,3})*|[A-Za-z]|[ivxlcIVXLC]{1,6}|"
                       r"[一二三四五六七八九十百]{1,4})[.)．）、:：]?\s*")
HEADING_WORDS = 10  # a line without closing punctuation this short is a heading
HEADING_CHARS = 25
_ENDS = tuple(".!?;。！？；…\"'”’")
_BULLETS = tuple("-*•·–")


_ABBREVIATION = re.compile(
    r"(?:^|[\s(])(?:[A-Z]|(?:[A-Za-z]\.)+[A-Za-z]|Mr|Mrs|Ms|Dr|St|Jr|Sr|Op|No|Nos|vs|etc|"
    r"Inc|Ltd|Co|Corp|Gen|Gov|Sen|Rep|Rev|Prof|Mt|Ft|Sept?|approx|ca|cf)\.$")


_CLOSING = tuple(".!?:;。！？：；…\"'”’)）")


def _continues(prev: str, nxt: str, gap: str) -> bool:
    """Whether `nxt` continues the sentence `prev`: on the same line, or on the next line when
    `prev` has no closing punctuation and `nxt` starts in lower case (a PDF's hard line wrap:
    "Claims above 500 EUR also need" / "approval by the finance department.")."""
    if "\n" in gap:
        return gap.count("\n") == 1 and not prev.endswith(_CLOSING) and nxt[:1].islower()
    if prev.endswith((";", "；")):
        return True
    if prev.endswith("."):
        return bool(_ABBREVIATION.search(prev)) or nxt[:1].islower() or nxt[:1].isdigit()
    return False


def numbered(hits, k: int) -> list[Passage]:
    return [Passage(i, h) for i, h in enumerate(list(hits)[:k], start=1)]
