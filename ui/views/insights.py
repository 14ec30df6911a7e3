"""Insights (administrators): usage, refusals (knowledge gaps), feedback, citations, ingests."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from kb.app.auth import ADMIN
from ui.state import Context


def page(ctx: Context) -> None:
    if not ctx.identity.has(ADMIN):
        st.error(ctx.t("not_allowed", role=ADMIN))
        return
    days = st.segmented_control(ctx.t("period_days"), [7, 30, 90, 365], default=30,
                                key="kb-insights-days") or 30
    ins = ctx.app.records.insights(days=days)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(ctx.t("questions_total"), ins.questions)
    m2.metric(ctx.t("refusal_rate"), f"{ins.refusal_rate:.0%}")
    m3.metric(ctx.t("thumbs_up"), ins.thumbs_up)
    m4.metric(ctx.t("thumbs_down"), ins.thumbs_down)

    left, right = st.columns(2)
    with left:
        st.subheader(ctx.t("questions_per_day"))
        _per_day(ctx, ins.questions_per_day, "questions")
    with right:
        st.subheader(ctx.t("searches_per_day"))
        _per_day(ctx, ins.searches_per_day, "searches")

    st.subheader(ctx.t("most_refused"))
    _table(ctx, [{ctx.t("col_question"): q, ctx.t("col_count"): n} for q, n in ins.most_refused],
           "refused")
    st.subheader(ctx.t("most_cited"))
    _table(ctx, [{ctx.t("col_path"): p, ctx.t("col_count"): n} for p, n in ins.most_cited], "cited")
    st.subheader(ctx.t("feedback"))
    _table(ctx, [{ctx.t("col_question"): c["question"],
                  ctx.t("col_rating"): "👍" if c["rating"] == 1 else "👎",
                  ctx.t("col_comment"): c["comment"]} for c in ins.comments], "comments")
    st.subheader(ctx.t("ingest_history"))
    runs = ctx.app.last_runs(50)
    _table(ctx, [{ctx.t("col_root"): r["root"],
                  ctx.t("col_finished"): dt.datetime.fromtimestamp(r["finished_at"]).strftime(
                      "%Y-%m-%d %H:%M"),
                  ctx.t("col_added"): r["report"].get("added", 0),
                  ctx.t("col_updated"): r["report"].get("updated", 0),
                  ctx.t("col_deleted"): r["report"].get("deleted", 0),
                  ctx.t("col_failed"): len(r["report"].get("failed", [])),
                  ctx.t("col_seconds"): r["report"].get("seconds", 0)} for r in runs], "runs")


def _per_day(ctx: Context, counts: dict[str, int], key: str) -> None:
    if not counts:
        st.caption(ctx.t("nothing_yet"))
        return
    frame = pd.DataFrame({"day": pd.to_datetime(list(counts)), "n": list(counts.values())})
    st.bar_chart(frame, x="day", y="n", x_label="", y_label="", height=220)


def _table(ctx: Context, rows: list[dict], key: str) -> None:
    if not rows:
        st.caption(ctx.t("nothing_yet"))
        return
    st.dataframe(rows, hide_index=True, width="stretch", key=f"kb-table-{key}")
