"""The assistant: follow-up rewrite -> retrieval (as the asker) -> refusal decision -> answer
(extractive or a chat model, streamed) -> citation verification -> one final Answer."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from assistant.evidence import Evidence, in_other_language, question_units
from assistant.followup import FollowUps
from assistant.language import FRAMING, NOT_FOUND, question_lang
from assistant.passages import numbered
from assistant.prompts import NOT_FOUND_TOKEN
from assistant.refusal import Decision, RefusalModel
from assistant.verify import verify
from kb.core.errors import AnswererFailed
from kb.core.types import Answer, AnswerEvent, Hit, Principal, Turn
from kb.core.text import arabic_numerals, is_cjk, query_terms

log = logging.getLogger(__name__)

# (terms, access tokens) -> {term: idf among the chunks readable with those tokens}: the
# KeywordIndex port's term_weights
TermWeights = Callable[[Sequence[str], frozenset[str]], Mapping[str, float]]


class Assistant:
    """`ask()` and `stream()` are the whole interface (the page and `kb ask` use nothing else).
    Hits only ever come from `searcher.search(..., principal)`, so an answer, a refusal and its
    timings are built from documents the asker may read and nothing else."""

    def __init__(self, searcher, answerer, refusal: RefusalModel, *, keep: float = 0.95,
                 answer_k: int = 5, search_k: int = 10, min_overlap: float = 0.6,
                 term_weights: TermWeights | None = None,
                 followups: FollowUps | None = None,
                 equivalents: Callable[[str], Iterable[str]] | None = None,
                 lexicon=None) -> None:
        self.searcher = searcher
        self.answerer = answerer
        self.refusal = refusal
        self.keep = keep
        self.answer_k = answer_k
        self.search_k = max(search_k, answer_k)
        self.min_overlap = min_overlap
        self.term_weights = term_weights
        self.followups = followups or FollowUps()
        # term -> words that mean the same, beyond the lexicon's synonyms: they count for the
        # term in coverage, the refusal and the choice of the sentence to quote
        self.equivalents = equivalents
        # kb.core.lexicon.Lexicon: its same-language synonyms cover key terms; its translations
        # make the question's units, read only where a passage is in the other language
        # (Evidence.crosslang_coverage and the cross-language quote)
        self.lexicon = lexicon

    def ask(self, question: str, principal: Principal, history: Sequence[Turn] = ()) -> Answer:
        final = None
        for event in self.stream(question, principal, history):
            if event.kind == "answer":
                final = event.answer
        assert final is not None
        return final

    def stream(self, question: str, principal: Principal,
               history: Sequence[Turn] = ()) -> Iterator[AnswerEvent]:
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        lang = question_lang(question)
        if not question.strip():
            yield AnswerEvent("hits")
            yield AnswerEvent("answer", answer=_refusal(lang, "no_question", (), timings, t0,
                                                               question))
            return

        t = time.perf_counter()
        try:
            standalone = self.followups.standalone(question, history)
        except Exception as exc:  # the chat model that rewrites follow-ups
            log.warning("follow-up rewrite failed: %s", exc)
            raise AnswererFailed(f"the answer model failed: {type(exc).__name__}: {exc}") from exc
        timings["rewrite_ms"] = _ms(t)
        t = time.perf_counter()
        hits = tuple(self.searcher.search(standalone, principal, k=self.search_k))
        timings["search_ms"] = _ms(t)
        yield AnswerEvent("hits", hits=hits)

        t = time.perf_counter()
        evidence, decision = self.decide(self.evidence(standalone, principal, hits), lang)
        passages = evidence.passages
        timings["refusal_ms"] = _ms(t)
        log.debug("refusal decision %s for %r", decision, standalone)
        if not passages or not decision.answer:
            yield AnswerEvent("answer", answer=_refusal(lang, "not_found", hits, timings, t0,
                                                        standalone))
            return

        t = time.perf_counter()
        draft = []
        try:
            for piece in self.answerer.stream(standalone, passages, evidence, lang):
                draft.append(piece)
                yield AnswerEvent("delta", text=piece)
        except Exception as exc:  # a chat server down, a timeout, a bad reply
            log.warning("answerer failed: %s", exc)
            raise AnswererFailed(f"the answer model failed: {type(exc).__name__}: {exc}") from exc
        raw = "".join(draft)
        timings["answer_ms"] = _ms(t)
        if NOT_FOUND_TOKEN in raw or not raw.strip():
            yield AnswerEvent("answer", answer=_refusal(lang, "not_found", hits, timings, t0,
                                                        standalone))
            return

        t = time.perf_counter()
        checked = verify(raw, passages, exempt=FRAMING.values(), min_overlap=self.min_overlap,
                         joiner="" if lang == "zh" else " ")
        timings["verify_ms"] = _ms(t)
        if checked.removed:
            log.info("verification removed %d unsupported sentence(s)", len(checked.removed))
        if not checked.supported:
            yield AnswerEvent("answer", answer=_refusal(lang, "unsupported", hits, timings, t0,
                                                        standalone))
            return
        timings["total_ms"] = _ms(t0)
        yield AnswerEvent("answer", answer=Answer(
            text=checked.text, citations=checked.citations, refused=False, reason="",
            hits=hits, timings=timings, standalone_question=standalone))

    def decide(self, evidence: Evidence, lang: str) -> tuple[Evidence, Decision]:
        """The refusal decision, and the evidence an answer is then built from. When the best
        passage is in the other language, the passages in the question's own language are
        weighed first, by the same-language model: a Chinese question that Chinese passages
        answer is answered from them even if an English passage came out on top (in a bilingual
        corpus the dense scores of the two languages are close, and the keyword index cannot
        speak for the other one). Only when they are not enough does the cross-language model
        decide on the whole evidence, led by the other-language passage."""
        if not evidence.crosslang:
            return evidence, self.refusal.decide(evidence.features(), self.keep, lang)
        own = evidence.in_question_language()
        if own.passages:
            decision = self.refusal.decide(own.features(), self.keep, lang)
            if decision.answer:
                return own, decision
        model = self.refusal.crosslang or self.refusal
        return evidence, model.decide(evidence.features(), self.keep, lang)

    def evidence(self, question: str, principal: Principal, hits: Sequence[Hit]) -> Evidence:
        """What the refusal decision and the answerer read: the top `answer_k` hits as numbered
        passages, and the question's key terms weighted among the chunks `principal` may read."""
        terms = query_terms(arabic_numerals(question))  # as passages.text_terms reads texts
        weights = (self.term_weights(terms, principal.acl_tokens())
                   if self.term_weights and terms else {})
        alts = {t: {frozenset(query_terms(e)) for e in self.equivalents(t)} - {frozenset([t])}
                for t in terms} if self.equivalents else {}
        passages = numbered(hits, self.answer_k)
        lang = question_lang(question)
        units: tuple = ()
        if self.lexicon is not None:
            words = self.lexicon.terms_in(question)  # once, for the synonyms and the units
            # words people use for the words policies use
            for t, alt in same_language_synonyms(question, self.lexicon, words).items():
                alts[t] = alts.get(t, set()) | alt
            if any(in_other_language(p, lang) for p in passages):
                units = question_units(question, self.lexicon, words)
        return Evidence(terms, weights, passages, lang, alts or None, question, units)


def same_language_synonyms(question: str, lexicon,
                           words: Sequence[str] | None = None) -> dict[str, set[frozenset[str]]]:
    """{key term of the question: its alternatives}, from the lexicon's synonym groups in the
    question's language (kb/core/synonyms.yaml and the content owner's file): each synonym of
    a word or phrase of the question, as the set of its content terms, stands for each term of
    that word or phrase ("vacation days" -> {annual, leave}; 电脑 -> {笔记本电脑}). Translations
    stay out: they are the cross-language evidence's (Evidence.units). `words`: the question's
    words the lexicon knows, when the caller has them already."""
    out: dict[str, set[frozenset[str]]] = {}
    for unit in lexicon.terms_in(question) if words is None else words:
        own = frozenset(query_terms(unit))
        alts = {frozenset(query_terms(w)) for w in lexicon.synonyms(unit)
                if is_cjk(w) == is_cjk(unit)} - {own, frozenset()}
        for t in own if alts else ():
            out.setdefault(t, set()).update(alts)
    return out


def _refusal(lang: str, reason: str, hits, timings: dict, t0: float, standalone: str) -> Answer:
    timings["total_ms"] = _ms(t0)
    return Answer(text=NOT_FOUND[lang], citations=(), refused=True, reason=reason,
                  hits=tuple(hits), timings=timings, standalone_question=standalone)


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0
