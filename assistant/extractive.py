"""The default answerer: quotes the sentences of the passages that answer the question, the
one that answers first and the others in reading order, each with [n] (its passage), under one
framing sentence in the question's language. It writes nothing that is not a quote, and needs
no model."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from assistant.asks import asks, holds
from assistant.evidence import Evidence, Scored
from assistant.language import FRAMING, quote
from assistant.passages import Passage
from kb.core.text import is_wide, squash


class ExtractiveAnswerer:
    """Quotes the answer and only the answer.

    The lead is the best sentence (evidence.Evidence.sentences: coverage of the question's key
    terms by the sentence and its document's title, its passage's coverage, retrieval rank),
    among those holding what the question asks for (assistant/asks.py: a number, a time, a
    person or body) when it asks for one; `kind_bonus` is added to those. Up to `max_quotes`
    sentences in all, each added only when it adds answer content: it covers a key term the
    quotes so far do not, and scores at least `same_passage` of the lead (same passage) or
    `other_passage` of it (another passage: a second source is a citation that may not hold the
    answer, unless it holds a part of the question the lead does not, as in "who won the men's
    and the women's title", where `complement` of the lead is enough). When the question asks
    for a number, a time or a person and the lead lacks it, the nearest of the `context`
    sentences on each side that holds it is quoted too (the answer to "when" is often in the
    sentence after the one that repeats the question's words); when no candidate holds it at
    all, there is no answer (the assistant refuses). Headings, list numbers and fragments are
    never quoted (assistant/passages.py: Passage.quotable)."""

    def __init__(self, max_quotes: int = 3, context: int = 1, same_passage: float = 0.75,
                 other_passage: float = 1.0, complement: float = 0.6,
                 rank_penalty: float = 0.1, passage_weight: float = 0.25,
                 kind_bonus: float = 0.2,
                 similarity: Callable[[str, list[str]], list[float]] | None = None,
                 across: int = 3, embedded: int = 6, unit_weight: float = 0.2,
                 close: float = 0.1, sim_weight: float = 0.5,
                 literal_weight: float = 0.25, close_embedded: int = 4) -> None:
        # (question, sentences) -> similarities: picks the sentence when the best passage is in
        # the other language, where no key term can match, and settles close calls between
        # the best sentences of the same language (kb.app.wiring uses the embedder)
        self.similarity = similarity
        self.across = across  # other-language passages a cross-language quote is sought in
        self.embedded = embedded  # most candidate sentences embedded per question
        self.unit_weight = unit_weight
        self.close = close  # a lead by less than this is a close call, settled by similarity
        self.sim_weight = sim_weight
        self.literal_weight = literal_weight
        self.close_embedded = close_embedded  # sentences compared in a close call
        self.kind_bonus = kind_bonus
        self.rank_penalty = rank_penalty
        self.passage_weight = passage_weight
        self.max_quotes = max_quotes
        self.same_passage = same_passage
        self.other_passage = other_passage
        self.complement = complement
        self.context = context

    def select(self, evidence: Evidence, question: str = "") -> list[Scored]:
        kind = asks(question)
        own = _latin_words(question)
        if evidence.crosslang:
            return self._across_languages(evidence, question, kind)
        ranked = evidence.sentences(self.rank_penalty, self.passage_weight)
        if kind and self.kind_bonus:
            ranked = sorted(
                (Scored(x.passage, x.sentence,
                        x.score + self.kind_bonus * holds_new(kind, x.sentence.text, own), x.coverage)
                 for x in ranked),
                key=lambda x: -round(x.score, 9))  # stable: ties keep the evidence's order
        ranked = [x for x in ranked if x.coverage > 0]
        if not ranked:
            return []
        ranked = self._break_close_call(ranked, question, evidence)
        best = ranked[0]
        chosen = [best]
        parts = bool(_PARTS.search(question))
        covered = set(evidence.covered(best.sentence.terms | best.passage.context_terms))
        for s in ranked[1:]:
            if len(chosen) >= self.max_quotes:
                break
            new = evidence.covered(s.sentence.terms | s.passage.context_terms) - covered
            if not new:
                continue  # says again what is quoted, or something else
            if s.passage.n == best.passage.n:
                ratio = self.same_passage
            else:  # a part of a question in parts that the lead's passage lacks altogether
                ratio = self.complement if parts and not (evidence.covered(
                    best.passage.terms) & new) else self.other_passage
            if s.score >= ratio * best.score:
                chosen.append(s)
                covered |= new
        extra = None
        if kind and not any(holds_new(kind, c.sentence.text, own) for c in chosen):
            extra = self._neighbour_holding(best, kind, own)
            if extra is None:
                return []  # nothing quoted says what was asked: not an answer
            chosen.append(extra)
        rest = sorted(chosen[1:], key=lambda s: (s.passage.n, s.sentence.start))
        if extra is not None and extra.passage.n == best.passage.n and \
                extra.sentence.start < best.sentence.start:
            return [extra, best] + [s for s in rest if s is not extra]  # it reads on into it
        return [best] + rest

    def _break_close_call(self, ranked: list[Scored], question: str,
                          evidence: Evidence) -> list[Scored]:
        """When the best two sentences score within `close` of each other, key terms cannot
        tell which answers: the `close_embedded` best are compared with the question by the
        embedder, and the lead is the one with the best score plus `sim_weight` times its
        similarity and `literal_weight` times its share of the question's own words
        (`Evidence.literal_share`: "up to 500 EUR" against "above 500 EUR", which the embedder
        hardly tells apart); the others keep their order. A clear lead embeds nothing."""
        if self.similarity is None or self.close <= 0 or len(ranked) < 2 or \
                ranked[0].score - ranked[1].score >= self.close:
            return ranked
        top = ranked[: self.close_embedded]
        sims = self.similarity(question, [x.sentence.text for x in top])
        i = max(range(len(top)), key=lambda j: (
            top[j].score + self.sim_weight * sims[j]
            + self.literal_weight * evidence.literal_share(top[j].sentence.text), -j))
        return [top[i]] + [x for x in ranked if x is not top[i]]

    def _neighbour_holding(self, best: Scored, kind: str,
                           own: frozenset[str]) -> Scored | None:
        """The nearest quotable sentence within `context` of the lead that holds `kind`."""
        sents = [x for x in best.passage.sentences if best.passage.quotable(x)]
        i = sents.index(best.sentence)
        for d in range(1, self.context + 1):
            for j in (i + d, i - d):
                if 0 <= j < len(sents) and holds_new(kind, sents[j].text, own):
                    return Scored(best.passage, sents[j], 0.0, 0.0)
        return None

    def _across_languages(self, evidence: Evidence, question: str,
                          kind: str) -> list[Scored]:
        """The best passage is in the other language: among the quotable sentences of the first
        `across` other-language passages (holding what the question asks for, when it asks for
        something: none, no answer), the `embedded` that hold most of the question's words in
        the other language's forms (Evidence.units: dictionary translations, names, numbers)
        are compared with the question by the embedder; the quote is the one with the best
        similarity plus `unit_weight` times that share, less the rank penalty."""
        others = [p for p in evidence.passages if evidence.other_language(p)][: self.across]
        cands = []
        for p in others:
            for x in p.sentences:
                if p.quotable(x) and (not kind or holds(kind, x.text)):
                    share = evidence.unit_share(squash(x.text), x.terms | p.context_terms)
                    cands.append((share - self.rank_penalty * (p.n - others[0].n), p, x))
        if not cands:
            return []
        cands.sort(key=lambda c: -c[0])  # stable: reading order among equals
        cands = cands[: self.embedded]
        scores = (self.similarity(question, [x.text for _, _, x in cands])
                  if self.similarity is not None and question else [0.0] * len(cands))
        i = max(range(len(cands)),
                key=lambda j: (scores[j] + self.unit_weight * cands[j][0], -j))
        _, p, x = cands[i]
        return [Scored(p, x, float(scores[i]), 0.0)]

    def stream(self, question: str, passages: Sequence[Passage], evidence: Evidence,
               lang: str) -> Iterator[str]:
        chosen = self.select(evidence, question)
        if not chosen:
            return
        yield FRAMING[lang] + "\n"
        for s in chosen:
            yield f"{quote(one_line(s.sentence.text), lang)} [{s.passage.n}]\n"


# a question in parts: "who won the men's and the women's title", "A和B分别是谁"
_PARTS = re.compile(r"\b(?:and|both|as well as)\b|[和与及、]|分别|以及", re.IGNORECASE)
_LATIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\-]*")


def _latin_words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _LATIN.findall(text))


def holds_new(kind: str, text: str, own: frozenset[str]) -> bool:
    """`text` holds what was asked beyond the question's own words: "Introducing Pixel 5a"
    holds no date for "When was Pixel 5a announced?"."""
    return holds(kind, _LATIN.sub(lambda m: " " if m.group().lower() in own else m.group(),
                                  text))


def one_line(text: str) -> str:
    """A sentence as one line, however its document wrapped it (a PDF's hard line breaks);
    verification finds it again up to whitespace."""
    out = ""
    for part in (p.strip() for p in text.split("\n")):
        if part:
            out += ("" if not out or (is_wide(out[-1]) and is_wide(part[0])) else " ") + part
    return re.sub(r"[ \t]+", " ", out)
