"""A small assistant that obeys the assistant contract (kb.core.types.AnswerEvent), over the real
searcher: it quotes the sentence of the best hit that holds most of the question's terms, and
refuses when no sentence holds at least half of them. Deterministic; for page tests only."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from kb.core.types import Answer, AnswerEvent, Citation, Principal, Turn
from kb.core.highlight import term_spans
from kb.core.text import is_cjk, query_terms

_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?|[^.\n]+\.?")
NOT_FOUND = {"zh": "知识库中没有找到答案。", "en": "Not found in the knowledge base."}


class QuotingAssistant:
    def __init__(self, searcher, k: int = 5) -> None:
        self.searcher = searcher
        self.k = k
        self.calls: list[tuple[str, Principal, tuple[Turn, ...]]] = []

    def ask(self, question: str, principal: Principal, history: Sequence[Turn] = ()) -> Answer:
        return [e for e in self.stream(question, principal, history)][-1].answer

    def stream(self, question: str, principal: Principal,
               history: Sequence[Turn] = ()) -> Iterator[AnswerEvent]:
        self.calls.append((question, principal, tuple(history)))
        if history:  # a follow-up is searched together with the previous question
            question = f"{history[-1].question} {question}"
        hits = tuple(self.searcher.search(question, principal, k=self.k)) if question.strip() else ()
        yield AnswerEvent("hits", hits=hits)
        lang = "zh" if is_cjk(question) else "en"
        terms = set(query_terms(question))
        best = None
        for hit in hits:
            for m in _SENTENCE.finditer(hit.chunk.text):
                n = len({m.group()[s:e].lower() for s, e in term_spans(m.group(), question)})
                if m.group().strip() and (best is None or n > best[0]):
                    best = (n, hit, m)
        if not question.strip() or best is None or best[0] * 2 < max(1, len(terms)):
            reason = "no_question" if not question.strip() else "not_found"
            answer = Answer(NOT_FOUND[lang], (), True, reason, hits, {}, question)
            yield AnswerEvent("answer", answer=answer)
            return
        _, hit, m = best
        c = hit.chunk
        quote = m.group().strip()
        start = c.char_start + m.start() + (len(m.group()) - len(m.group().lstrip()))
        cite = Citation(1, c.doc_id, c.path, c.page, start, start + len(quote), quote, c.section)
        text = f"{quote} [1]"
        half = len(text) // 2
        yield AnswerEvent("delta", text=text[:half])
        yield AnswerEvent("delta", text=text[half:])
        yield AnswerEvent("answer", answer=Answer(text, (cite,), False, "", hits, {}, question))
