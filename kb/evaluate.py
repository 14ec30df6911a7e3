"""`kb eval`: run a question set (the ../shared/eval format) against the ingested corpus.

Every group of numbers has the same shape, a *block*:

    {"questions": n, "answerable": n,
     "retrieval": {"recall@1", "recall@5", "recall@10", "mrr@10", "lenient": {...}},
     "answer": None, "refusal": None, "citations": None,      # filled by the answer evaluation
     "latency_ms": {"p50", "p95", "mean", "max"},       # one search, end to end
     "stages_ms": {"embed_ms": {...}, "dense_ms": ...}}  # the searcher's own stage timings

The report is an overall block plus `by_dataset` and `by_unanswerable_kind` ({name: block}), so
answer accuracy, refusal, hallucination and citation precision (DESIGN.md §8) slot in later
under the same keys at every level.

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

from kb.types import Hit, Principal

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


def block(outcomes: Sequence[Outcome], k: int) -> dict:
    answerable = [o for o in outcomes if o.question.answerable and o.question.gold_docs]
    strict = retrieval_metrics([(o.ranking, o.question.gold_docs, ()) for o in answerable], k)
    lenient = retrieval_metrics(
        [(o.ranking, o.question.gold_docs, o.question.other_answer_docs) for o in answerable], k)
    return {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "retrieval": {**{key: round(v, 4) for key, v in strict.items()},
                      "lenient": {key: round(v, 4) for key, v in lenient.items()}}
        if answerable else None,
        "answer": None,
        "refusal": None,
        "citations": None,
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
             "top": o.ranking[:k], "latency_ms": round(o.latency_ms, 2)}
            for o in outcomes
        ]
    return out


def _by(outcomes: Sequence[Outcome], k: int, key: Callable[[Outcome], str]) -> dict:
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(key(o), []).append(o)
    return {name: block(group, k) for name, group in sorted(groups.items())}


def run(
    search: Callable[[str], list[Hit]],
    questions: Sequence[Question],
    progress: Callable[[int, int], None] | None = None,
    stages: Callable[[], dict[str, float]] = dict,
) -> list[Outcome]:
    """Ask every question once, timing each search (and its stages, when `stages` says)."""
    out = []
    for i, q in enumerate(questions, start=1):
        t = time.perf_counter()
        hits = search(q.question)
        ms = (time.perf_counter() - t) * 1000.0
        out.append(Outcome(q, doc_paths(hits), ms, dict(stages())))
        if progress:
            progress(i, len(questions))
    return out


def evaluate(searcher, questions: Sequence[Question], principal: Principal, k: int = 10,
             mode: str = "hybrid", misses: int = 0,
             progress: Callable[[int, int], None] | None = None,
             per_question: bool = False) -> dict:
    """The report for `questions` searched by `principal` with `searcher.search(..., mode=)`.
    Latency excludes the searcher's warm-up (model load), which runs first."""
    if hasattr(searcher, "warm_up"):
        searcher.warm_up(mode)
    outcomes = run(lambda text: searcher.search(text, principal, k=k, mode=mode), questions,
                   progress, lambda: getattr(searcher, "last_timings", {}))
    return report(outcomes, k, mode, misses, per_question)


def missing_gold(questions: Sequence[Question], known_paths: set[str]) -> list[str]:
    """Gold files that are not in the index (a wrong ingest root or prefix, most likely)."""
    return sorted({p for q in questions for p in q.gold_docs if p not in known_paths})


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0
