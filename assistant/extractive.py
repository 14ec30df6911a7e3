"""The default answerer: quotes the sentences of the passages that answer the question, in
reading order, each with [n] (its passage), under one framing sentence in the question's
language. It writes nothing that is not a quote, and needs no model."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from assistant.evidence import Evidence, Scored
from assistant.language import FRAMING, quote
from assistant.passages import Passage


# Questions whose answer is a number or a date, and what such an answer looks like.
_WANTS_NUMBER = re.compile(
    r"^\s*(?:how (?:many|much|long|old|far|large|big|tall|high)|in what year|what year|when)\b"
    r"|\b(?:what|which) (?:year|date|month|decade|century|percentage|number)\b"
    r"|多少|几|多久|多长|多大|多高|多远|何时|哪一?年|哪天|什么时候|年份|日期",
    re.IGNORECASE)
_NUMBER = re.compile(r"\d|[一二三四五六七八九十百千万亿两]+[年月日天个种次位名人岁倍]|"
                     r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                     r"hundred|thousand|million|billion|dozen)\b", re.IGNORECASE)


def wants_number(question: str) -> bool:
    return bool(_WANTS_NUMBER.search(question))


class ExtractiveAnswerer:
    """Picks the best sentence (evidence.Evidence.sentences: coverage of the question's key terms
    by the sentence and its document's title, its passage's coverage, retrieval rank), then up
    to `max_quotes` in all: sentences of the same passage scoring at least `same_passage` of the
    best, and of another passage at least `other_passage` of it (a second source must be as
    good: each extra passage is a citation that may not hold the answer). The `context`
    sentences on each side of the best one are quoted with it: the answer to "when" or "who" is
    often in the sentence next to the one that repeats the question's words.

    Measured on ../shared/eval (docs/ANSWERS.md): quoting the neighbours raised accuracy by
    2-5 points; a rank penalty of 0.1 chose a passage holding the answer more often than 0.03."""

    def __init__(self, max_quotes: int = 3, context: int = 1, same_passage: float = 0.75,
                 other_passage: float = 1.0, rank_penalty: float = 0.1,
                 passage_weight: float = 0.25, number_bonus: float = 0.2,
                 similarity: Callable[[str, list[str]], list[float]] | None = None) -> None:
        # (question, sentences) -> similarities: picks the sentence when the best passage is in
        # the other language, where no key term can match (kb.app.wiring uses the embedder)
        self.similarity = similarity
        # added to sentences holding a number when the question asks for one (how many, when)
        self.number_bonus = number_bonus
        self.rank_penalty = rank_penalty
        self.passage_weight = passage_weight
        self.max_quotes = max_quotes
        self.same_passage = same_passage
        self.other_passage = other_passage
        self.before = self.after = context

    def select(self, evidence: Evidence, question: str = "") -> list[Scored]:
        if evidence.crosslang:
            return self._across_languages(evidence, question)
        ranked = evidence.sentences(self.rank_penalty, self.passage_weight)
        if self.number_bonus and wants_number(question):
            ranked = sorted(
                (Scored(x.passage, x.sentence,
                        x.score + self.number_bonus * bool(_NUMBER.search(x.sentence.text)),
                        x.coverage) for x in ranked),
                key=lambda x: (-x.score, x.passage.n, x.sentence.start))
        if not ranked:
            return []
        best = ranked[0]
        chosen = [best]
        for s in ranked[1:]:
            if len(chosen) >= self.max_quotes:
                break
            ratio = self.same_passage if s.passage.n == best.passage.n else self.other_passage
            if s.coverage > 0 and s.score >= ratio * best.score:
                chosen.append(s)
        return self._with_context(best, chosen)

    def _with_context(self, best: Scored, chosen: list[Scored]) -> list[Scored]:
        sents = [x for x in best.passage.sentences if best.passage.quotable(x)]
        i = sents.index(best.sentence)
        have = {(c.passage.n, c.sentence.start) for c in chosen}
        for x in sents[max(0, i - self.before):i] + sents[i + 1:i + 1 + self.after]:
            if (best.passage.n, x.start) not in have:
                chosen.append(Scored(best.passage, x, 0.0, 0.0))
        return sorted(chosen, key=lambda s: (s.passage.n, s.sentence.start))

    def _across_languages(self, evidence: Evidence, question: str) -> list[Scored]:
        """The best passage is in the other language: its sentence most similar to the question
        (by the embedder), else its first, with the context around it."""
        p = evidence.passages[0]
        sents = [x for x in p.sentences if p.quotable(x)]
        if not sents:
            return []
        scores = (self.similarity(question, [x.text for x in sents])
                  if self.similarity is not None and question else [0.0] * len(sents))
        i = max(range(len(sents)), key=lambda j: (scores[j], -j))
        best = Scored(p, sents[i], float(scores[i]), 0.0)
        return self._with_context(best, [best])

    def stream(self, question: str, passages: Sequence[Passage], evidence: Evidence,
               lang: str) -> Iterator[str]:
        chosen = self.select(evidence, question)
        if not chosen:
            return
        yield FRAMING[lang] + "\n"
        for s in chosen:
            yield f"{quote(s.sentence.text, lang)} [{s.passage.n}]\n"
