"""An answer only ever comes from documents the asker may read; a refusal reveals nothing."""

from __future__ import annotations

import json
from dataclasses import asdict

from assistant.language import NOT_FOUND
from kb.core.types import Principal

QUESTION = "What is the salary range of band L3 per year?"


def test_answer_only_in_a_restricted_document_is_refused_and_reveals_nothing(samples_app):
    a = samples_app.assistant().ask(QUESTION, Principal("bob"))
    assert a.refused and a.reason == "not_found" and a.text == NOT_FOUND["en"]
    assert a.citations == ()
    assert all(not h.chunk.path.startswith("hr/") for h in a.hits)
    dumped = json.dumps(asdict(a), ensure_ascii=False, default=list)
    for secret in ("salary_bands", "76,000", "98,000", "Salary Bands"):
        assert secret not in dumped


def test_the_same_question_is_answered_for_the_group_that_may_read_it(samples_app):
    a = samples_app.assistant().ask(QUESTION, Principal("alice", frozenset({"hr"})))
    assert not a.refused and "76,000 to 98,000" in a.text
    assert a.citations and all(c.path == "hr/salary_bands.md" for c in a.citations)


def test_streamed_events_of_a_refusal_carry_no_restricted_hits(samples_app):
    events = list(samples_app.assistant().stream(QUESTION, Principal("bob")))
    assert [e.kind for e in events] == ["hits", "answer"]
    assert all(not h.chunk.path.startswith("hr/") for e in events for h in e.hits)
