"""Retrieval metrics of `kb eval`, on hand-made rankings."""

from __future__ import annotations

import json

import pytest

from kb.app.evaluate import (Outcome, Question, load_questions, percentiles, recall_at,
                         reciprocal_rank, report)


def test_recall_is_over_the_gold_list():
    assert recall_at(["a", "b", "c"], ["b"], 1) == 0.0
    assert recall_at(["a", "b", "c"], ["b"], 5) == 1.0
    assert recall_at(["a", "b", "c"], ["b", "z"], 5) == 0.5
    assert recall_at(["a"], [], 5) == 0.0


def test_alternatives_stand_in_for_missing_gold_files_only():
    assert recall_at(["x", "b"], ["g"], 1, alternatives=["x"]) == 1.0
    assert recall_at(["x", "y"], ["g"], 2, alternatives=["x", "y"]) == 1.0  # capped at 1
    assert recall_at(["x", "g1"], ["g1", "g2"], 2, alternatives=["x"]) == 1.0
    assert recall_at(["x", "y"], ["g1", "g2"], 2, alternatives=["x"]) == 0.5


def test_reciprocal_rank():
    assert reciprocal_rank(["a", "b", "c"], ["c"], 10) == pytest.approx(1 / 3)
    assert reciprocal_rank(["a", "b", "c"], ["c"], 2) == 0.0


def test_percentiles_nearest_rank():
    p = percentiles([float(i) for i in range(1, 101)])
    assert p["p50"] == 50.0 and p["p95"] == 95.0 and p["max"] == 100.0
    assert percentiles([]) == {}


def q(i, gold=("g",), other=(), dataset="d1", answerable=True, kind=""):
    return Question(id=str(i), question=f"q{i}", answerable=answerable, gold_docs=tuple(gold),
                    other_answer_docs=tuple(other), dataset=dataset, unanswerable_kind=kind)


def test_report_blocks_overall_per_dataset_and_per_kind():
    outcomes = [
        Outcome(q(1), ["g", "x"], 10.0),
        Outcome(q(2), ["x", "y", "g"], 20.0),
        Outcome(q(3, other=["alt"], dataset="d2"), ["alt", "g"], 30.0),
        Outcome(q(4, gold=(), answerable=False, kind="withheld"), ["x"], 40.0),
    ]
    r = report(outcomes, k=10, mode="hybrid")
    assert r["questions"] == 4 and r["answerable"] == 3
    assert r["retrieval"]["recall@1"] == pytest.approx(1 / 3, abs=1e-4)
    assert r["retrieval"]["recall@5"] == 1.0
    assert r["retrieval"]["mrr@10"] == pytest.approx((1 + 1 / 3 + 1 / 2) / 3, abs=1e-4)
    assert r["retrieval"]["lenient"]["recall@1"] == pytest.approx(2 / 3, abs=1e-4)
    assert r["by_dataset"]["d2"]["retrieval"]["recall@1"] == 0.0
    assert r["by_dataset"]["d1"]["answerable"] == 2 and r["by_dataset"]["d1"]["questions"] == 3
    assert r["by_unanswerable_kind"]["withheld"]["retrieval"] is None
    assert r["latency_ms"]["max"] == 40.0
    assert all(r[key] is None for key in ("answer", "refusal", "citations"))


def test_load_questions_with_prefix(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in [
        {"id": "a", "question": "年假几天？", "gold_docs": ["wiki/a.txt"], "answerable": True,
         "other_answer_docs": ["wiki/b.txt"], "source": {"dataset": "cmrc"}},
        {"id": "b", "question": "no answer", "gold_docs": [], "answerable": False,
         "unanswerable_kind": "gold_withheld"},
    ]) + "\n\n", "utf-8")
    qs = load_questions(path, prefix="zh/docs/")
    assert qs[0].gold_docs == ("zh/docs/wiki/a.txt",)
    assert qs[0].other_answer_docs == ("zh/docs/wiki/b.txt",) and qs[0].dataset == "cmrc"
    assert not qs[1].answerable and qs[1].unanswerable_kind == "gold_withheld"
