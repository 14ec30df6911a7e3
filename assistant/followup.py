"""Follow-up questions ("and for managers?", "那经理呢？") made standalone before retrieval.

With a chat model the conversation is rewritten by it (assistant/prompts.py). Without one, a
question that looks like a follow-up (a follow-up opener, or too few content terms to stand on
its own) gets the key words of the previous question that it lacks appended, so that retrieval
sees the subject again."""

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
        return carry_over(question, history[-1].question)
