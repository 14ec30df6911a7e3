"""Several `kb ingest` workers sharing one sync through the PostgreSQL work queue
(ingest/queue.py), against a real Chroma server and the simulated embeddings server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from kb.app.wiring import build
from kb.core.config import Settings
from kb.core.testing.embedding_server import EmbeddingServer
from tests.conftest import REPO
from tests.helpers import assert_indexes_match_disk, expected_chunk_ids

pytestmark = pytest.mark.slow


def make_corpus(root, n):
    root.mkdir()
    for i in range(n):
        (root / f"doc{i:03d}.txt").write_text(
            f"第{i}号制度。员工每年享有{i}天带薪年假。\n\nPolicy {i}: annual leave is {i} days.",
            encoding="utf-8")


def worker_env(stores, home, url) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update({"PYTHONPATH": str(REPO), "KB_HOME": str(home), "KB_EMBEDDING_URL": url,
                "KB_DATABASE_URL": stores["database_url"], "KB_CHROMA_URL": stores["chroma_url"],
                "KB_COLLECTION": stores["collection"], "KB_INGEST_QUEUE": "true",
                "KB_EMBEDDING_BATCH_SIZE": "2", "KB_EMBEDDING_CONCURRENCY": "1",
                "KB_INGEST_QUEUE_CLAIM": "2", "KB_ISOLATE_LOADERS": "false",
                "ANONYMIZED_TELEMETRY": "False"})
    return env


def start_worker(root, env):
    return subprocess.Popen([sys.executable, "-m", "kb.cli", "ingest", str(root), "--json"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def settings_for(stores, home, url) -> Settings:
    return Settings(home=home, embedding_url=url, database_url=stores["database_url"],
                    chroma_url=stores["chroma_url"], collection=stores["collection"])


def chunk_ids(stores, home, url, root) -> set[str]:
    """Every index equals the files on disk; the chunk ids, which every clean run agrees on."""
    app = build(settings_for(stores, home, url))
    try:
        assert_indexes_match_disk(app, root)
        return expected_chunk_ids(app)
    finally:
        app.close()


def test_two_workers_share_a_sync_and_a_killed_one_is_picked_up(tmp_path, server_stores):
    root = tmp_path / "corpus"
    make_corpus(root, 24)
    with EmbeddingServer(dim=16, delay=0.15) as server:
        # reference: one clean single-worker run into its own stores
        ref = server_stores("ref")
        w = start_worker(root, worker_env(ref, tmp_path / "h0", server.url))
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err
        assert json.loads(out)["added"] == 24
        clean = chunk_ids(ref, tmp_path / "h0", server.url, root)

        # two workers together, one of them killed mid-run
        shared = server_stores("shared")
        first = start_worker(root, worker_env(shared, tmp_path / "h1", server.url))
        second = start_worker(root, worker_env(shared, tmp_path / "h2", server.url))
        app = build(settings_for(shared, tmp_path / "probe", server.url))
        try:
            deadline = time.monotonic() + 120
            while len([d for d in app.manifest.docs() if d.status == "ok"]) < 4:
                assert time.monotonic() < deadline, "no worker wrote anything"
                assert first.poll() is None, first.stderr.read()
                time.sleep(0.05)
        finally:
            app.close()
        first.send_signal(signal.SIGKILL)
        first.wait()
        out, err = second.communicate(timeout=300)
        assert second.returncode == 0, err
        survivor = json.loads(out)
        assert survivor["added"] + survivor["updated"] > 0, survivor
        assert survivor["failed"] == []
        assert chunk_ids(shared, tmp_path / "h2", server.url, root) == clean

        # a third worker finds nothing left to do
        third = start_worker(root, worker_env(shared, tmp_path / "h3", server.url))
        out, err = third.communicate(timeout=300)
        assert third.returncode == 0, err
        report = json.loads(out)
        assert (report["added"], report["updated"], report["unchanged"]) == (0, 0, 24)


def test_claims_never_overlap_and_a_failed_claim_gives_its_rows_back(pg_db, pg_url):
    from ingest.discover import FoundFile
    from ingest.queue import WorkQueue

    a, b = WorkQueue(pg_db, pg_url), WorkQueue(pg_db, pg_url)
    files = [FoundFile(f"/r/f{i}", f"f{i}", f"id{i}", i, 1) for i in range(5)]
    a.fill("/r", [(f, "h") for f in files])
    a.fill("/r", [(files[0], "other")])  # already queued: stays as it was
    try:
        with a.claim("/r", 3) as mine:
            with b.claim("/r", 10) as theirs:
                assert {c.file.doc_id for c in mine} == {"id0", "id1", "id2"}
                assert {c.file.doc_id for c in theirs} == {"id3", "id4"}
                assert mine[0].content_hash == "h" and mine[0].file.abs_path == "/r/f0"
            assert a.size("/r") == 3
            raise RuntimeError("worker failed mid-claim")
    except RuntimeError:
        pass
    assert a.size("/r") == 3, "a failed claim must give its rows back"
    with b.claim("/r", 10) as again:
        assert len(again) == 3
    assert a.size("/r") == 0
    a.close()
    b.close()
