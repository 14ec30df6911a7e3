"""The decision taken before any answer is written: is there enough evidence, or is the
answer "not in the knowledge base"?

A logistic regression over a few evidence features (assistant/evidence.py) gives the probability
that the question is answerable from the passages. Where to cut is the operating point: the
share of answerable questions to keep (`refusal_keep`). The fitted model stores, next to its
coefficients, the probability cut that keeps each share of the answerable development questions,
so the setting reads as "keep 95% of answerable questions" rather than as a raw probability.
The parameters live in a small versioned JSON file (refusal_model.json), written by
bench/fit_refusal.py."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).with_name("refusal_model.json")
KEEPS = (0.80, 0.85, 0.90, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 1.0)


@dataclass(frozen=True)
class Decision:
    answer: bool
    probability: float
    threshold: float


@dataclass(frozen=True)
class RefusalModel:
    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    keep_thresholds: tuple[tuple[float, float], ...]  # (share kept, probability cut), by share
    # the same per question language: the evidence features of Chinese questions (jieba's
    # overlapping search-mode words) run higher than those of English ones (stemmed words)
    by_lang: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    # decides when the best passage is in the other language: key-term coverage is then zero
    # by construction, so only language-free features may be used
    crosslang: "RefusalModel | None" = None
    version: int = 1
    info: dict = field(default_factory=dict, compare=False)  # date, data, cross-validation

    def probability(self, feats: Mapping[str, float]) -> float:
        z = self.intercept + sum(c * float(feats.get(f, 0.0))
                                 for f, c in zip(self.features, self.coef))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def threshold(self, keep: float, lang: str = "") -> float:
        """The probability cut that kept a share `keep` of the answerable development questions
        in `lang` (all of them for a language without its own cuts); linear between the stored
        shares, outside them the nearest."""
        pts = sorted(self.by_lang.get(lang) or self.keep_thresholds)
        if keep <= pts[0][0]:
            return pts[0][1]
        for (k0, t0), (k1, t1) in zip(pts, pts[1:]):
            if keep <= k1:
                return t0 + (t1 - t0) * (keep - k0) / (k1 - k0)
        return pts[-1][1]

    def decide(self, feats: Mapping[str, float], keep: float, lang: str = "") -> Decision:
        p = self.probability(feats)
        t = self.threshold(keep, lang)
        return Decision(p >= t, p, t)

    @classmethod
    def load(cls, path: Path | str = MODEL_FILE) -> "RefusalModel":
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        if raw.get("version") != 1:
            raise ValueError(f"{path}: unsupported refusal model version {raw.get('version')!r}")
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: Mapping) -> "RefusalModel":
        return cls(tuple(raw["features"]), tuple(raw["coef"]), float(raw["intercept"]),
                   _pairs(raw["keep_thresholds"]),
                   {lang: _pairs(v) for lang, v in (raw.get("by_lang") or {}).items()},
                   cls.from_dict(raw["crosslang"]) if raw.get("crosslang") else None,
                   version=1, info=raw.get("info", {}))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["keep_thresholds"] = [list(kt) for kt in self.keep_thresholds]
        d["by_lang"] = {k: [list(kt) for kt in v] for k, v in self.by_lang.items()}
        d["crosslang"] = self.crosslang.to_dict() if self.crosslang else None
        return d

    def save(self, path: Path | str = MODEL_FILE) -> None:
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2)
        text = re.sub(r"\[\s+([-\d.e]+),\s+([-\d.e]+)\s+\]", r"[\1, \2]", text)  # pairs
        Path(path).write_text(text + "\n", encoding="utf-8")


def _pairs(raw) -> tuple[tuple[float, float], ...]:
    return tuple((float(k), float(t)) for k, t in raw)


def fit(rows: Sequence[Mapping[str, float]], labels: Sequence[bool], features: Sequence[str],
        l2: float = 1.0, info: Mapping | None = None,
        langs: Sequence[str] = (), crosslang: Sequence[str] = ()) -> RefusalModel:
    """Logistic regression (Newton's method, L2 penalty on the coefficients, not the intercept)
    of `labels` (answerable?) on `features`; the keep thresholds come from the answerable rows
    (and per language from those of each language, when `langs` gives every row's). With
    `crosslang` features, a second model on those alone becomes the `crosslang` one."""
    x = np.array([[float(r.get(f, 0.0)) for f in features] for r in rows], dtype=float)
    y = np.array([1.0 if v else 0.0 for v in labels])
    xb = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(xb.shape[1])
    penalty = np.eye(xb.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ w, -60, 60)))
        grad = xb.T @ (p - y) + penalty @ w
        hess = xb.T @ (xb * (p * (1 - p))[:, None]) + penalty + np.eye(len(w)) * 1e-9
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    model = RefusalModel(tuple(features), tuple(float(v) for v in w[1:]), float(w[0]), ())
    probs = [model.probability(r) for r in rows]
    kept = [p for p, a in zip(probs, labels) if a]
    by_lang = {}
    for lang in sorted(set(langs)):
        mine = [p for p, a, g in zip(probs, labels, langs) if a and g == lang]
        if mine:
            by_lang[lang] = keep_thresholds(mine)
    sub = fit(rows, labels, crosslang, l2=l2, langs=langs) if crosslang else None
    return RefusalModel(model.features, model.coef, model.intercept,
                        keep_thresholds(kept), by_lang, sub, info=dict(info or {}))


def keep_thresholds(answerable_probs: Sequence[float]) -> tuple[tuple[float, float], ...]:
    """For each share in KEEPS, the cut that keeps that share of `answerable_probs`."""
    ordered = sorted(answerable_probs, reverse=True)
    out = []
    for keep in KEEPS:
        i = min(len(ordered) - 1, max(0, math.ceil(keep * len(ordered)) - 1))
        out.append((keep, round(ordered[i] - 1e-9, 9)))
    return tuple(out)
