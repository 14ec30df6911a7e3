"""SIGKILL during an ingest in server mode (Chroma server + PostgreSQL): the next run ends
exactly where an uninterrupted run would, as in tests/integration/test_crash.py. The killed
process also held the PostgreSQL ingest lock: the server releases it with the session."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from kb.core.config import Settings
from kb.app.wiring import build
from tests.conftest import REPO
from kb.core.testing.fakes import BagOfWordsEmbeddings
from tests.helpers import assert_indexes_match_disk
from tests.integration.test_crash import make_state_a, make_state_b, state

pytestmark = pytest.mark.slow

POINTS = [
    # one upsert per index holds every document of a batch (ingest/apply.py Writer.commit)
    ("ChromaVectorIndex.upsert", 1),  # new chunks in Chroma only
    ("PgKeywordIndex.upsert", 1),  # in both indexes, manifest not flipped
    ("SqliteManifest.put", 2),  # flipped, old chunks still there
    ("ChromaVectorIndex.delete_doc", 1),  # old chunks gone from Chroma, not from PostgreSQL
    ("SqliteManifest.remove", 1),  # a deleted file's row gone, its chunks not
    ("PgKeywordIndex.relabel", 1),  # relabel half done
]


def make_app(home, stores):
    return build(Settings(home=home, chunk_size=120, chunk_overlap=30, **stores),
                 embedder_override=BagOfWordsEmbeddings())


def run_through(root, stores, home):
    app = make_app(home, stores)
    app.ingestor().run([str(root)])
    return app


@pytest.mark.parametrize("target,nth", POINTS)
def test_killed_server_mode_run_recovers_to_the_uninterrupted_state(tmp_path, server_stores,
                                                                    target, nth):
    stores = server_stores("crash")
    ref_root = tmp_path / "ref"
    make_state_a(ref_root)
    ref = run_through(ref_root, server_stores("crashref"), tmp_path / "refhome")
    make_state_b(ref_root)
    ref.ingestor().run([str(ref_root)])
    ref_rows, ref_ids = state(ref)
    ref.close()

    root = tmp_path / "root"
    make_state_a(root)
    home = tmp_path / "home"
    run_through(root, stores, home).close()
    make_state_b(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update({f"KB_{k.upper()}": v for k, v in stores.items()})
    proc = subprocess.run(
        [sys.executable, "-m", "tests.crash_driver", str(home), str(root), target, str(nth)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    app = make_app(home, stores)
    report = app.ingestor().run([str(root)])  # the lock of the killed process is free again
    assert report.failed == ()
    assert_indexes_match_disk(app, root)
    rows, ids = state(app)
    assert len(ids) == len(ref_ids)
    assert sorted(r[1:] for r in rows) == sorted(r[1:] for r in ref_rows)
    assert app.ingestor().run([str(root)]).nothing_to_do
    app.close()
