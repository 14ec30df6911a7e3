"""How well the retrieved passages cover a question: the numbers the refusal decision and the
extractive answerer both read.

A question's key terms are its content terms (kb/core/text.py: jieba words, stemmed English),
each weighted by its inverse document frequency among the chunks the asker may read, so that
"employees" counts for little and a name for a lot. Coverage is the weighted share of the key
terms found in a text."""

from __future__ import annotations

import re

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from assistant.passages import Passage, Sentence

FEATURES = ("keyword", "dense", "agreement", "sentence_coverage", "passage_coverage")
UNKNOWN_TERM_WEIGHT = 1.0  # each term's weight when no statistics are given at all


@dataclass(frozen=True)
class Scored:
    passage: Passage
    sentence: Sentence
    score: float
    coverage: float


class Evidence:
    def __init__(self, terms: Sequence[str], weights: Mapping[str, float],
                 passages: Sequence[Passage], lang: str = "",
                 equivalents: Mapping[str, Iterable[str]] | None = None,
                 question: str = "") -> None:
        self.lang = lang  # the question's, 'zh' or 'en' ('' = unknown)
        self.terms = list(terms)
        # terms that stand for a key term in a text (synonyms, translations: 票据 -> 发票,
        # 酒店 -> hotel), as content terms; a text holding one covers the key term
        self.equivalents = {t: frozenset(v) for t, v in (equivalents or {}).items() if v}
        # a term the statistics do not know weighs as the rarest one they know (KeywordIndex.
        # term_weights already gives a term no readable chunk holds the idf of df 0)
        rarest = max((float(w) for w in weights.values()), default=UNKNOWN_TERM_WEIGHT)
        self.weights = {t: float(weights.get(t, rarest)) or rarest for t in self.terms}
        self.total = sum(self.weights.values())
        self.passages = list(passages)
        self.literal = _literal(question)

    def coverage(self, terms: frozenset[str]) -> float:
        if not self.total:
            return 0.0
        return sum(w for t, w in self.weights.items() if self._holds(t, terms)) / self.total

    def covered(self, terms: frozenset[str]) -> set[str]:
        """The key terms (of positive weight) found in `terms`, themselves or an equivalent."""
        return {t for t, w in self.weights.items() if w > 0 and self._holds(t, terms)}

    def _holds(self, term: str, terms: frozenset[str]) -> bool:
        return term in terms or bool(self.equivalents.get(term, frozenset()) & terms)

    def sentences(self, rank_penalty: float = 0.03, passage_weight: float = 0.25) -> list[Scored]:
        """Every quotable sentence of the passages, best first: the coverage of the key terms by
        the sentence together with its document's title and section (which name the subject the
        sentence may only refer to), plus part of its whole passage's coverage, minus a little
        per retrieval rank."""
        out = []
        for p in self.passages:
            pc = self.coverage(p.terms)
            for s in p.sentences:
                if not p.quotable(s):
                    continue
                sc = self.coverage(s.terms | p.context_terms)
                out.append(Scored(p, s, sc + passage_weight * pc - rank_penalty * (p.n - 1), sc))
        # a tie goes to the sentence made more of the question's own words, stopwords included
        # ("above 500 EUR" against "up to 500 EUR": "above" is a stopword)
        literal = {id(x): _share(self.literal, _literal(x.sentence.text)) for x in out}
        out.sort(key=lambda x: (-round(x.score, 9), -literal[id(x)], x.passage.n,
                                x.sentence.start))
        return out

    @property
    def crosslang(self) -> bool:
        """The best passage is in the other language: no key term can match it, so coverage
        says nothing (retriever/hybrid.py ranks such passages on dense evidence alone)."""
        if not self.passages or not self.lang:
            return False
        if self.equivalents and self.coverage(self.passages[0].terms) > 0:
            return False  # equivalents in its language match it: coverage speaks again
        return self.passages[0].chunk.lang in ("zh", "en") and \
            self.passages[0].chunk.lang != self.lang

    def in_question_language(self) -> "Evidence":
        """The same evidence restricted to the passages in the question's language (and those
        of no known language), keeping their numbers: what a decision taken on the question's
        own language reads when the best passage is in the other one."""
        keep = [p for p in self.passages if p.chunk.lang not in ("zh", "en") or
                p.chunk.lang == self.lang]
        out = Evidence(self.terms, self.weights, keep, self.lang, self.equivalents)
        out.literal = self.literal
        return out

    def features(self) -> dict[str, float]:
        """The candidate features of the refusal decision (FEATURES), each in [0, 1]."""
        hits = [p.hit for p in self.passages]
        kw = max((h.signals.get("keyword", 0.0) for h in hits), default=0.0)
        dense = max((h.signals.get("dense", 0.0) for h in hits), default=0.0)
        best_kw = min(hits, key=lambda h: h.signals.get("keyword_rank", 1e9), default=None)
        agreement = 0.0
        if best_kw is not None and "keyword_rank" in best_kw.signals:
            agreement = 1.0 / best_kw.signals.get("dense_rank", float("inf"))
        sentence = max((self.coverage(s.terms | p.context_terms) for p in self.passages
                        for s in p.sentences if p.quotable(s)), default=0.0)
        passage = max((self.coverage(p.terms) for p in self.passages), default=0.0)
        return {"keyword": kw, "dense": dense, "agreement": agreement,
                "sentence_coverage": sentence, "passage_coverage": passage}


_LITERAL = re.compile(r"[A-Za-z]+|\d+|[\u3400-\u9fff]")


def _literal(text: str) -> frozenset[str]:
    """A text's words as written (lower case; each Chinese character)."""
    return frozenset(w.lower() for w in _LITERAL.findall(text))


def _share(question: frozenset[str], sentence: frozenset[str]) -> float:
    return len(question & sentence) / len(sentence) if sentence else 0.0
