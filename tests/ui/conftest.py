"""Page tests: the real stores over a copy of data/samples, the fake embedder, the quoting
assistant; the page's App and request headers replaced through ui.state."""

from __future__ import annotations

import shutil

import pytest

from kb.app.service import KnowledgeBase
from kb.app.wiring import build
from kb.core.config import Settings
from tests.conftest import REPO, SAMPLES
from kb.core.testing.fakes import BagOfWordsEmbeddings
from tests.ui.fakes import QuotingAssistant


@pytest.fixture
def samples(tmp_path):
    root = tmp_path / "samples"
    shutil.copytree(SAMPLES, root)
    return root


@pytest.fixture
def page_env(tmp_path, samples, monkeypatch):
    """Returns a function (auth, **settings) -> the App the page will use, ingested."""
    import streamlit as st

    import ui.state

    made = []

    def make(auth: str = "none", headers: dict | None = None, real_assistant: bool = False,
             **extra):
        settings = Settings(home=tmp_path / "home", auth=auth, isolate_loaders=False, ocr=False,
                            **extra)
        app = build(settings, embedder_override=BagOfWordsEmbeddings())
        if not real_assistant:
            app.assistant_override = QuotingAssistant(app.searcher())
        if not app.manifest.docs():
            assert app.ingestor().run([str(samples)]).failed == ()
        monkeypatch.setattr(ui.state, "make_app", lambda: KnowledgeBase(app))
        monkeypatch.setattr(ui.state, "request_headers", lambda: dict(headers or {}))
        st.cache_resource.clear()
        made.append(app)
        return app

    yield make
    st.cache_resource.clear()
    for app in made:
        app.close()


def page(path: str | None = None, user: dict | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "ui" / "app.py"), default_timeout=60)
    if user is not None:
        at.user = user
    if path:
        at.switch_page(path)
    return at.run()
