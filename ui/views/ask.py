"""Ask: chat with streamed, cited answers; citations open their passage; feedback; history."""

from __future__ import annotations

import time

import streamlit as st

from kb.app.records import StoredTurn, history
from ui.document_view import show_passage
from ui.render import answer_markdown, escape_md, label
from ui.state import Context

REASONS = {"not_found": "reason_not_found", "unsupported": "reason_unsupported",
           "no_question": "reason_no_question"}


def page(ctx: Context) -> None:
    _sidebar(ctx)
    conv = st.session_state.get("conversation")
    turns = ctx.app.turns(ctx.principal, conv) if conv else []
    for turn in turns:
        _show_turn(ctx, turn)
    question = st.chat_input(ctx.t("ask_placeholder"),
                             max_chars=ctx.app.settings.max_query_chars)  # cut by the server too
    if question and question.strip():
        _answer(ctx, question.strip(), conv, turns)


def _sidebar(ctx: Context) -> None:
    records, user = ctx.app.records, ctx.principal.user
    with st.sidebar:
        if st.button(ctx.t("new_conversation"), icon=":material/add:", key="kb-new-conv"):
            st.session_state.pop("conversation", None)
        st.subheader(ctx.t("past_conversations"))
        past = records.conversations(user, limit=30)
        if not past:
            st.caption(ctx.t("no_conversations"))
        for c in past:
            current = c.id == st.session_state.get("conversation")
            if st.button(label(c.title), key=f"kb-conv-{c.id}", type="primary" if current else "tertiary"):
                st.session_state["conversation"] = c.id
                st.rerun()
        with st.expander(ctx.t("delete_history")):
            sure = st.checkbox(ctx.t("confirm_delete_history"), key="kb-confirm-delete")
            if st.button(ctx.t("delete_history"), disabled=not sure, key="kb-delete-history"):
                n = records.delete_user(user)
                st.session_state.pop("conversation", None)
                st.session_state["kb-flash"] = ctx.t("history_deleted", n=n)
                st.rerun()
        if "kb-flash" in st.session_state:
            st.success(st.session_state.pop("kb-flash"))


def _show_turn(ctx: Context, turn: StoredTurn) -> None:
    with st.chat_message("user"):
        st.markdown(escape_md(turn.question))
    with st.chat_message("assistant"):
        if turn.refused:
            _refusal(ctx, turn.answer, turn.reason, turn.id)
        else:
            if turn.standalone and turn.standalone != turn.question:
                st.caption(ctx.t("rewritten", q=label(turn.standalone)))
            if turn.answer:
                st.markdown(answer_markdown(turn.answer))
            if turn.withheld:
                st.info(ctx.t("withheld", n=turn.withheld), icon=":material/lock:")
            _citations(ctx, turn)
        _feedback(ctx, turn)


def _refusal(ctx: Context, text: str, reason: str, key: str) -> None:
    with st.container(key=f"kb-refusal-{key}"):
        why = ctx.t(REASONS[reason]) if reason in REASONS else ctx.t("reason_other", reason=reason)
        st.warning(f"**{text or ctx.t('not_found_title')}**\n\n{why}", icon=":material/search_off:")


def _citations(ctx: Context, turn: StoredTurn) -> None:
    if not turn.citations:
        return
    state_key = f"kb-open-{turn.id}"
    st.caption(ctx.t("sources"))
    cols = st.columns(min(len(turn.citations), 4))
    for i, c in enumerate(turn.citations):
        where = label(c["path"]) + (f" · p. {c['page']}" if c.get("page") else "")
        if cols[i % len(cols)].button(f"\\[{c['n']}\\] {where}", key=f"kb-cite-{turn.id}-{c['n']}",
                                      type="secondary"):
            st.session_state[state_key] = None if st.session_state.get(state_key) == c["n"] else c["n"]
    opened = st.session_state.get(state_key)
    for c in turn.citations:
        if c["n"] == opened:
            st.markdown(f"**{ctx.t('passage_title', n=c['n'])}**")
            show_passage(ctx, c["doc_id"], c.get("page"), c["char_start"], c["char_end"],
                         c["quote"], c.get("section", ""), key=f"{turn.id}-{c['n']}")


def _feedback(ctx: Context, turn: StoredTurn) -> None:
    records, user = ctx.app.records, ctx.principal.user
    rating = st.feedback("thumbs", key=f"kb-fb-{turn.id}", default=turn.rating)
    if rating is None:
        return
    if rating != turn.rating:
        records.set_feedback(user, turn.id, rating, turn.comment)
    with st.form(key=f"kb-fb-form-{turn.id}", border=False):
        comment = st.text_input(ctx.t("feedback_comment"), value=turn.comment,
                                key=f"kb-fb-comment-{turn.id}")
        if st.form_submit_button(ctx.t("feedback_send")):
            records.set_feedback(user, turn.id, rating, comment)
            st.toast(ctx.t("feedback_thanks"))


def _answer(ctx: Context, question: str, conv: str | None, turns: list[StoredTurn]) -> None:
    records, user = ctx.app.records, ctx.principal.user
    with st.chat_message("user"):
        st.markdown(escape_md(question))
    t0 = time.perf_counter()
    with st.chat_message("assistant"):
        answer = None
        with st.container(key="kb-answer-stream"):
            shown = st.empty()
            shown.caption(ctx.t("thinking"))
            text = ""
            try:
                for event in ctx.app.stream(question, ctx.principal, history(turns)):
                    if event.kind == "delta" and event.text:
                        text += event.text
                        shown.markdown(answer_markdown(text))
                    elif event.kind == "answer":
                        answer = event.answer
            except (RuntimeError, ValueError) as exc:  # AnswererFailed (chat model down), a
                # misconfigured chat model (raised when the assistant is first built)
                shown.error(ctx.t("assistant_unavailable", error=exc))
                return
    if answer is None:
        raise RuntimeError("the assistant's stream ended without an answer event")
    if conv is None:
        conv = records.start_conversation(user, question)
        st.session_state["conversation"] = conv
    records.add_turn(user, conv, question, answer)
    records.log_query(user, "ask", question, refused=answer.refused, reason=answer.reason,
                      results=len(answer.hits), latency_ms=(time.perf_counter() - t0) * 1000)
    st.rerun()
