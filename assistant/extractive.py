"""The default answerer: quotes the sentences of the passages that answer the question, in
reading order, each with [n] (its passage), under one framing sentence in the question's
language. It writes nothing that is not a quote, and needs no model."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from assistant.evidence import Evidence, Scored
from assistant.language import FRAMING, quote
from assistant.passages import Passage


class ExtractiveAnswerer:
    """Picks the best sentence (evidence.Evidence.sentences: coverage of the question's key terms,
    its passage's coverage, retrieval rank), then up to `max_quotes` in all: sentences of the same
    passage scoring at least `same_passage` of the best, and of another passage at least
    `other_passage` of it (a second source must be nearly as good: each extra passage is a
    citation that may not hold the answer)."""

    def __init__(self, max_quotes: int = 3, same_passage: float = 0.75,
                 other_passage: float = 0.95) -> None:
        self.max_quotes = max_quotes
        self.same_passage = same_passage
        self.other_passage = other_passage

    def select(self, evidence: Evidence) -> list[Scored]:
        ranked = evidence.sentences()
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
        return sorted(chosen, key=lambda s: (s.passage.n, s.sentence.start))

    def stream(self, question: str, passages: Sequence[Passage], evidence: Evidence,
               lang: str) -> Iterator[str]:
        chosen = self.select(evidence)
        if not chosen:
            return
        yield FRAMING[lang] + "\n"
        for s in chosen:
            yield f"{quote(s.sentence.text, lang)} [{s.passage.n}]\n"
