"""The `kb` command as a user runs it: real default model, real stores, state read back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO, SAMPLES

pytestmark = pytest.mark.slow


def kb(*args, home, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env["KB_HOME"] = str(home)
    proc = subprocess.run([sys.executable, "-m", "kb.cli", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_ingest_status_search_delete_round_trip(tmp_path):
    root = tmp_path / "samples"
    shutil.copytree(SAMPLES, root)
    home = tmp_path / "home"

    report = json.loads(kb("ingest", str(root), "--json", home=home).stdout)
    assert set(report) >= {"added", "updated", "unchanged", "deleted", "failed", "chunks", "seconds"}
    assert report["added"] == 9 and report["failed"] == [] and report["chunks"] > 0

    status = json.loads(kb("status", "--json", home=home).stdout)
    assert status["documents"] == 9 and status["failed"] == 0
    assert {f["path"] for f in status["files"]} >= {"zh/报销制度.docx", "en/expenses_policy.pdf"}
    assert sum(f["chunks"] for f in status["files"]) == report["chunks"]

    hits = json.loads(kb("search", "年休假有几天", "--json", home=home).stdout)["hits"]
    assert hits[0]["path"] == "zh/请假制度.md"
    hit = hits[0]
    assert hit["text"] and hit["char_end"] > hit["char_start"]

    (root / "en" / "it_security.md").unlink()
    (root / "en" / "leave_policy.md").write_text("# Leave\n\nAnnual leave is 25 days.", "utf-8")
    second = kb("ingest", str(root), home=home).stdout
    assert "1 updated" in second and "1 deleted" in second and "0 failed" in second

    again = json.loads(kb("ingest", str(root), "--json", home=home).stdout)
    assert again["unchanged"] == 8 and again["added"] == again["updated"] == again["deleted"] == 0

    gone = json.loads(kb("delete", str(root / "zh"), "--json", home=home).stdout)
    assert gone["deleted"] == 4 and gone["chunks"] >= 4 and len(gone["paths"]) == 4
    status = json.loads(kb("status", "--json", home=home).stdout)
    assert not any(f["path"].startswith("zh/") for f in status["files"])
    readable = kb("status", home=home).stdout
    assert "4 searchable documents" in readable


def test_failures_are_listed_and_the_exit_code_is_zero(tmp_path):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "ok.md").write_text("Expense claims within 30 days.", "utf-8")
    (root / "broken.pdf").write_bytes(b"%PDF-1.7 truncated")
    proc = kb("ingest", str(root), home=tmp_path / "home")
    assert "FAILED [corrupt] broken.pdf" in proc.stdout
    report = json.loads(kb("ingest", str(root), "--json", home=tmp_path / "home").stdout)
    assert report["failed"][0]["path"] == "broken.pdf" and report["failed"][0]["error"]


def test_run_that_cannot_happen_exits_non_zero(tmp_path):
    proc = kb("ingest", str(tmp_path / "missing"), home=tmp_path / "home", check=False)
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr
    bad_acl = tmp_path / "docs"
    bad_acl.mkdir()
    (bad_acl / "acl.yaml").write_text("rules: [{groups: [hr]}]", "utf-8")
    proc = kb("ingest", str(bad_acl), home=tmp_path / "home", check=False)
    assert proc.returncode == 2 and "acl.yaml" in proc.stderr


def test_locked_ingest_is_refused_with_a_clear_message(tmp_path):
    from filelock import FileLock

    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.md").write_text("text", "utf-8")
    with FileLock(str(home / "ingest.lock")):
        proc = kb("ingest", str(tmp_path / "d"), home=home, check=False)
    assert proc.returncode == 2 and "another ingest is running" in proc.stderr


def test_dry_run_reports_the_plan_and_writes_nothing(tmp_path):
    home = tmp_path / "home"
    proc = kb("ingest", str(SAMPLES), "--dry-run", home=home)
    assert proc.stdout.startswith("Would ingest: 9 added")
    assert json.loads(kb("status", "--json", home=home).stdout)["documents"] == 0
