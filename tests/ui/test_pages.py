"""Every page and role through Streamlit's AppTest: what each user sees, and what they may not."""

from __future__ import annotations

import re

import pytest

from tests.ui.conftest import page

OWNER = {"X-Forwarded-User": "olivia", "X-Forwarded-Groups": "content-owner"}
HR = {"X-Forwarded-User": "hannah", "X-Forwarded-Groups": "hr"}
STAFF = {"X-Forwarded-User": "sam", "X-Forwarded-Groups": "support"}
ADMIN = {"X-Forwarded-User": "ada", "X-Forwarded-Groups": "admin"}


def shown(markdown: str) -> str:
    """Markdown source as the page shows it: backslash escapes resolved, word joiners (U+2060,
    invisible; ui/render.py) dropped."""
    return re.sub(r"\\(.)", r"\1", str(markdown)).replace("\u2060", "")


def texts(at) -> str:
    parts = [shown(e.value) for e in [*at.markdown, *at.caption, *at.warning, *at.error,
                                       *at.info, *at.success]]
    parts += [h.proto.body for h in at.html]
    return "\n".join(str(p) for p in parts)


def ask(at, question: str):
    return at.chat_input[0].set_value(question).run()


def test_ask_streams_a_cited_answer_and_opens_the_passage(page_env):
    app = page_env()
    at = page()
    assert not at.exception
    at = ask(at, "How many days of annual leave do employees get?")
    assert not at.exception
    (msg_user, msg_bot) = at.chat_message
    assert "annual leave" in msg_bot.markdown[0].value.lower() and "**[1]**" in msg_bot.markdown[0].value
    cite = [b for b in at.button if b.key and b.key.startswith("kb-cite-")]
    assert cite and "leave_policy.md" in shown(cite[0].label)
    at = cite[0].click().run()
    html = "\n".join(h.proto.body for h in at.html)
    assert "<mark class='kb-quote'>" in html and "annual leave" in html.lower()
    assert any(d.key and d.key.startswith("kb-download-") for d in at.get("download_button"))
    conv = app.records.conversations("local")
    assert len(conv) == 1 and app.records.turns("local", conv[0].id)[0].citations[0]["path"] == \
        "en/leave_policy.md"


def test_a_refusal_is_shown_distinctly_with_its_reason(page_env):
    page_env()
    at = ask(page(), "What colour is the office spaceship hangar?")
    assert not at.exception
    warn = "\n".join(w.value for w in at.warning)
    assert "Not found in the knowledge base" in warn and "not contain enough evidence" in warn
    assert not [b for b in at.button if b.key and b.key.startswith("kb-cite-")]
    at = ask(at, "Where do office spaceships park?")
    assert not at.exception, "two refusals in one conversation must not share an element key"
    assert len(at.warning) == 2


def test_a_user_outside_hr_never_sees_the_salary_bands(page_env):
    app = page_env("header", headers=STAFF)
    at = ask(page(), "What is the salary band for level L3?")
    assert not at.exception
    assert "salary_bands" not in texts(at) and "Not found" in texts(at)
    at = page("screens/search.py")
    at.text_input(key="kb-search-q").input("salary band L3").run()
    assert "salary_bands" not in texts(at)
    assert all(q[1].user == "sam" for q in app.assistant().calls)


def test_an_hr_member_gets_the_salary_bands_with_a_citation(page_env):
    page_env("header", headers=HR)
    at = ask(page(), "What is the salary band for level L3?")
    assert not at.exception
    cite = [b for b in at.button if b.key and b.key.startswith("kb-cite-")]
    assert cite and "hr/salary_bands.md" in shown(cite[0].label)


def test_follow_up_questions_carry_the_conversation(page_env):
    app = page_env()
    at = ask(page(), "How many days of annual leave do employees get?")
    at = ask(at, "And how many days of sick leave?")
    assert not at.exception
    question, _, history = app.assistant().calls[-1]
    assert [t.question for t in history] == ["How many days of annual leave do employees get?"]
    assert len(at.chat_message) == 4
    assert "Understood as: How many days of annual leave do employees get? And how many days " \
        "of sick leave?" in texts(at)


def test_feedback_new_conversation_past_conversations_and_delete_history(page_env):
    app = page_env()
    at = ask(page(), "How many days of annual leave do employees get?")
    at.feedback[0].set_value(0).run()
    comment = [t for t in at.text_input if t.key.startswith("kb-fb-comment-")][0]
    comment.input("wrong section")
    submit = [b for b in at.button if "Send feedback" in b.label][0]
    at = submit.click().run()
    conv = app.records.conversations("local")[0]
    turn = app.records.turns("local", conv.id)[0]
    assert (turn.rating, turn.comment) == (0, "wrong section")
    at = at.button(key="kb-new-conv").click().run()
    assert len(at.chat_message) == 0
    at = at.button(key=f"kb-conv-{conv.id}").click().run()
    assert len(at.chat_message) == 2 and at.feedback[0].value == 0
    at.checkbox(key="kb-confirm-delete").check().run()
    at = at.button(key="kb-delete-history").click().run()
    assert app.records.conversations("local") == [] and len(at.chat_message) == 0
    assert "history was deleted" in texts(at)


def test_search_shows_highlighted_results_filters_and_a_preview(page_env):
    page_env()
    at = page()
    at.switch_page("screens/search.py").run()
    assert not at.exception
    assert "8 documents searchable" in texts(at)
    at.text_input(key="kb-search-q").input("年休假有几天").run()
    assert "zh/请假制度.md" in texts(at)
    assert "<mark>年休假</mark>" in texts(at)
    at.multiselect(key="kb-f-folder").select("en").run()
    assert "zh/请假制度.md" not in texts(at) and "en/" in texts(at)
    at.multiselect(key="kb-f-folder").unselect("en").run()
    at.multiselect(key="kb-f-type").select("md").run()
    assert "报销制度.docx" not in texts(at)
    at = at.button(key="kb-preview-btn-1").click().run()
    assert not at.exception
    html = "\n".join(h.proto.body for h in at.html)
    assert "<mark class='kb-quote'>" in html


def test_library_and_insights_need_their_roles(page_env):
    page_env("header", headers=STAFF)
    at = page()
    for screen in ("screens/library.py", "screens/insights.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(screen)
    page_env("header", headers=OWNER)
    at = page()
    at.switch_page("screens/library.py").run()
    assert not at.exception and at.dataframe
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("screens/insights.py")


def test_library_lists_files_reingests_with_a_summary_and_removes(page_env, samples):
    app = page_env("header", headers=OWNER)
    at = page()
    at.switch_page("screens/library.py").run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert len(frame) == 9 and set(frame["Status"]) == {"searchable"}
    assert "hr" in texts(at) or "hr" in str(at.dataframe[1].value)
    (samples / "en" / "new_rule.md").write_text("# Parking\n\nParking permits cost 30 euros.\n")
    at = at.button(key="kb-reingest-0").click().run()
    assert not at.exception
    assert "1 added" in texts(at)
    assert any(d.path == "en/new_rule.md" for d in app.manifest.docs())
    at.selectbox(key="kb-rm-pick-0").select("en/new_rule.md").run()
    at.checkbox(key="kb-rm-disk-0").check().run()
    at = at.button(key="kb-rm-go-0").click().run()
    assert not any(d.path == "en/new_rule.md" for d in app.manifest.docs())
    assert not (samples / "en" / "new_rule.md").exists()


def test_insights_for_admins_only(page_env):
    app = page_env("header", headers=ADMIN)
    at = ask(page(), "What colour is the office spaceship hangar?")
    at = ask(at, "How many days of annual leave do employees get?")
    at.switch_page("screens/insights.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Questions"] == "2" and metrics["Refusal rate"] == "50%"
    refused = at.dataframe[0].value
    assert refused.iloc[0]["Question"] == "what colour is the office spaceship hangar?"
    assert "en/leave_policy.md" in set(at.dataframe[1].value["File"])


def test_headers_are_ignored_unless_header_auth_is_on(page_env):
    page_env("none", headers=HR, local_user="me")
    at = ask(page(), "What is the salary band for level L3?")
    assert "salary_bands" not in texts(at)
    assert "Signed in as me" in texts(at)


def test_header_mode_without_a_user_shows_no_page(page_env):
    page_env("header", headers={})
    at = page()
    assert "No user was passed" in texts(at) and not at.chat_input


def test_oidc_user_and_groups_come_from_the_login(page_env):
    page_env("oidc", oidc_issuer="http://127.0.0.1:9", oidc_client_id="kb",
             oidc_client_secret="s")
    at = page(user={"is_logged_in": False})
    assert "Please sign in" in texts(at) and at.button(key="kb-login")
    at = page(user={"is_logged_in": True, "email": "hannah@corp", "groups": ["hr", "admin"]})
    assert "Signed in as hannah@corp" in texts(at)
    at = ask(at, "What is the salary band for level L3?")
    cite = [b for b in at.button if b.key and b.key.startswith("kb-cite-")]
    assert cite and "hr/salary_bands.md" in shown(cite[0].label)


def test_the_language_switch_changes_the_interface(page_env):
    page_env(language="zh")
    at = page()
    assert at.chat_input[0].placeholder == "就文档内容提问…"
    at.button_group(key="kb-lang-switch").set_value("en").run()
    at = at.run()
    assert at.chat_input[0].placeholder == "Ask a question about the documents…"


def test_the_real_assistant_answers_and_refuses_on_the_page(page_env):
    """The page against assistant/ itself (fake embedder): a cited answer, then a refusal."""
    page_env(real_assistant=True)
    at = ask(page(), "How many days of annual leave do employees get?")
    assert not at.exception
    cite = [b for b in at.button if b.key and b.key.startswith("kb-cite-")]
    assert cite and "leave_policy.md" in shown(cite[0].label)
    at = cite[0].click().run()
    assert "<mark class='kb-quote'>" in "\n".join(h.proto.body for h in at.html)
    at = ask(at, "What is the salary band for level L3?")  # HR only: the local user is not in hr
    assert "Not found in the knowledge base" in "\n".join(w.value for w in at.warning)
    assert "salary_bands" not in texts(at)


def test_upload_into_a_sub_folder_ingests_the_file(page_env, samples):
    app = page_env("header", headers=OWNER)
    at = page()
    at.switch_page("screens/library.py").run()
    at.file_uploader(key="kb-up-0").upload("parking.md", b"# Parking\n\nPermits cost 30 euros.\n",
                                           "text/markdown").run()
    at.text_input(key="kb-up-sub-0").input("facilities").run()
    at = at.button(key="kb-up-go-0").click().run()
    assert not at.exception and "1 added" in texts(at)
    assert (samples / "facilities" / "parking.md").is_file()
    assert any(d.path == "facilities/parking.md" and d.status == "ok" for d in app.manifest.docs())
    at.text_input(key="kb-up-sub-0").input("../outside").run()
    at.file_uploader(key="kb-up-0").upload("x.md", b"x", "text/markdown").run()
    at = at.button(key="kb-up-go-0").click().run()
    assert "must stay inside" in texts(at) and not (samples.parent / "outside").exists()


def test_retention_applies_when_the_page_starts(page_env):
    from kb.app.records import Records

    app = page_env(retention_days=30)
    old = Records(app.db, clock=lambda: 1_000_000.0)
    old.start_conversation("local", "ancient question")
    app.records.start_conversation("local", "recent question")
    page()
    assert [c.title for c in app.records.conversations("local")] == ["recent question"]


def test_library_explains_failed_files_in_plain_words(page_env, samples):
    page_env("header", headers=OWNER)
    (samples / "en" / "broken.pdf").write_bytes(b"%PDF-1.7\n this is not really a pdf")
    (samples / "en" / "blank.txt").write_bytes(b"")
    at = page()
    at.switch_page("screens/library.py").run()
    at = at.button(key="kb-reingest-0").click().run()
    assert "2 failed" in texts(at)
    frame = at.dataframe[0].value.set_index("File")
    assert frame.loc["en/broken.pdf", "Status"] == "failed"
    assert frame.loc["en/broken.pdf", "Problem"] == "The file is damaged and could not be read."
    assert frame.loc["en/blank.txt", "Problem"] == "The file contains no text."


def test_a_failing_assistant_is_reported_and_nothing_is_saved(page_env):
    """A chat model that fails mid-answer (AnswererFailed) must not crash the page."""
    from kb.core.types import AnswerEvent

    class Failing:
        def stream(self, question, principal, history=()):
            yield AnswerEvent("delta", text="Partial ")
            raise RuntimeError("the chat server at 127.0.0.1:9 did not answer")

    app = page_env()
    app.assistant_override = Failing()
    at = ask(page(), "How many days of annual leave do employees get?")
    assert not at.exception
    assert "chat server at 127.0.0.1:9 did not answer" in texts(at)
    assert app.records.conversations("local") == []
