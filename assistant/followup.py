"""Follow-up questions ("and for managers?", "那经理呢？") made standalone before retrieval.

With a chat model the conversation is rewritten by it (assistant/prompts.py). Without one:

- a question that names a new aspect ("病假呢？", "What about sick leave?", "And in Munich?",
  "超过3天呢？") replaces the aspect of the previous question it changes: the part that shares
  its head word (年假 -> 病假, "annual leave" -> "sick leave"), that starts with the same
  preposition ("in Paris" -> "in Munich", 去上海 -> 去洛阳), or that is qualified the same way
  (3天以内 -> 超过3天, "up to 500 EUR" -> "above that" = "above 500 EUR"); an aspect that
  replaces nothing is added to the previous question ("男员工呢？" after "产假有多少天？" ->
  "男员工产假有多少天？");
- any other question too short to stand on its own gets the key words of the previous question
  that it lacks appended, so that retrieval sees the subject again;
- a question that does not look like a follow-up is left alone."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from assistant.prompts import rewrite_messages
from kb.core.types import Turn
from kb.core.stopwords import STOPWORDS
from kb.core.text import is_cjk, query_terms

log = logging.getLogger(__name__)

_OPENERS = re.compile(
    r"^\s*(?:and|also|but|what about|how about|what if|and what about|same for|then)\b"
    r"|^\s*(?:那|那么|还有|另外|如果是|换成|对于|那如果)|呢\s*[？?]?\s*$",
    re.IGNORECASE,
)
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9'\-]*|\d+")
MIN_TERMS = 3  # a question with fewer content terms rarely stands alone
# words of a question's form rather than its subject: never carried over
_FORM = frozenset("""many much long often get gets got give given tell know find say said
please can could 多少 几 几天 怎么 什么 哪些 吗 呢 请问""".split())


_OPENER = re.compile(
    r"^\s*(?:(?:and )?what about|how about|and|also|but|same for|then|"
    r"那如果|那么|那|还有|另外|换成|对于)[\s,，]*", re.IGNORECASE)
_TRAILER = re.compile(r"[\s]*(?:呢)?[\s]*[？?。.!！]*\s*$")
_QUALIFIER = re.compile(
    r"^(?:up to|more than|less than|at least|at most|longer than|shorter than|above|over|"
    r"under|below|within|不超过|超过|以上|以下|以内|之内|不满|满|低于|高于|少于|多于)(?=\s|\d|"
    r"[^\x00-\x7f]|$)", re.IGNORECASE)
_QUALIFIER_ANY = re.compile(
    r"\b(?:up to|more than|less than|at least|at most|longer than|shorter than|above|over|"
    r"under|below|within)\b|不超过|超过|以上|以下|以内|之内|不满|满|低于|高于|少于|多于",
    re.IGNORECASE)
_PRONOUN = re.compile(r"^(?:that|this|it|those|these|这个|那个|这|那)$", re.IGNORECASE)
# words that open a place or a condition: an aspect starting with one replaces the previous
# question's phrase starting with the same word
_LEADS = frozenset("in at on for from to by during 去 在 到 从 对 给 按".split())
_WORD = re.compile(r"[A-Za-z0-9][\w'\-]*")


def aspect_of(question: str) -> str | None:
    """What a follow-up names ("病假" in "那病假呢？", "sick leave" in "What about sick
    leave?"), or None when the question does not read as one."""
    opened = _OPENER.match(question)
    closed = re.search(r"呢\s*[？?]?\s*$", question)
    if not opened and not closed:
        return None
    aspect = _TRAILER.sub("", question[opened.end() if opened else 0:]).strip()
    return aspect or None


def replace_aspect(aspect: str, previous: str) -> str:
    """The previous question with the aspect the follow-up changes replaced by `aspect`."""
    qual = _QUALIFIER.match(aspect)
    rest = aspect[qual.end():].strip() if qual else aspect
    if qual and (not rest or _PRONOUN.match(rest)):
        m = _QUALIFIER_ANY.search(previous)  # "above that": the previous amount, other side
        if m:
            return previous[:m.start()] + qual.group() + previous[m.end():]
    span = _lead_span(rest, previous) or _shared_span(rest, previous)
    cjk = is_cjk(aspect) or is_cjk(previous)
    if span is None:
        if cjk:
            return aspect + previous.strip()
        body = previous.strip().rstrip("?？ ")
        return f"{body} {aspect}?"
    start, end = span
    if qual:  # the previous qualifier of that phrase goes: 3天以内 -> 超过3天
        after = _QUALIFIER.match(previous[end:].lstrip())
        if after:
            end = len(previous) - len(previous[end:].lstrip()) + after.end()
        before = re.search(rf"(?:{_QUALIFIER_ANY.pattern})\s*$", previous[:start], re.IGNORECASE)
        if before:
            start = before.start()
        rest = aspect
    return previous[:start] + rest + previous[end:]


def _words(text: str) -> list[tuple[str, int, int]]:
    if is_cjk(text):
        import jieba  # initialised by query_terms

        return [(w, a, b) for w, a, b in jieba.tokenize(text) if w.strip()]
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def _content(word: str) -> bool:
    w = word.lower()
    return bool(query_terms(word)) and w not in STOPWORDS and w not in _FORM


def _lead_span(rest: str, previous: str) -> tuple[int, int] | None:
    mine, theirs = _words(rest), _words(previous)
    if len(mine) < 2 or mine[0][0].lower() not in _LEADS:
        return None
    for i, (w, start, _) in enumerate(theirs):
        if w.lower() == mine[0][0].lower():
            last = i
            for j in range(i + 1, min(len(theirs), i + len(mine))):
                if not _content(theirs[j][0]):
                    break
                last = j
            return start, theirs[last][2]
    return None


def _shared_span(rest: str, previous: str) -> tuple[int, int] | None:
    """The phrase of `previous` sharing the aspect's head (its last word; for Chinese its
    last characters), as long as the aspect."""
    if rest in previous:
        at = previous.index(rest)
        return at, at + len(rest)
    if is_cjk(rest):
        best = None
        for k in range(len(previous)):
            n = 0
            while n < len(rest) and n <= k and previous[k - n] == rest[-1 - n] and \
                    is_cjk(previous[k - n]):
                n += 1
            if n and (best is None or n > best[1]):
                best = (k, n)
        if best is None:
            return None
        k, n = best
        start = k - n + 1
        while start > 0 and k - start + 1 < len(rest) and is_cjk(previous[start - 1]) and \
                not _QUALIFIER.match(previous[start - 1:]) and \
                previous[start - 1] not in STOPWORDS:
            start -= 1
        return start, k + 1
    mine = [w for w, _, _ in _words(rest)]
    while mine and mine[0].lower() in ("the", "a", "an", "my", "our", "your"):
        mine = mine[1:]
    if not mine or not _content(mine[-1]):
        return None
    head = set(query_terms(mine[-1]))
    theirs = _words(previous)
    for j in reversed(range(len(theirs))):  # the last: the head of the previous phrase
        w, _, end = theirs[j]
        if head and set(query_terms(w)) & head:
            first = j
            while first > 0 and j - first + 1 < len(mine) and _content(theirs[first - 1][0]):
                first -= 1
            return theirs[first][1], end
    return None


def looks_like_follow_up(question: str) -> bool:
    return bool(_OPENERS.search(question)) or len(query_terms(question)) < MIN_TERMS


def carry_over(question: str, previous: str) -> str:
    """The question plus the content words of `previous` it does not already have; a word
    sharing a term with the question is left behind (the question replaces that aspect)."""
    asked = set(query_terms(question))
    have = set(asked)
    words = []
    if is_cjk(previous):
        import jieba  # initialised by query_terms above

        candidates = [w for w in jieba.lcut(previous) if w.strip()]
    else:
        candidates = _LATIN.findall(previous)
    for w in candidates:
        if w.lower() in STOPWORDS or w.lower() in _FORM or not query_terms(w):
            continue
        terms = set(query_terms(w))
        if terms & asked:  # the follow-up restates this aspect ("full-time" -> "part-time")
            continue
        if not terms <= have:
            words.append(w)
            have |= terms
    if not words:
        return question
    sep = "" if is_cjk(question) and is_cjk(previous) else " "
    return f"{question.strip()}{sep}{sep.join(words) if sep else ''.join(words)}"


class FollowUps:
    def __init__(self, model=None, turns: int = 3) -> None:
        self.model = model  # a BaseChatModel, or None for the carry-over rule
        self.turns = turns

    def standalone(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return question
        if self.model is not None:
            recent = [(t.question, t.answer) for t in history[-self.turns:]]
            messages = rewrite_messages(question, recent)
            log.debug("rewrite prompt: %s", messages)
            text = str(self.model.invoke(messages).content).strip().splitlines()
            rewritten = text[0].strip() if text else ""
            return rewritten or question
        if not looks_like_follow_up(question):
            return question
        aspect = aspect_of(question)
        if aspect is not None:
            return replace_aspect(aspect, history[-1].question)
        return carry_over(question, history[-1].question)
