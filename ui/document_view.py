"""A document passage on the page: the quote highlighted inside its surrounding text, where it
is, and the original file for users who may read it. Shared by Ask (citations) and Search
(previews). Every read goes through the service layer's access decision (NotFound)."""

from __future__ import annotations

import mimetypes

import streamlit as st

from kb.core.errors import NotFound
from ui.render import label, passage_html
from ui.state import Context


def _where(ctx: Context, path: str, page: int | None, section: str) -> str:
    parts = [f"**{label(path)}**"]
    if page:
        parts.append(ctx.t("page_n", page=page))
    if section:
        parts.append(label(section))
    return " · ".join(parts)


def show_passage(ctx: Context, doc_id: str, page: int | None, start: int, end: int,
                 quote: str = "", section: str = "", key: str = "") -> None:
    """The cited or found passage in its context, or a refusal if the user may not read it."""
    try:
        p = ctx.app.open_passage(doc_id, ctx.principal, page, start, end, quote)
    except NotFound:
        st.warning(ctx.t("no_access"))
        return
    with st.container(border=True, key=f"kb-passage-{key}"):
        st.markdown(_where(ctx, p.path, page, section or p.section))
        st.html(passage_html(p.before, p.quote, p.after))
        download(ctx, doc_id, key)


def show_document(ctx: Context, doc_id: str, page: int | None, start: int, end: int,
                  key: str) -> None:
    """A preview of a whole page of the document, opened at `page` with the passage marked."""
    try:
        doc = ctx.app.open_document(doc_id, ctx.principal)
    except NotFound:
        st.warning(ctx.t("no_access"))
        return
    rec, all_pages = doc.record, doc.pages
    with st.container(border=True, key=f"kb-preview-{key}"):
        st.markdown(f"**{label(rec.title or rec.path)}** · {label(rec.path)}")
        shown = page
        if len(all_pages) > 1 and page in all_pages:
            shown = st.selectbox(ctx.t("page_n", page="…"), all_pages, index=all_pages.index(page),
                                 format_func=lambda p: ctx.t("page_n", page=p),
                                 key=f"kb-preview-page-{key}")
        text = doc.page_text(shown)
        if shown == page:
            st.html(passage_html(text[:start], text[start:end], text[end:]))
        else:
            st.html(passage_html(text, "", ""))
        download(ctx, doc_id, key)


def download(ctx: Context, doc_id: str, key: str) -> None:
    try:
        f = ctx.app.original_file(doc_id, ctx.principal)
    except NotFound:
        st.caption(ctx.t("original_missing"))
        return
    st.download_button(ctx.t("download_original"), data=f.data, file_name=f.name,
                       mime=mimetypes.guess_type(f.name)[0] or "application/octet-stream",
                       key=f"kb-download-{key}")
