"""The Streamlit page: Ask, Search, Library (content owners) and Insights (administrators).

Run with `kb serve` (or `streamlit run ui/app.py`). Settings come from KB_* variables / .env.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.app.auth import ADMIN, CONTENT_OWNER  # noqa: E402
from ui import state  # noqa: E402
from ui.i18n import LANGS  # noqa: E402
from ui.render import label  # noqa: E402


def _sidebar(ctx: state.Context) -> None:
    with st.sidebar:
        names = {"en": "English", "zh": "中文"}
        lang = st.segmented_control(ctx.t("language"), LANGS, format_func=names.get,
                                    default=ctx.lang, key="kb-lang-switch")
        if lang and lang != ctx.lang:
            st.session_state["lang"] = lang
            st.rerun()
        who = ctx.identity
        groups = label(", ".join(sorted(who.principal.groups))) or ctx.t("no_groups")
        st.caption(ctx.t("signed_in_as", user=label(who.name)) + " · "
                   + ctx.t("groups", groups=groups))
        if ctx.app.settings.auth == "oidc" and st.button(ctx.t("sign_out"), key="kb-logout"):
            st.logout()


def _signed_out(ctx: state.Context) -> None:
    st.title(ctx.t("app_title"))
    if ctx.app.settings.auth == "oidc":
        st.info(ctx.t("sign_in_needed"))
        if st.button(ctx.t("sign_in"), key="kb-login", type="primary"):
            st.login()
    elif ctx.identity.problem:
        st.error(ctx.t("header_refused", why=label(ctx.identity.problem)))
    else:
        st.error(ctx.t("header_missing", header=ctx.app.settings.user_header))


def main() -> None:
    st.set_page_config(page_title="Knowledge base · 知识库", page_icon="📚", layout="wide")
    ctx = state.context()
    if not ctx.identity.signed_in:
        _signed_out(ctx)
        return
    _sidebar(ctx)

    pages = [
        st.Page("screens/ask.py", title=ctx.t("page_ask"), icon=":material/forum:", default=True),
        st.Page("screens/search.py", title=ctx.t("page_search"), icon=":material/search:"),
    ]
    if ctx.identity.has(CONTENT_OWNER):
        pages.append(st.Page("screens/library.py", title=ctx.t("page_library"),
                             icon=":material/folder_managed:"))
    if ctx.identity.has(ADMIN):
        pages.append(st.Page("screens/insights.py", title=ctx.t("page_insights"),
                             icon=":material/monitoring:"))
    st.navigation(pages).run()


main()
