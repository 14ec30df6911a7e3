"""`kb eval`: run a question set (the ../shared/eval format) against the ingested corpus.

Every group of numbers has the same shape, a *block*:

    {"questions": n, "answerable": n,
     "retrieval": {"recall@1", "recall@5", "recall@10", "mrr@10", "lenient": {...}},
     "answer": None, "refusal": None, "citations": None,      # filled by the answer evaluation
     "latency_ms": {"p50", "p95", "mean", "max"},       # one search, end to end
     "stages_ms": {"embed_ms": {...}, "dense_ms": ...}}  # the searcher's own stage timings

The report is an overall block plus `by_dataset` and `by_unanswerable_kind` ({name: block}).
With the assistant (`kb eval --answers`) every question is asked instead of searched, and the
blocks also hold (DESIGN.md §8; grading as in ../shared/eval/README.md: NFKC, lower case, all
whitespace removed, every `answer_groups` component needs one alias in the answer):

    "answer":    {"accuracy", "accuracy_given_retrieved", "retrieved"}   # answerable questions
    "refusal":   {"answerable_refused", "unanswerable_refused", "hallucinated", "reasons"}
    "citations": {"precision", "cited", "per_answer"}
    "quoted_chars": {"median", "mean"}  # characters inside the quotes of each answered question

A question may carry a `history` (earlier questions of the conversation, asked as follow-up
context) and `requires_groups` (groups the asker needs: the question is asked as the evaluating
principal plus those groups).

`accuracy_given_retrieved` is the accuracy over the answerable questions whose gold file is
among the passages the answerer was given (the first `answer_k` hits). `hallucinated` is the
share of unanswerable questions whose non-refused answer contains a `withheld_answers` alias.
Citation precision is the share of the citations of answered answerable questions whose passage
(the cited hit's chunk) contains an alias of the answer. Latency is then one `ask()`.

Retrieval is scored on documents: the hits of one search map to their files (paths relative to
the ingest root) in order of first appearance; recall@k is the share of a question's gold files
among the first k files of the top-k hits, averaged over answerable questions; MRR@k uses the
first gold file. "lenient" lets each retrieved `other_answer_docs` file stand in for a gold
file (and counts it for MRR), so it is never below the strict number.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.core.text import squash
from kb.core.types import Answer, Hit, Principal, SearchResult, Turn

KS = (1, 5, 10)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answerable: bool
    gold_docs: tuple[str, ...] = ()
    other_answer_docs: tuple[str, ...] = ()
    dataset: str = ""
    unanswerable_kind: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def load_questions(path: Path | str, prefix: str = "") -> list[Question]:
    """Questions of a JSONL file; `prefix` is put before every gold path (use it when the corpus
    was ingested from a folder above the one the gold paths are relative to)."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON: {exc}") from exc
            if "question" not in row:
                raise ValueError(f"{path}:{n}: no 'question' field")
            out.append(Question(
                id=str(row.get("id", n)), question=row["question"],
                answerable=bool(row.get("answerable", bool(row.get("gold_docs")))),
                gold_docs=tuple(prefix + p for p in row.get("gold_docs") or ()),
                other_answer_docs=tuple(prefix + p for p in row.get("other_answer_docs") or ()),
                dataset=str((row.get("source") or {}).get("dataset", "")),
                unanswerable_kind=str(row.get("unanswerable_kind") or ""),
                raw=row,
            ))
    return out


def doc_paths(hits: Iterable[Hit]) -> list[str]:
    """Files of the hits, in order of first appearance."""
    return list(dict.fromkeys(h.chunk.path for h in hits))


def recall_at(ranking: Sequence[str], gold: Iterable[str], k: int,
              alternatives: Iterable[str] = ()) -> float:
    """Share of the gold files among the first k. Each retrieved alternative (a file that also
    holds the answer) may stand in for one gold file that was not retrieved."""
    gold = set(gold)
    if not gold:
        return 0.0
    top = set(ranking[:k])
    found = len(gold & top) + len((set(alternatives) - gold) & top)
    return min(found, len(gold)) / len(gold)


def reciprocal_rank(ranking: Sequence[str], gold: Iterable[str], k: int) -> float:
    gold = set(gold)
    for i, path in enumerate(ranking[:k], start=1):
        if path in gold:
            return 1.0 / i
    return 0.0


def retrieval_metrics(rows: Sequence[tuple[Sequence[str], Sequence[str], Sequence[str]]],
                      k: int) -> dict:
    """{recall@1/5/10, mrr@k} over (ranking, gold, alternatives) of answerable questions."""
    if not rows:
        return {}
    out = {f"recall@{n}": _mean(recall_at(r, g, n, a) for r, g, a in rows)
           for n in KS if n <= k}
    out[f"mrr@{k}"] = _mean(reciprocal_rank(r, (*g, *a), k) for r, g, a in rows)
    return out


def percentiles(values: Sequence[float]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)

    def pct(p: float) -> float:  # nearest rank
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]

    return {"p50": round(pct(50), 2), "p95": round(pct(95), 2),
            "mean": round(statistics.fmean(ordered), 2), "max": round(ordered[-1], 2)}


@dataclass
class Outcome:
    """One question's run."""

    question: Question
    ranking: list[str]
    latency_ms: float
    stages_ms: dict[str, float] = field(default_factory=dict)
    answer: Answer | None = None
    passages: list[str] = field(default_factory=list)  # files of the passages answered from


def groups_of(q: Question) -> list[list[str]]:
    groups = q.raw.get("answer_groups")
    if groups is None:
        groups = [q.raw.get("answers") or []]
    return [[a for a in g if a] for g in groups if any(g)]


def correct(text: str, groups: Sequence[Sequence[str]]) -> bool:
    """Every component has an alias inside `text` (after the grading normalisation)."""
    t = squash(text)
    return bool(groups) and all(any(squash(a) in t for a in g) for g in groups)


def mentions(text: str, aliases: Iterable) -> bool:
    """Any alias (a string, or a list of them: `withheld_answers` may come as groups) occurs."""
    t = squash(text)
    flat = [a for x in aliases for a in ([x] if isinstance(x, str) else x)]
    return any(squash(a) and squash(a) in t for a in flat)


def cited_passages(answer: Answer) -> list[str]:
    """For each citation, the text of the hit chunk its span lies in ('' if none)."""
    out = []
    for c in answer.citations:
        chunk = next((h.chunk for h in answer.hits if h.chunk.doc_id == c.doc_id
                      and h.chunk.page == c.page and h.chunk.char_start <= c.char_start
                      and c.char_end <= h.chunk.char_end), None)
        out.append(chunk.text if chunk else "")
    return out


def answer_metrics(outcomes: Sequence[Outcome]) -> tuple[dict | None, dict | None, dict | None]:
    asked = [o for o in outcomes if o.answer is not None]
    if not asked:
        return None, None, None
    answerable = [o for o in asked if o.question.answerable]
    unanswerable = [o for o in asked if not o.question.answerable]
    graded = [o for o in answerable if groups_of(o.question)]  # questions with answers given
    ok = {id(o): (not o.answer.refused) and correct(o.answer.text, groups_of(o.question))
          for o in graded}
    retrieved = [o for o in graded if set(o.question.gold_docs) & set(o.passages)]
    answer = {
        "accuracy": _r(_mean(ok[id(o)] for o in graded)),
        "accuracy_given_retrieved":
            _r(_mean(ok[id(o)] for o in retrieved)) if retrieved else None,
        "retrieved": len(retrieved),
    } if graded else None
    reasons: dict[str, int] = {}
    for o in asked:
        if o.answer.refused:
            reasons[o.answer.reason] = reasons.get(o.answer.reason, 0) + 1
    refusal = {
        "answerable_refused": _r(_mean(o.answer.refused for o in answerable))
        if answerable else None,
        "unanswerable_refused": _r(_mean(o.answer.refused for o in unanswerable))
        if unanswerable else None,
        "hallucinated": _r(_mean(
            (not o.answer.refused)
            and mentions(o.answer.text, o.question.raw.get("withheld_answers") or ())
            for o in unanswerable)) if unanswerable else None,
        "reasons": dict(sorted(reasons.items())),
    }
    answered = [o for o in graded if not o.answer.refused]
    quoted = [quoted_chars(o.answer) for o in asked if not o.answer.refused]
    checks = [any(squash(a) in squash(text) for g in groups_of(o.question) for a in g)
              for o in answered for text in cited_passages(o.answer)]
    citations = {
        "precision": _r(_mean(checks)) if checks else None,
        "cited": len(checks),
        "per_answer": _r(len(checks) / len(answered)) if answered else None,
        "quoted_chars": {"median": statistics.median(quoted), "mean": _r(_mean(quoted))}
        if quoted else None,
    }
    return answer, refusal, citations


def quoted_chars(answer: Answer) -> int:
    """Characters of quoted document text in an answer: the sum of its citations' quotes (each
    cited span once), i.e. what the reader is asked to read as the answer."""
    return sum(len(q) for q in dict.fromkeys(c.quote for c in answer.citations))


def _r(x: float) -> float:
    return round(x, 4)


def block(outcomes: Sequence[Outcome], k: int) -> dict:
    answerable = [o for o in outcomes if o.question.answerable and o.question.gold_docs]
    strict = retrieval_metrics([(o.ranking, o.question.gold_docs, ()) for o in answerable], k)
    answer, refusal, citations = answer_metrics(outcomes)
    lenient = retrieval_metrics(
        [(o.ranking, o.question.gold_docs, o.question.other_answer_docs) for o in answerable], k)
    return {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "retrieval": {**{key: round(v, 4) for key, v in strict.items()},
                      "lenient": {key: round(v, 4) for key, v in lenient.items()}}
        if answerable else None,
        "answer": answer,
        "refusal": refusal,
        "citations": citations,
        "latency_ms": percentiles([o.latency_ms for o in outcomes]),
        "stages_ms": {name: percentiles([o.stages_ms[name] for o in outcomes
                                          if name in o.stages_ms])
                      for name in sorted({n for o in outcomes for n in o.stages_ms})},
    }


def first_gold_rank(o: Outcome) -> int | None:
    """1-based rank of the first gold file among the retrieved files, or None."""
    gold = set(o.question.gold_docs)
    return next((i for i, p in enumerate(o.ranking, start=1) if p in gold), None)


def report(outcomes: Sequence[Outcome], k: int, mode: str, misses: int = 0,
           per_question: bool = False) -> dict:
    out = {"mode": mode, "k": k, **block(outcomes, k)}
    out["by_dataset"] = _by(outcomes, k, lambda o: o.question.dataset or "unknown")
    out["by_unanswerable_kind"] = _by(
        [o for o in outcomes if not o.question.answerable], k,
        lambda o: o.question.unanswerable_kind or "unknown")
    if misses:
        out["misses"] = [
            {"id": o.question.id, "question": o.question.question,
             "gold_docs": list(o.question.gold_docs), "top": o.ranking[:5]}
            for o in outcomes
            if o.question.answerable and o.question.gold_docs
            and recall_at(o.ranking, o.question.gold_docs, 5) < 1.0
        ][:misses]
    if per_question:
        out["per_question"] = [
            {"id": o.question.id, "dataset": o.question.dataset,
             "answerable": o.question.answerable, "gold_rank": first_gold_rank(o),
             "top": o.ranking[:k], "latency_ms": round(o.latency_ms, 2),
             **({} if o.answer is None else {
                 "refused": o.answer.refused, "reason": o.answer.reason,
                 "correct": (correct(o.answer.text, groups_of(o.question))
                             and not o.answer.refused) if groups_of(o.question) else None,
                 "answer": o.answer.text, "citations": len(o.answer.citations)})}
            for o in outcomes
        ]
    return out


def _by(outcomes: Sequence[Outcome], k: int, key: Callable[[Outcome], str]) -> dict:
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(key(o), []).append(o)
    return {name: block(group, k) for name, group in sorted(groups.items())}


def run(
    search: Callable[[str], SearchResult],
    questions: Sequence[Question],
    progress: Callable[[int, int], None] | None = None,
) -> list[Outcome]:
    """Search every question once, timing each search; its stage timings come with its result."""
    out = []
    for i, q in enumerate(questions, start=1):
        t = time.perf_counter()
        result = search(q.question)
        ms = (time.perf_counter() - t) * 1000.0
        out.append(Outcome(q, doc_paths(result), ms, dict(result.timings)))
        if progress:
            progress(i, len(questions))
    return out


def evaluate(kb, questions: Sequence[Question], principal: Principal, k: int = 10,
             mode: str = "hybrid", misses: int = 0,
             progress: Callable[[int, int], None] | None = None,
             per_question: bool = False) -> dict:
    """The report for `questions` searched by `principal` through `kb.search(..., mode=)` (the
    service layer, or anything with its `search` and `warm_up`). Latency excludes the warm-up
    (model load), which runs first."""
    kb.warm_up(mode)
    outcomes = run(lambda text: kb.search(text, principal, k=k, mode=mode), questions, progress)
    return report(outcomes, k, mode, misses, per_question)


def evaluate_answers(kb, questions: Sequence[Question], principal: Principal,
                     k: int = 10, misses: int = 0,
                     progress: Callable[[int, int], None] | None = None,
                     per_question: bool = False, answer_k: int = 5,
                     mode: str = "hybrid") -> dict:
    """The report with answer metrics: every question asked once through `kb.ask()`; retrieval
    is scored on the hits the answer was built from."""
    kb.warm_up(mode)
    out = []
    for i, q in enumerate(questions, start=1):
        t = time.perf_counter()
        answer = kb.ask(q.question, asker(q, principal), history(q))
        ms = (time.perf_counter() - t) * 1000.0
        out.append(Outcome(q, doc_paths(answer.hits), ms, dict(answer.timings), answer,
                           doc_paths(answer.hits[:answer_k])))
        if progress:
            progress(i, len(questions))
    return {**report(out, k, mode, misses, per_question), "answers": True}


def history(q: Question) -> tuple[Turn, ...]:
    """The earlier questions of the conversation a follow-up question belongs to."""
    return tuple(Turn(str(t), "") for t in q.raw.get("history") or ())


def asker(q: Question, principal: Principal) -> Principal:
    """`principal`, with the groups the question says its asker needs."""
    extra = tuple(q.raw.get("requires_groups") or ())
    if not extra:
        return principal
    return Principal(principal.user, frozenset(principal.groups) | frozenset(extra))


def missing_gold(questions: Sequence[Question], known_paths: set[str]) -> list[str]:
    """Gold files not among `known_paths` (a wrong ingest root or prefix, most likely; the
    service passes the paths the asker may read, so a restricted file reads as absent)."""
    return sorted({p for q in questions for p in q.gold_docs if p not in known_paths})


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0
