"""A query length limit (KB_MAX_QUERY_CHARS) on every front end: a 48k-character query took 58 s
to embed; now the service, the CLI and the page refuse it before anything is embedded."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kb.app.service import KnowledgeBase
from kb.cli import app as cli
from kb.core.errors import QueryTooLong
from kb.core.testing.fakes import BagOfWordsEmbeddings
from kb.core.types import Principal
from tests.ui.conftest import page
from tests.ui.test_pages import ask

HUGE = "年假 annual leave " * 3000  # 48,000 characters


@pytest.fixture
def embedded(monkeypatch):
    seen = []
    real = BagOfWordsEmbeddings.embed_query

    def counting(self, text):
        seen.append(len(text))
        return real(self, text)

    monkeypatch.setattr(BagOfWordsEmbeddings, "embed_query", counting)
    return seen


def test_the_service_refuses_a_48k_query_before_embedding_it(page_env, embedded):
    """search, ask and stream embedded any query, however long (58 s for 48k characters)."""
    kb = KnowledgeBase(page_env(max_query_chars=500))
    anyone = Principal("u")
    assert len(HUGE) == 48_000
    for call in (kb.search, kb.ask, kb.stream):
        with pytest.raises(QueryTooLong, match="48000 characters; the limit is 500"):
            call(HUGE, anyone)
    assert embedded == []
    assert kb.search("a" * 500, anyone) is not None and embedded[0] == 500


def test_kb_search_and_ask_refuse_it_with_a_sentence(page_env, embedded):
    """`kb search` / `kb ask` had no limit."""
    kb = KnowledgeBase(page_env())
    for command in ("search", "ask"):
        r = CliRunner().invoke(cli, [command, HUGE], obj=kb)
        assert r.exit_code == 2 and "KB_MAX_QUERY_CHARS" in r.output, r.output
        assert "Traceback" not in r.output
    assert embedded == []


def test_the_page_limits_long_queries(page_env, embedded):
    """The page had no limit on the search box or the question box. Streamlit cuts a widget's
    value to its max_chars on the server, so a client that skips the browser's limit is cut
    too."""
    app = page_env(max_query_chars=300)
    at = page()
    assert at.chat_input[0].max_chars == 300
    at = ask(at, HUGE[:1000])
    assert not at.exception and [len(q) for q, _, _ in app.assistant_override.calls] == [300]
    at = page("screens/search.py")
    assert at.text_input(key="kb-search-q").max_chars == 300
    del embedded[:]
    at.text_input(key="kb-search-q").set_value("parking " + HUGE[:1000]).run()  # as a client
    assert not at.exception and embedded and max(embedded) <= 300
