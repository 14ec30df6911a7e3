"""Every test owns its state: a temporary home, no KB_* variables, no .env from the checkout."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data" / "samples"
SHARED_EVAL = REPO.parent / "shared" / "eval"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

pytest_plugins = ["tests.server.fixtures"]  # chroma_server, postgres_server, pg_url, pg_db


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith("KB_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    monkeypatch.chdir(tmp_path)  # no developer .env is read
    yield


@pytest.fixture
def settings(tmp_path):
    from kb.core.config import Settings

    return Settings(home=tmp_path / "kbhome", chunk_size=200, chunk_overlap=40)


@pytest.fixture
def fake_embedder():
    from kb.core.testing.fakes import BagOfWordsEmbeddings

    return BagOfWordsEmbeddings()


@pytest.fixture
def app(settings, fake_embedder):
    """The real stores (Chroma on disk, SQLite) with the deterministic fake embedder."""
    from kb.app.wiring import build

    kb = build(settings, embedder_override=fake_embedder)
    yield kb
    kb.close()


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    return root
