"""A document passage on the page: the quote highlighted inside its surrounding text, where it
is, and the original file for users who may read it. Shared by Ask (citations) and Search
(previews)."""

from __future__ import annotations

import mimetypes

import streamlit as st

from ui.passages import doc_chunks, original_file, page_text, pages, passage, readable_doc
from ui.render import passage_html
from ui.state import Context


def _where(ctx: Context, path: str, page: int | None, section: str) -> str:
    parts = [f"**{path}**"]
    if page:
        parts.append(ctx.t("page_n", page=page))
    if section:
        parts.append(section)
    return " · ".join(parts)


def show_passage(ctx: Context, doc_id: str, page: int | None, start: int, end: int,
                 quote: str = "", section: str = "", key: str = "") -> None:
    """The cited or found passage in its context, or a refusal if the user may not read it."""
    rec = readable_doc(ctx.app.manifest, doc_id, ctx.principal)
    if rec is None:
        st.warning(ctx.t("no_access"))
        return
    chunks = doc_chunks(ctx.app.keyword_index, rec)
    text = page_text(chunks, page)
    if quote and text[start:end] != quote:  # the document changed since: find the quote again
        found = text.find(quote)
        start, end = (found, found + len(quote)) if found >= 0 else (0, 0)
    p = passage(text, start, end)
    with st.container(border=True, key=f"kb-passage-{key}"):
        st.markdown(_where(ctx, rec.path, page, section))
        st.html(passage_html(p.before, p.quote, p.after))
        download(ctx, rec, key)


def show_document(ctx: Context, doc_id: str, page: int | None, start: int, end: int,
                  key: str) -> None:
    """A preview of a whole page of the document, opened at `page` with the passage marked."""
    rec = readable_doc(ctx.app.manifest, doc_id, ctx.principal)
    if rec is None:
        st.warning(ctx.t("no_access"))
        return
    chunks = doc_chunks(ctx.app.keyword_index, rec)
    all_pages = pages(chunks)
    with st.container(border=True, key=f"kb-preview-{key}"):
        st.markdown(f"**{rec.title or rec.path}** · `{rec.path}`")
        shown = page
        if len(all_pages) > 1 and page in all_pages:
            shown = st.selectbox(ctx.t("page_n", page="…"), all_pages, index=all_pages.index(page),
                                 format_func=lambda p: ctx.t("page_n", page=p),
                                 key=f"kb-preview-page-{key}")
        text = page_text(chunks, shown)
        if shown == page:
            st.html(passage_html(text[:start], text[start:end], text[end:]))
        else:
            st.html(passage_html(text, "", ""))
        download(ctx, rec, key)


def download(ctx: Context, rec, key: str) -> None:
    f = original_file(rec)
    if f is None:
        st.caption(ctx.t("original_missing"))
        return
    st.download_button(ctx.t("download_original"), data=f.read_bytes(), file_name=f.name,
                       mime=mimetypes.guess_type(f.name)[0] or "application/octet-stream",
                       key=f"kb-download-{key}")
