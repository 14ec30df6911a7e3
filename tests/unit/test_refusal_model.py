"""The refusal model: fitting, the operating point, the shipped file."""

import json
import random

import pytest

from assistant.evidence import FEATURES
from assistant.refusal import MODEL_FILE, RefusalModel, fit


def synthetic(n=400, seed=7):
    rng = random.Random(seed)
    rows, labels = [], []
    for i in range(n):
        answerable = i % 3 != 0
        cov = min(1.0, max(0.0, rng.gauss(0.8 if answerable else 0.35, 0.15)))
        rows.append({"sentence_coverage": cov, "dense": rng.random() * 0.3})
        labels.append(answerable)
    return rows, labels


def test_fit_separates_and_keeps_the_asked_share_of_answerable_questions():
    rows, labels = synthetic()
    m = fit(rows, labels, ["sentence_coverage", "dense"])
    assert m.coef[0] > 3  # coverage is what tells the classes apart
    for keep in (0.9, 0.95):
        kept = [m.decide(r, keep).answer for r, a in zip(rows, labels) if a]
        assert abs(sum(kept) / len(kept) - keep) <= 0.01
    refused = [not m.decide(r, 0.95).answer for r, a in zip(rows, labels) if not a]
    assert sum(refused) / len(refused) > 0.6


def test_higher_keep_means_a_lower_cut_and_cuts_per_language():
    rows, labels = synthetic()
    langs = ["zh" if i % 2 else "en" for i in range(len(rows))]
    for r, lang in zip(rows, langs):
        if lang == "zh":
            r["sentence_coverage"] = min(1.0, r["sentence_coverage"] + 0.15)
    m = fit(rows, labels, ["sentence_coverage"], langs=langs)
    assert m.threshold(0.8) >= m.threshold(0.95) >= m.threshold(1.0)
    assert m.threshold(0.95, "zh") > m.threshold(0.95, "en")
    assert m.threshold(0.95, "fr") == m.threshold(0.95)  # no cuts of its own: the pooled ones
    for lang in ("zh", "en"):
        kept = [m.decide(r, 0.95, lang).answer for r, a, g in zip(rows, labels, langs)
                if a and g == lang]
        assert abs(sum(kept) / len(kept) - 0.95) <= 0.02


def test_save_and_load_round_trip(tmp_path):
    rows, labels = synthetic()
    m = fit(rows, labels, ["sentence_coverage"], langs=["en"] * len(rows), info={"data": "x"})
    m.save(tmp_path / "m.json")
    back = RefusalModel.load(tmp_path / "m.json")
    assert back.coef == m.coef and back.by_lang == m.by_lang and back.info == {"data": "x"}
    assert back.probability(rows[0]) == pytest.approx(m.probability(rows[0]))


def test_unknown_version_is_refused(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps({"version": 9}), "utf-8")
    with pytest.raises(ValueError, match="version"):
        RefusalModel.load(tmp_path / "m.json")


def test_shipped_model_is_small_documented_and_uses_known_features():
    m = RefusalModel.load(MODEL_FILE)
    assert set(m.features) <= set(FEATURES) and len(m.features) <= 4
    assert {"date", "data", "cross_validated_refusal_rate"} <= set(m.info)
    assert set(m.by_lang) == {"zh", "en"}
    weak = {"sentence_coverage": 0.1, "dense": 0.05, "agreement": 0.0, "keyword": 0.05}
    strong = {"sentence_coverage": 1.0, "dense": 0.3, "agreement": 1.0, "keyword": 0.7}
    for lang in ("zh", "en"):
        assert not m.decide(weak, 0.96, lang).answer and m.decide(strong, 0.96, lang).answer
