"""What every page needs: the shared service (kb.app.service.KnowledgeBase, built once per
server process), the identity of the request and the interface language. Tests replace
`make_app` or `request_headers`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from kb.app.auth import Identity, resolve
from ui.i18n import t


def make_app():
    from kb.app.service import open_knowledge_base
    from kb.core.config import Settings

    return open_knowledge_base(Settings())


@st.cache_resource(show_spinner=False)
def _shared_app():
    app = make_app()
    app.records.purge(app.settings.retention_days)  # retention applies at every start
    return app


def app():
    return _shared_app()


def warm_up() -> None:
    """Build the shared service and load its models and indexes (ui/serve.py, at server start)."""
    app().warm_up()


def request_headers():
    """Every header of the request, each copy kept (kb.app.auth refuses duplicates)."""
    return st.context.headers or {}


def oidc_claims() -> dict[str, Any]:
    user = st.user
    return user.to_dict() if hasattr(user, "to_dict") else dict(user)


@dataclass(frozen=True)
class Context:
    app: Any  # kb.app.service.KnowledgeBase
    identity: Identity
    lang: str

    @property
    def principal(self):
        return self.identity.principal

    def t(self, key: str, **values: object) -> str:
        return t(key, self.lang, **values)


def context() -> Context:
    kb = app()
    s = kb.settings
    headers = request_headers() if s.auth == "header" else {}
    claims = oidc_claims() if s.auth == "oidc" else {}
    if "lang" not in st.session_state:
        st.session_state["lang"] = s.language
    return Context(kb, resolve(s, headers, claims), st.session_state["lang"])
