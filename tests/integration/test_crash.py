"""SIGKILL at several points of a run: the next run ends exactly where an uninterrupted run
would (same chunk ids, no duplicates, no orphans)."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from kb.core.config import Settings
from kb.app.wiring import build
from tests.conftest import REPO
from kb.core.testing.fakes import BagOfWordsEmbeddings
from tests.helpers import assert_indexes_match_disk, expected_chunk_ids

POINTS = [
    # one upsert per index holds every document of a batch (ingest/apply.py Writer.commit)
    ("ChromaVectorIndex.upsert", 1),  # new chunks in Chroma only
    ("FtsKeywordIndex.upsert", 1),  # new chunks in both indexes, manifest not flipped
    ("SqliteManifest.put", 1),  # flipped, old chunks still there
    ("SqliteManifest.put", 2),
    ("ChromaVectorIndex.delete_doc", 1),  # old chunks gone from Chroma, not from FTS
    ("SqliteManifest.remove", 1),  # a deleted file's row gone, its chunks not
    ("FtsKeywordIndex.relabel", 1),  # relabel half done
]


def make_state_a(root):
    (root / "hr").mkdir(parents=True)
    (root / "keep.md").write_text("Keep this file unchanged. " * 10, encoding="utf-8")
    (root / "edit.md").write_text("Annual leave is 15 days. " * 12, encoding="utf-8")
    (root / "gone.txt").write_text("这个文件会被删除。" * 20, encoding="utf-8")
    (root / "hr/pay.md").write_text("Salary bands are confidential. " * 5, encoding="utf-8")


def make_state_b(root):
    (root / "edit.md").write_text("Annual leave is 20 days from 2026. " * 9, encoding="utf-8")
    (root / "gone.txt").unlink()
    (root / "new.md").write_text("A new policy on remote work. " * 15, encoding="utf-8")
    (root / "acl.yaml").write_text("rules:\n  - path: 'hr/**'\n    groups: [hr]\n", encoding="utf-8")


def make_app(home):
    return build(Settings(home=home, chunk_size=120, chunk_overlap=30),
                 embedder_override=BagOfWordsEmbeddings())


def state(app):
    return ({(d.doc_id, d.version, d.status, tuple(sorted(d.acl))) for d in app.manifest.docs()},
            expected_chunk_ids(app))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted A -> B run (under another root, so rows are compared without ids)."""
    base = tmp_path_factory.mktemp("ref")
    root = base / "root"
    make_state_a(root)
    app = make_app(base / "home")
    app.ingestor().run([str(root)])
    make_state_b(root)
    app.ingestor().run([str(root)])
    result = state(app)
    app.close()
    return result


@pytest.mark.slow
@pytest.mark.parametrize("target,nth", POINTS)
def test_killed_run_recovers_to_the_uninterrupted_state(tmp_path, reference, target, nth):
    root = tmp_path / "root"
    make_state_a(root)
    home = tmp_path / "home"
    app = make_app(home)
    app.ingestor().run([str(root)])
    app.close()
    make_state_b(root)
    proc = subprocess.run(
        [sys.executable, "-m", "tests.crash_driver", str(home), str(root), target, str(nth)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    app = make_app(home)
    report = app.ingestor().run([str(root)])
    assert report.failed == ()
    assert_indexes_match_disk(app, root)
    manifest_rows, chunk_ids = state(app)
    # the reference ran under another absolute root, so compare what does not depend on it
    ref_rows, ref_ids = reference
    assert len(chunk_ids) == len(ref_ids)
    assert sorted(r[1:] for r in manifest_rows) == sorted(r[1:] for r in ref_rows)
    assert app.ingestor().run([str(root)]).nothing_to_do
    app.close()
