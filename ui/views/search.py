"""Search: ranked results with highlighted snippets, filters, and a preview opened at the page."""

from __future__ import annotations

import time

import streamlit as st

from kb.core.highlight import snippet
from ui.document_view import show_document
from ui.passages import Filters, apply_filters, facets
from ui.render import label, location, marked_html
from ui.state import Context

POOL = 50  # results fetched before filters; the page shows the first `search_k` that pass


def page(ctx: Context) -> None:
    kb, principal = ctx.app, ctx.principal
    docs = {d.doc_id: d for d in kb.readable_documents(principal)}
    st.caption(ctx.t("docs_searchable", n=len(docs)))
    query = st.text_input(ctx.t("search_box"), placeholder=ctx.t("search_placeholder"),
                          max_chars=kb.settings.max_query_chars,  # cut by the server too
                          key="kb-search-q")
    filters = _filters(ctx, docs)
    if not query.strip():
        return
    t0 = time.perf_counter()
    hits = kb.search(query.strip(), principal, k=POOL)
    hits = apply_filters(hits, filters, docs)[: kb.settings.search_k]
    kb.app.records.log_query(principal.user, "search", query.strip(), results=len(hits),
                         latency_ms=(time.perf_counter() - t0) * 1000)
    if not hits:
        st.info(ctx.t("no_results"))
        return
    results, preview = st.columns([3, 2]) if st.session_state.get("kb-preview") else (st, None)
    with results.container():
        for rank, hit in enumerate(hits, start=1):
            _result(ctx, rank, hit, query)
    if preview is not None:
        doc_id, page, start, end = st.session_state["kb-preview"]
        with preview:
            show_document(ctx, doc_id, page, start, end, key="search")


def _filters(ctx: Context, docs) -> Filters:
    folders, types = facets(docs.values())
    langs = {"zh": ctx.t("lang_zh"), "en": ctx.t("lang_en"), "other": ctx.t("lang_other")}
    with st.expander(ctx.t("filters")):
        c1, c2, c3 = st.columns(3)
        f = c1.multiselect(ctx.t("filter_folder"), folders, key="kb-f-folder")
        ty = c2.multiselect(ctx.t("filter_type"), types, key="kb-f-type")
        la = c3.multiselect(ctx.t("filter_lang"), list(langs), format_func=langs.get,
                            key="kb-f-lang")
        d1, d2 = st.columns(2)
        since = d1.date_input(ctx.t("filter_modified"), value=None, key="kb-f-from")
        until = d2.date_input("…", value=None, key="kb-f-to", label_visibility="hidden")
    return Filters(frozenset(f), frozenset(ty), frozenset(la), since, until)


def _result(ctx: Context, rank: int, hit, query: str) -> None:
    c = hit.chunk
    with st.container(border=True, key=f"kb-result-{rank}"):
        head, button = st.columns([5, 1])
        head.markdown(f"**{rank}\\. {label(c.title or c.path)}** — {label(location(c))}")
        if button.button(ctx.t("preview"), key=f"kb-preview-btn-{rank}"):
            st.session_state["kb-preview"] = (c.doc_id, c.page, c.char_start, c.char_end)
            st.rerun()
        text, spans = snippet(c.text, query)
        st.html(f"<div class='kb-snippet'>{marked_html(text, spans)}</div>")
