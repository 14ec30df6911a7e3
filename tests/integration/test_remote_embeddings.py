"""Remote OpenAI-compatible embeddings against the simulated server (kb/core/testing)."""

from __future__ import annotations

import numpy as np
import pytest

from kb.app.wiring import build, make_embedder
from kb.core.config import Settings
from kb.core.errors import EmbeddingServerError
from kb.core.remote_embeddings import RemoteEmbeddings
from kb.core.testing.embedding_server import EmbeddingServer, vector
from kb.core.testing.servers import free_port
from kb.core.types import Principal


def remote(server: EmbeddingServer, **kw) -> RemoteEmbeddings:
    kw.setdefault("backoff", 0.01)
    return RemoteEmbeddings(server.url, model="sim-model", **kw)


def test_429_then_200_is_retried():
    """A server that is busy once (429) must not fail the batch."""
    with EmbeddingServer(dim=8, statuses=[429], retry_after=0.05) as server:
        vecs = remote(server).embed_array(["年假 annual leave"])
    assert server.requests == 2
    assert np.allclose(vecs[0], vector("年假 annual leave", 8), atol=1e-6)


def test_5xx_until_retries_run_out_is_a_clear_error():
    with EmbeddingServer(dim=8, statuses=[503, 502, 500]) as server:
        with pytest.raises(EmbeddingServerError, match="failed 3 times: HTTP 500"):
            remote(server, retries=2).embed_array(["x"])
    assert server.requests == 3


def test_a_client_error_is_not_retried():
    with EmbeddingServer(dim=8, statuses=[400]) as server:
        with pytest.raises(EmbeddingServerError, match="refused the request: HTTP 400"):
            remote(server).embed_array(["x"])
    assert server.requests == 1


def test_wrong_dimension_is_a_clear_error():
    with EmbeddingServer(dim=8) as server:
        with pytest.raises(EmbeddingServerError, match="returned 8-d vectors, expected 384-d"):
            remote(server, dim=384).embed_array(["x"])


def test_dimension_changing_between_answers_is_refused():
    """A server swapped to another model mid-ingest must not mix vector spaces."""
    with EmbeddingServer(dim=8, wrong_dim=4, dim_after=1) as server:
        model = remote(server)
        assert model.embed_array(["a"]).shape == (1, 8)
        with pytest.raises(EmbeddingServerError, match="returned 4-d vectors, expected 8-d"):
            model.embed_array(["b"])


def test_server_down_says_so():
    model = RemoteEmbeddings(f"http://127.0.0.1:{free_port()}/v1", retries=1, backoff=0.01)
    with pytest.raises(EmbeddingServerError, match="cannot connect.*Is it running"):
        model.embed_query("x")


def test_batches_go_out_concurrently_with_prefixes_and_key():
    with EmbeddingServer(dim=8, delay=0.2) as server:
        model = remote(server, batch_size=2, concurrency=4, api_key="s3cret",
                       passage_prefix="passage: ", query_prefix="query: ", input_type=True)
        texts = [f"text {i}" for i in range(8)]
        vecs = model.embed_array(texts)
        q = model.embed_query("问题")
    assert server.max_in_flight == 4
    assert np.allclose(vecs, [vector("passage: " + t, 8) for t in texts], atol=1e-6)
    assert np.allclose(q, vector("query: 问题", 8), atol=1e-6)
    assert {b["input_type"] for b in server.bodies} == {"passage", "query"}
    assert {b["model"] for b in server.bodies} == {"sim-model"}


def test_model_id_covers_the_remote_model_and_prefixes():
    """A change of remote model must change the fingerprint, so everything re-embeds."""
    from ingest.scope import fingerprint

    s = Settings()
    base = RemoteEmbeddings("http://127.0.0.1:1/v1", model="a")
    ids = {base.model_id, RemoteEmbeddings("http://127.0.0.1:1/v1", model="b").model_id,
           RemoteEmbeddings("http://127.0.0.1:1/v1", model="a", passage_prefix="p: ").model_id}
    assert len(ids) == 3
    assert fingerprint(base.model_id, s) != fingerprint(
        RemoteEmbeddings("http://127.0.0.1:1/v1", model="b").model_id, s)
    assert RemoteEmbeddings("http://127.0.0.1:2/v1", model="a").model_id == base.model_id


def test_wiring_picks_the_remote_model(tmp_path):
    s = Settings(home=tmp_path, embedding_url="http://127.0.0.1:9/v1",
                 embedding_remote_model="bge-m3", embedding_concurrency=3)
    model = make_embedder(s)
    assert isinstance(model, RemoteEmbeddings) and model.concurrency == 3
    assert "bge-m3" in model.model_id


def write_corpus(root, n):
    root.mkdir(exist_ok=True)
    for i in range(n):
        (root / f"doc{i:02d}.txt").write_text(
            f"第{i}号制度。员工每年享有{i}天带薪年假。Policy {i} covers annual leave.",
            encoding="utf-8")


def test_ingest_and_search_through_the_remote_server(tmp_path):
    with EmbeddingServer(dim=16, delay=0.05) as server:
        s = Settings(home=tmp_path / "home", embedding_url=server.url, embedding_batch_size=2,
                     embedding_concurrency=3, embedding_retries=1)
        write_corpus(tmp_path / "c", 12)
        app = build(s)
        try:
            r = app.ingestor().run([str(tmp_path / "c")])
            assert (r.added, r.failed) == (12, ())
            assert server.max_in_flight >= 2, "the pipeline kept several batches in flight"
            hits = app.searcher().search("第7号制度", Principal("u"))
            assert hits and hits[0].chunk.path == "doc07.txt"
        finally:
            app.close()


def test_server_stopped_mid_ingest_fails_per_file_and_next_run_completes(tmp_path):
    """A dead embeddings server must not abort the run or lose documents: per-file errors."""
    write_corpus(tmp_path / "c", 10)
    server = EmbeddingServer(dim=16, delay=0.05).__enter__()
    s = Settings(home=tmp_path / "home", embedding_url=server.url, embedding_batch_size=1,
                 embedding_concurrency=1, embedding_retries=1, ingest_workers=1)
    app = build(s)
    calls = {"n": 0}

    def progress(phase, done, total, path):
        calls["n"] += 1
        if calls["n"] == 3:
            server.stop()

    try:
        r = app.ingestor().run([str(tmp_path / "c")], progress=progress)
        assert 0 < r.added < 10
        assert {f.code for f in r.failed} == {"embedding"}
        assert r.added + len(r.failed) == 10
        assert "Is it running" in r.failed[0].error
        assert len([d for d in app.manifest.docs() if d.status == "ok"]) == r.added
    finally:
        app.close()
    with EmbeddingServer(dim=16) as again:
        app = build(s.model_copy(update={"embedding_url": again.url}))
        try:
            r2 = app.ingestor().run([str(tmp_path / "c")])
            assert (r2.added, r2.unchanged, r2.failed) == (10 - r.added, r.added, ())
            from tests.helpers import assert_indexes_match_disk

            assert_indexes_match_disk(app, tmp_path / "c")
        finally:
            app.close()
