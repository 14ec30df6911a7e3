"""bench/fusion_sweep.py: rules are replayed on fixed candidate lists and chosen without the
part they are scored on."""

from __future__ import annotations

from bench.fusion_sweep import default_rule, leave_one_part_out, ranking, rules, table
from kb.app.evaluate import Question
from kb.core.config import Settings


def _q(gold):
    return Question(id=gold, question="q", gold_docs=(gold,), answerable=True)


DENSE_WINS = (("c1", "right", 0.9), ("c2", "wrong", 0.8))
KEYWORD_WINS = (("c2", "wrong", 0.5), ("c1", "right", 0.1))


def test_ranking_follows_the_rule_and_caps_hits_per_document():
    dense = [("a1", "a", 0.9), ("a2", "a", 0.85), ("a3", "a", 0.8), ("b1", "b", 0.5)]
    rule = ("dense", (1, 1), 60, 2, 50, "minmax")
    assert ranking(dense, [], rule) == ["a", "b"]
    kw = ("keyword", (1, 1), 60, 1, 50, "minmax")
    assert ranking(dense, [("b1", "b", 0.7)], kw) == ["b"]


def test_leave_one_part_out_never_looks_at_the_held_out_part():
    """Two parts agree that dense is right, one disagrees: the disagreeing part is scored with
    the rule the other two chose, so it gets the rule that is wrong for it."""
    parts = {
        "wiki": ([_q("right")], [(list(DENSE_WINS), list(KEYWORD_WINS))]),
        "laws": ([_q("right")], [(list(DENSE_WINS), list(KEYWORD_WINS))]),
        "news": ([_q("wrong")], [(list(DENSE_WINS), list(KEYWORD_WINS))]),
    }
    grid = [("keyword", (1, 1), 60, 2, 50, "minmax"), ("dense", (1, 1), 60, 2, 50, "minmax")]
    results = table(parts, grid)
    out = leave_one_part_out(results, list(parts))
    assert out["news"]["rule"][0] == "dense" and out["news"]["hit@1"] == 0.0
    # chosen on laws + news, which disagree: a tie, the earlier rule of the grid wins
    assert out["wiki"]["rule"][0] == "keyword" and out["wiki"]["hit@1"] == 0.0


def test_the_grid_holds_the_product_default_first():
    d = default_rule(Settings())
    grid = rules(d)
    assert grid[0] == d and len(grid) == len(set(grid))
    assert ("rrf", (1, 1), 60, 2, 50, "minmax") in grid
