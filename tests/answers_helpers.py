"""Passages and refusal models built by hand for the answering tests."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.passages import Passage
from assistant.refusal import RefusalModel
from kb.core.types import Chunk, Hit


def passage(n: int, text: str, *, doc: str = "d", start: int = 0, title: str = "",
            path: str = "", lang: str = "en", section: str = "") -> Passage:
    chunk = Chunk(f"{doc}:v:{n}", doc, "v", n, text, None, start, start + len(text), section,
                  lang, frozenset({"public"}), path or f"{doc}.md", title)
    return Passage(n, Hit(chunk, 1.0 / n, {"keyword": 0.5, "keyword_rank": float(n),
                                           "dense": 0.3, "dense_rank": float(n)}))


def coverage_rule(cut: float = 0.5) -> RefusalModel:
    """Answer exactly when one sentence (with its title) covers more than `cut` of the key terms:
    a readable stand-in for the fitted model, whose dense feature assumes the real embedder."""
    return RefusalModel(("sentence_coverage",), (100.0,), -100.0 * cut, ((1.0, 0.5),))


def write_rule(path: Path, cut: float = 0.5) -> Path:
    m = coverage_rule(cut)
    path.write_text(json.dumps({"features": list(m.features), "coef": list(m.coef),
                                "intercept": m.intercept, "keep_thresholds": [[1.0, 0.5]],
                                "version": 1}), "utf-8")
    return path
