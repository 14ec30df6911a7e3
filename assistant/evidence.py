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
from functools import cached_property

from assistant.passages import Passage, Sentence
from kb.core.text import is_cjk, query_terms, squash

FEATURES = ("keyword", "dense", "agreement", "sentence_coverage", "passage_coverage",
            "pair_coverage", "crosslang_coverage")
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
                 equivalents: Mapping[str, Iterable[str | Iterable[str]]] | None = None,
                 question: str = "", units: Sequence["Unit"] = ()) -> None:
        self.lang = lang  # the question's, 'zh' or 'en' ('' = unknown)
        self.terms = list(terms)
        # what stands for a key term in a text (same-language synonyms: 票据 -> 发票): each
        # alternative is a set of content terms a text must all hold to cover the key term
        # ("remote work" stands for "home" only where both words are); a string is one term
        self.equivalents = {t: frozenset(frozenset([a]) if isinstance(a, str) else frozenset(a)
                                         for a in v) for t, v in (equivalents or {}).items() if v}
        # a term the statistics do not know weighs as the rarest one they know (KeywordIndex.
        # term_weights already gives a term no readable chunk holds the idf of df 0)
        rarest = max((float(w) for w in weights.values()), default=UNKNOWN_TERM_WEIGHT)
        self.weights = {t: float(weights.get(t, rarest)) or rarest for t in self.terms}
        self.total = sum(self.weights.values())
        self.passages = list(passages)
        self.literal = _literal(question)
        self.units = tuple(units)  # the question as the other language may write it

    def coverage(self, terms: frozenset[str]) -> float:
        if not self.total:
            return 0.0
        return sum(w for t, w in self.weights.items() if self._holds(t, terms)) / self.total

    def covered(self, terms: frozenset[str]) -> set[str]:
        """The key terms (of positive weight) found in `terms`, themselves or an equivalent."""
        return {t for t, w in self.weights.items() if w > 0 and self._holds(t, terms)}

    def _holds(self, term: str, terms: frozenset[str]) -> bool:
        return term in terms or any(alt <= terms for alt in self.equivalents.get(term, ()))

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

    def literal_share(self, text: str) -> float:
        """The share of a text's words (as written, stopwords included; Chinese characters) that
        are the question's own: "above 500 EUR" and "up to 500 EUR" differ only here."""
        return _share(self.literal, _literal(text))

    @property
    def crosslang(self) -> bool:
        """The best passage is in the other language: no key term can match it, so coverage
        says nothing (retriever/hybrid.py ranks such passages on dense evidence alone)."""
        if not self.passages or not self.lang:
            return False
        return self.passages[0].chunk.lang in ("zh", "en") and \
            self.passages[0].chunk.lang != self.lang

    def in_question_language(self) -> "Evidence":
        """The same evidence restricted to the passages in the question's language (and those
        of no known language), keeping their numbers: what a decision taken on the question's
        own language reads when the best passage is in the other one."""
        keep = [p for p in self.passages if p.chunk.lang not in ("zh", "en") or
                p.chunk.lang == self.lang]
        out = Evidence(self.terms, self.weights, keep, self.lang, self.equivalents,
                       units=self.units)
        out.literal = self.literal
        return out

    def other_language(self, p: Passage) -> bool:
        return in_other_language(p, self.lang)

    def crosslang_coverage(self, p: Passage) -> float:
        """The idf-weighted share of the question's units (`Unit`) that passage `p` (with its
        title) holds in some form: how much of the question an other-language passage speaks
        about, where key terms cannot match at all. 0 without units."""
        return self.unit_share(f"{p.normalized}\n{squash(p.chunk.title)}", p.terms)

    def unit_share(self, normalized: str, terms: frozenset[str]) -> float:
        """The idf-weighted share of the units (`unit_weights`) held by a text given as its
        squashed form and its content terms (passages.text_terms); 0 without units."""
        total = sum(self.unit_weights)
        if not total:
            return 0.0
        return sum(w for u, w in zip(self.units, self.unit_weights)
                   if u.found(normalized, terms)) / total

    @cached_property
    def unit_weights(self) -> list[float]:
        """Each unit weighs as its rarest question term (idf among the readable chunks): a
        question's focus (托儿所, 股票期权, "taxi") counts, 公司 or "employee" hardly does."""
        rarest = max(self.weights.values(), default=UNKNOWN_TERM_WEIGHT)
        return [max((self.weights.get(t, rarest) for t in query_terms(u.text)), default=rarest)
                for u in self.units]

    def features(self) -> dict[str, float]:
        """The candidate features of the refusal decision (FEATURES), each in [0, 1]."""
        hits = [p.hit for p in self.passages]
        kw = max((h.signals.get("keyword", 0.0) for h in hits), default=0.0)
        dense = max((h.signals.get("dense", 0.0) for h in hits), default=0.0)
        best_kw = min(hits, key=lambda h: h.signals.get("keyword_rank", 1e9), default=None)
        agreement = 0.0
        if best_kw is not None and "keyword_rank" in best_kw.signals:
            agreement = 1.0 / best_kw.signals.get("dense_rank", float("inf"))
        spans = [s.terms | p.context_terms for p in self.passages for s in p.sentences
                 if p.quotable(s)]
        sentence = max((self.coverage(t) for t in spans), default=0.0)
        # the best sentence with the one that completes it best (from any passage): what an
        # answer in two parts can cover ("who won the men's and the women's title")
        best = max(spans, key=self.coverage, default=frozenset())
        pair = max((self.coverage(best | t) for t in spans), default=0.0)
        passage = max((self.coverage(p.terms) for p in self.passages), default=0.0)
        crosslang = max((self.crosslang_coverage(p) for p in self.passages
                         if self.other_language(p)), default=0.0)
        return {"keyword": kw, "dense": dense, "agreement": agreement,
                "sentence_coverage": sentence, "passage_coverage": passage,
                "pair_coverage": pair, "crosslang_coverage": crosslang}


def in_other_language(p: Passage, lang: str) -> bool:
    """`p` is in the other of the two languages than `lang` (the question's; '' = unknown)."""
    return bool(lang) and p.chunk.lang in ("zh", "en") and p.chunk.lang != lang


@dataclass(frozen=True)
class Unit:
    """One word or phrase of a question and the ways the other language (or a synonym) writes
    it: "annual leave" -> {年假, 年休假}, 发票 -> {invoice, receipt}; a word no dictionary has (a
    name, a number, an acronym) stands for itself. Each form is kept as it is matched: Chinese
    ones squashed (found inside a text), the others as their content terms (all needed)."""

    text: str
    chinese: tuple[str, ...]
    latin: tuple[frozenset[str], ...]

    @classmethod
    def of(cls, text: str, forms: Iterable[str] = ()) -> "Unit":
        every = dict.fromkeys((text, *forms))
        latin = (frozenset(query_terms(f)) for f in every if not is_cjk(f))
        return cls(text, tuple(squash(f) for f in every if is_cjk(f)), tuple(t for t in latin if t))

    def found(self, normalized: str, terms: frozenset[str]) -> bool:
        """In a text given as its squashed form and its content terms (passages.text_terms)."""
        return any(f in normalized for f in self.chinese) or any(t <= terms for t in self.latin)


def question_units(question: str, lexicon,
                   words: Sequence[str] | None = None) -> tuple[Unit, ...]:
    """The question's units for `Evidence.crosslang_coverage`: each word or phrase `lexicon`
    (kb.core.lexicon.Lexicon: `terms_in`, `equivalents`) knows (`words`, when the caller has
    already asked it for them), with its equivalents, and each other content term written in
    Latin letters or digits (names, numbers, acronyms) as itself. Chinese words the dictionary
    does not know are left out: no other-language text can hold them."""
    units: list[Unit] = []
    known: set[str] = set()
    for word in lexicon.terms_in(question) if words is None else words:
        units.append(Unit.of(word, lexicon.equivalents(word)))
        known.update(query_terms(word))
    for term in query_terms(question):
        if term not in known and not is_cjk(term):
            units.append(Unit.of(term))
            known.add(term)
    return tuple(units)


_LITERAL = re.compile(r"[A-Za-z]+|\d+|[\u3400-\u9fff]")


def _literal(text: str) -> frozenset[str]:
    """A text's words as written (lower case; each Chinese character)."""
    return frozenset(w.lower() for w in _LITERAL.findall(text))


def _share(question: frozenset[str], sentence: frozenset[str]) -> float:
    return len(question & sentence) / len(sentence) if sentence else 0.0
