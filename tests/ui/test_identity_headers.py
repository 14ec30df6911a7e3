"""Header sign-in (KB_AUTH=header): each identity header once, or nobody is signed in; UTF-8
group and user names arrive intact through Streamlit (Starlette decodes header bytes as
Latin-1)."""

from __future__ import annotations

import pytest
from streamlit.runtime.context import StreamlitHeaders

import ui.state
from kb.app.auth import header_identity
from kb.core.config import Settings
from tests.ui.conftest import page
from tests.ui.test_pages import ask, texts

S = Settings(auth="header")


def wire(value: str) -> str:
    """A header value as Starlette hands it on: UTF-8 bytes decoded as Latin-1."""
    return value.encode("utf-8").decode("latin-1")


@pytest.mark.parametrize("headers", [
    StreamlitHeaders([("X-Forwarded-User", "mallory"), ("x-forwarded-user", "alice")]),
    StreamlitHeaders([("X-Forwarded-User", "alice"), ("X-Forwarded-Groups", "staff"),
                      ("X-Forwarded-Groups", "hr, admin")]),
    {"X-Forwarded-User": ["mallory", "alice"]},
    {"X-Forwarded-User": "mallory, alice"},
])
def test_duplicate_identity_headers_sign_nobody_in(headers):
    """With duplicate headers the first copy won: a proxy that appends let a client be anyone."""
    who = header_identity(S, headers)
    assert not who.signed_in and "X-Forwarded-" in who.problem


def test_utf8_names_arrive_intact():
    """人事 arrived garbled (Latin-1 decoded UTF-8) in header mode."""
    who = header_identity(S, StreamlitHeaders([("X-Forwarded-User", wire("张三")),
                                               ("X-Forwarded-Groups", wire("人事, hr"))]))
    assert who.principal.user == "张三" and who.principal.groups == {"人事", "hr"}
    plain = header_identity(S, {"X-Forwarded-User": "zoë", "X-Forwarded-Groups": "人事"})
    assert plain.principal.user == "zoë" and plain.principal.groups == {"人事"}


def test_the_page_refuses_duplicates_and_reads_utf8_groups(page_env, monkeypatch):
    """Through the page: the headers as Streamlit gives them (every copy, Latin-1 decoded)."""
    page_env("header", acl_file="acl.yaml")
    given = StreamlitHeaders([("X-Forwarded-User", "mallory"), ("X-Forwarded-User", "hannah"),
                              ("X-Forwarded-Groups", "hr")])
    monkeypatch.setattr(ui.state, "request_headers", lambda: given)
    at = page()
    assert "came 2 times" in texts(at) and not at.chat_input
    given = StreamlitHeaders([("X-Forwarded-User", wire("张三")),
                              ("X-Forwarded-Groups", wire("人事,hr"))])
    at = page()
    assert "Signed in as 张三" in texts(at) and "人事" in texts(at)
    at = ask(at, "What is the salary band for level L3?")
    cite = [b for b in at.button if b.key and b.key.startswith("kb-cite-")]
    assert cite and "salary" in cite[0].label
