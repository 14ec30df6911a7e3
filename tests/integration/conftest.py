"""Fixtures shared by the assistant's integration tests."""

from __future__ import annotations

import pytest

from kb.app.wiring import build
from tests.answers_helpers import write_rule
from tests.conftest import SAMPLES


@pytest.fixture
def samples_app(settings, fake_embedder, tmp_path):
    s = settings.model_copy(update={"refusal_model": str(write_rule(tmp_path / "rule.json"))})
    app = build(s, embedder_override=fake_embedder)
    app.ingestor().run([str(SAMPLES)])
    yield app
    app.close()
