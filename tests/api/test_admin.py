"""Content owners over the API: an ingest runs as a job with progress and a report, one at a
time, only from allowed folders; DELETE by doc_id removes a document from every index. And the
`kb keys` and `kb api` commands."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from typer.testing import CliRunner

from kb.app.jobs import IngestJobs
from kb.app.service import KnowledgeBase
from kb.app.wiring import build
from kb.cli import app as cli
from kb.core.errors import IngestLocked
from kb.core.testing.fakes import BagOfWordsEmbeddings
from kb.core.types import IngestReport
from tests.api.conftest import Api, api_settings
from tests.conftest import REPO, SAMPLES


@pytest.fixture(scope="module")
def owner_api(tmp_path_factory):
    from kb.api.server import start_in_thread

    tmp = tmp_path_factory.mktemp("owner")
    allowed = tmp / "allowed"
    shutil.copytree(SAMPLES, allowed / "samples")
    (tmp / "elsewhere").mkdir()
    (tmp / "elsewhere" / "secret.md").write_text("# Keys\n\nThe vault code is 4471.", "utf-8")
    kb = KnowledgeBase(build(api_settings(tmp, api_ingest_roots=[str(allowed)]),
                             embedder_override=BagOfWordsEmbeddings()))
    keys = {"owner": kb.keys.create("olga", ["content-owner"])[1],
            "bob": kb.keys.create("bob")[1]}
    running = start_in_thread(kb)
    yield Api(running.url, kb, keys, allowed / "samples", tmp / "home")
    running.stop()
    kb.close()


def wait_job(c, job_id: str) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = c.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


def test_ingest_job_then_delete_by_doc_id(owner_api):
    with owner_api.client("owner") as c:
        r = c.post("/v1/ingest", json={"paths": [str(owner_api.corpus)]})
        assert r.status_code == 202, r.text
        job = wait_job(c, r.json()["id"])
        assert job["status"] == "done" and job["report"]["added"] == 9, job
        assert job["progress"]["total"] >= 1 and job["progress"]["done"] == job["progress"][
            "total"]
        again = wait_job(c, c.post("/v1/ingest", json={"paths": [str(owner_api.corpus)]})
                         .json()["id"])
        assert again["report"]["unchanged"] == 9 and again["report"]["added"] == 0

        leave = next(d for d in owner_api.kb.library() if d.path == "en/leave_policy.md")
        assert c.get(f"/v1/documents/{leave.doc_id}/passage",
                     params={"start": 0, "end": 20}).status_code == 200
        assert c.delete(f"/v1/documents/{leave.doc_id}").json() == {"deleted": 1}
        assert owner_api.kb.app.manifest.get(leave.doc_id) is None
        hits = c.post("/v1/search", json={"query": "paid annual leave", "k": 10}).json()["hits"]
        assert all(h["doc_id"] != leave.doc_id for h in hits)
        gone = c.get(f"/v1/documents/{leave.doc_id}/passage", params={"start": 0, "end": 20})
        absent = c.get(f"/v1/documents/{'0' * 40}/passage", params={"start": 0, "end": 20})
        assert gone.status_code == 404 and gone.json() == absent.json()
        assert c.delete(f"/v1/documents/{leave.doc_id}").status_code == 404


def test_the_api_ingests_only_from_allowed_folders(owner_api):
    elsewhere = owner_api.corpus.parent.parent / "elsewhere"
    with owner_api.client("owner") as c:
        for path in (str(elsewhere), str(elsewhere / "secret.md"), "/etc",
                     str(owner_api.corpus / ".." / ".." / "elsewhere")):
            r = c.post("/v1/ingest", json={"paths": [path]})
            assert r.status_code == 400 and r.json()["error"]["code"] == "path_not_allowed"
        r = c.post("/v1/ingest", json={"paths": [str(owner_api.corpus / "nope")]})
        assert r.json()["error"]["code"] == "no_such_path"
        assert c.get("/v1/jobs/unknown").status_code == 404
    assert not any("secret" in d.path for d in owner_api.kb.library())


def test_one_job_at_a_time():
    release = threading.Event()

    def run(paths, dry_run, progress):
        progress("embed", 1, 2, paths[0])
        release.wait(10)
        return IngestReport(added=1)

    jobs = IngestJobs(run)
    first = jobs.start(["/a"])
    with pytest.raises(IngestLocked):
        jobs.start(["/b"])
    deadline = time.monotonic() + 5
    while jobs.get(first.id).done != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert jobs.get(first.id).to_json()["progress"] == {"phase": "embed", "done": 1,
                                                        "total": 2, "path": "/a"}
    release.set()
    assert jobs.wait(first.id).to_json()["report"]["added"] == 1
    failing = IngestJobs(lambda *a: (_ for _ in ()).throw(IngestLocked("another ingest runs")))
    assert failing.wait(failing.start(["/c"]).id).to_json()["error"] == "another ingest runs"


def test_kb_keys_commands(tmp_path):
    kb = KnowledgeBase(build(api_settings(tmp_path), embedder_override=BagOfWordsEmbeddings()))
    run = CliRunner().invoke
    made = run(cli, ["keys", "create", "--user", "ann", "--group", "hr", "--name", "bot",
                     "--expires", "7", "--json"], obj=kb)
    assert made.exit_code == 0, made.output
    created = json.loads(made.output)
    assert created["groups"] == ["hr"] and kb.keys.check(created["key"]).user == "ann"
    listed = run(cli, ["keys", "list", "--json"], obj=kb)
    assert [k["id"] for k in json.loads(listed.output)] == [created["id"]]
    assert created["key"] not in listed.output
    assert run(cli, ["keys", "revoke", created["id"]], obj=kb).exit_code == 0
    assert kb.keys.check(created["key"]) is None
    assert run(cli, ["keys", "revoke", created["id"]], obj=kb).exit_code == 2
    assert "revoked" in run(cli, ["keys", "list"], obj=kb).output
    kb.close()


@pytest.mark.slow
def test_kb_api_command_serves_with_keys(tmp_path):
    from kb.core.testing.servers import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update({"KB_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)})
    kb = [sys.executable, "-m", "kb.cli"]
    made = subprocess.run([*kb, "keys", "create", "--user", "ann", "--json"], env=env,
                          capture_output=True, text=True, check=True, cwd=tmp_path)
    key = json.loads(made.stdout)["key"]
    port = free_port()
    proc = subprocess.Popen([*kb, "api", "--port", str(port)], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                req = urllib.request.Request(url + "/v1/models",
                                             headers={"Authorization": f"Bearer {key}"})
                with urllib.request.urlopen(req, timeout=2) as r:
                    assert json.loads(r.read())["data"][0]["id"] == "kb-assistant"
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url + "/v1/models", timeout=5)
        assert err.value.code == 401
    finally:
        proc.terminate()
        proc.wait(20)
