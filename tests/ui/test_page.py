"""The page, driven by Streamlit's AppTest against a real ingested home."""

from __future__ import annotations

import shutil

import pytest

from kb.config import Settings
from kb.types import Chunk
from kb.wiring import build
from tests.conftest import REPO, SAMPLES
from ui.render import highlight, location

pytestmark = pytest.mark.slow


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    root = tmp_path / "samples"
    shutil.copytree(SAMPLES, root)
    app = build(Settings(home=home))
    assert app.ingestor().run([str(root)]).failed == ()
    app.close()
    monkeypatch.setenv("KB_HOME", str(home))
    return home


def run_page():
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_resource.clear()  # the page caches its wiring per process; settings change here

    at = AppTest.from_file(str(REPO / "ui" / "app.py"), default_timeout=120)
    return at.run()


def test_search_box_shows_ranked_sources(home):
    at = run_page()
    assert not at.exception
    assert "8 documents searchable" in at.caption[0].value  # hr/ is not readable by default
    at.text_input[0].input("年休假有几天").run()
    texts = [m.value for m in at.markdown]
    assert any("zh/请假制度.md" in t for t in texts)
    assert any("**年休假**" in t for t in texts)


def test_restricted_documents_stay_hidden_from_the_local_user(home, monkeypatch):
    at = run_page()
    at.text_input[0].input("Salary band L3").run()
    assert not any("salary_bands" in m.value for m in at.markdown)
    monkeypatch.setenv("KB_LOCAL_GROUPS", "hr")
    at = run_page()
    at.text_input[0].input("Salary band L3").run()
    assert any("salary\\_bands" in m.value or "salary_bands" in m.value for m in at.markdown)


def test_render_helpers():
    c = Chunk("d:v:0", "d", "v", 0, "年休假5天。Annual leave.", 3, 0, 10, "A > B", "zh",
              frozenset({"public"}), path="a/b.pdf")
    assert location(c) == "a/b.pdf · p. 3 · A > B"
    assert highlight("员工年休假5天 (see *note*)", "年休假") == "员工**年休假**5天 \\(see \\*note\\*\\)"
