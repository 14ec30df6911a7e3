"""Library (content owners): ingested folders and files with status, re-ingest with progress,
upload, remove, and who can read each folder."""

from __future__ import annotations

import datetime as dt
import os

import streamlit as st

from kb.app.auth import CONTENT_OWNER
from kb.app.uploads import is_rule_file
from kb.core.errors import IngestLocked, UploadRefused
from ui.i18n import error_words
from ui.passages import folder_groups, relabels, status_of
from ui.render import label
from ui.state import Context


def page(ctx: Context) -> None:
    if not ctx.identity.has(CONTENT_OWNER):
        st.error(ctx.t("not_allowed", role=CONTENT_OWNER))
        return
    docs = ctx.app.library()
    roots = sorted({d.root for d in docs})
    if "kb-ingest-summary" in st.session_state:
        st.success(st.session_state.pop("kb-ingest-summary"), icon=":material/task_alt:")
    for message in st.session_state.pop("kb-upload-refused", []):
        st.error(message)
    if not roots:
        st.info(ctx.t("no_roots"))
        return
    pending = ctx.app.pending()
    tabs = st.tabs([label(os.path.basename(r) or r) for r in roots])
    for i, (root, tab) in enumerate(zip(roots, tabs)):
        with tab:
            _root(ctx, i, root, [d for d in docs if d.root == root], pending)


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else ""


def _root(ctx: Context, i: int, root: str, docs, pending: set[str]) -> None:
    st.caption(label(root))
    rows = [{ctx.t("col_path"): d.path,
             ctx.t("col_status"): ctx.t(f"status_{status_of(d, pending)}"),
             ctx.t("col_chunks"): d.chunks,
             ctx.t("col_ingested"): _when(d.ingested_at),
             ctx.t("col_error"): error_words(d.error_code, d.error, ctx.lang) if d.error_code else "",
             ctx.t("col_groups"): ", ".join(g.removeprefix("group:") for g in sorted(d.acl))}
            for d in docs]
    st.dataframe(rows, hide_index=True, width="stretch", key=f"kb-files-{i}")
    if st.button(ctx.t("reingest"), key=f"kb-reingest-{i}", icon=":material/sync:"):
        _ingest(ctx, [root], root)
    with st.expander(ctx.t("upload")):
        files = st.file_uploader(ctx.t("upload"), accept_multiple_files=True, key=f"kb-up-{i}",
                                 label_visibility="collapsed")
        sub = st.text_input(ctx.t("upload_subfolder"), key=f"kb-up-sub-{i}")
        if st.button(ctx.t("upload_button"), key=f"kb-up-go-{i}", disabled=not files):
            _upload(ctx, root, sub, files)
    with st.expander(ctx.t("remove")):
        paths = [d.path for d in docs]
        pick = st.selectbox(ctx.t("remove_pick"), paths, index=None, key=f"kb-rm-pick-{i}")
        on_disk = st.checkbox(ctx.t("remove_file_too"), key=f"kb-rm-disk-{i}")
        if st.button(ctx.t("remove_button"), key=f"kb-rm-go-{i}", disabled=pick is None):
            _remove(ctx, root, pick, on_disk)
    st.subheader(ctx.t("folder_groups"))
    st.dataframe([{ctx.t("col_folder"): folder, ctx.t("col_groups"): ", ".join(
        ctx.t("everyone") if g == "public" else g for g in groups)}
        for folder, groups in folder_groups(docs).items()], hide_index=True,
        width="stretch", key=f"kb-groups-{i}")


def _upload(ctx: Context, root: str, sub: str, files) -> None:
    try:
        result = ctx.app.upload(root, sub, [(f.name, f.getvalue()) for f in files])
    except UploadRefused as exc:
        st.error(ctx.t("upload_bad_folder") if exc.code == "bad_folder" else
                 ctx.t("up_unknown_root"))
        return
    refused = [ctx.t("upload_refused", name=label(_short(exc.name)), why=ctx.t(f"up_{exc.code}"))
               for exc in result.refused]
    for message in refused:
        st.error(message)
    if result.written:
        st.session_state["kb-upload-refused"] = refused  # shown again after the ingest's rerun
        _ingest(ctx, [str(p) for p in result.written], root)


def _short(name: str, most: int = 60) -> str:
    return name if len(name) <= most else name[:most] + "…"


def _ingest(ctx: Context, paths: list[str], folder: str) -> None:
    running = ctx.t("reingest_running", path=label(folder))
    bar = st.progress(0.0, text=running)

    def progress(phase: str, done: int, total: int, path: str) -> None:
        bar.progress(done / total if total else 1.0, text=f"{done}/{total} · {label(path)}")

    before = ctx.app.library()
    try:
        report = ctx.app.ingest(paths, progress=progress)
    except IngestLocked:
        st.error(ctx.t("ingest_busy"))
        return
    bar.progress(1.0, text=running)
    summary = ctx.t(
        "reingest_done", seconds=report.seconds, added=report.added, updated=report.updated,
        unchanged=report.unchanged, deleted=report.deleted, failed=len(report.failed),
        chunks=report.chunks)
    changed = relabels(before, ctx.app.library())
    if changed:
        items = "; ".join(ctx.t("relabel_item", path=label(path), old=label(", ".join(old)),
                                new=label(", ".join(new))) for path, old, new in changed)
        summary += "\n\n" + ctx.t("relabeled", n=len(changed), items=items)
    st.session_state["kb-ingest-summary"] = summary
    st.rerun()


def _remove(ctx: Context, root: str, rel: str, on_disk: bool) -> None:
    path = os.path.join(root, rel)
    if on_disk and is_rule_file(os.path.basename(rel), ctx.app.settings):
        st.error(ctx.t("up_rule_file"))  # rules change on the server, never from the page
        return
    try:
        ctx.app.delete(path)
    except IngestLocked:
        st.error(ctx.t("ingest_busy"))
        return
    if on_disk and os.path.isfile(path):
        os.remove(path)
    st.session_state["kb-ingest-summary"] = ctx.t("removed", path=label(rel))
    st.rerun()
