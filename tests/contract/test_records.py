"""Conversations, feedback, query log, retention and "delete my history" on the product database."""

from __future__ import annotations

import pytest

from kb.app.records import DAY, Records
from kb.core.sqlite import Database
from kb.core.types import Answer, Citation, Turn


class Clock:
    def __init__(self) -> None:
        self.now = 1_699_920_000.0  # 2023-11-14 00:00 UTC

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(params=["sqlite", "postgres"])
def records(request, tmp_path, clock):
    if request.param == "postgres":
        yield Records(request.getfixturevalue("pg_db"), clock=clock)
        return
    db = Database(tmp_path / "kb.sqlite3")
    yield Records(db, clock=clock)
    db.close()


def answer(text="Annual leave is 5 days. [1]", refused=False, path="en/leave_policy.md"):
    cites = () if refused else (Citation(1, "d1", path, 2, 10, 30, "Annual leave is 5 days", "Leave"),)
    return Answer(text, cites, refused, "not_found" if refused else "", (), {}, "standalone?")


def test_conversation_round_trip_and_history(records):
    cid = records.start_conversation("ann", "How long is leave?")
    t1 = records.add_turn("ann", cid, "How long is leave?", answer())
    records.add_turn("ann", cid, "And for managers?", answer("Not found.", refused=True))
    turns = records.turns("ann", cid)
    assert [t.position for t in turns] == [0, 1]
    assert turns[0].id == t1 and turns[0].citations[0]["page"] == 2
    assert turns[0].standalone == "standalone?"
    assert [t.as_turn() for t in turns] == [Turn("How long is leave?", "Annual leave is 5 days. [1]"),
                                            Turn("And for managers?", "Not found.", True)]
    assert [c.id for c in records.conversations("ann")] == [cid]


def test_other_users_see_nothing_and_cannot_write(records):
    cid = records.start_conversation("ann", "q")
    tid = records.add_turn("ann", cid, "q", answer())
    assert records.conversations("bob") == [] and records.turns("bob", cid) == []
    with pytest.raises(PermissionError):
        records.add_turn("bob", cid, "q", answer())
    with pytest.raises(PermissionError):
        records.set_feedback("bob", tid, 1)


def test_feedback_is_one_row_per_answer_updated_in_place(records):
    cid = records.start_conversation("ann", "q")
    tid = records.add_turn("ann", cid, "q", answer())
    records.set_feedback("ann", tid, 1)
    records.set_feedback("ann", tid, 0, "  wrong page  ")
    t = records.turns("ann", cid)[0]
    assert (t.rating, t.comment) == (0, "wrong page")
    ins = records.insights()
    assert (ins.thumbs_up, ins.thumbs_down) == (0, 1)
    assert ins.comments[0]["comment"] == "wrong page"


def test_insights_count_questions_refusals_and_citations(records, clock):
    cid = records.start_conversation("ann", "q")
    for q, refused in [("leave?", False), ("Parking?", True), ("parking? ", True), ("x", False)]:
        a = answer(refused=refused)
        records.add_turn("ann", cid, q, a)
        records.log_query("ann", "ask", q, refused=refused, reason=a.reason, results=1)
        clock.now += DAY / 2
    records.log_query("ann", "search", "leave", results=3)
    ins = records.insights(days=30)
    assert ins.questions == 4 and ins.refused == 2 and ins.refusal_rate == 0.5
    assert ins.most_refused == [("parking?", 2)]
    assert sum(ins.questions_per_day.values()) == 4 and len(ins.questions_per_day) == 2
    assert sum(ins.searches_per_day.values()) == 1
    assert ins.most_cited == [("en/leave_policy.md", 2)]


def test_retention_deletes_only_old_entries(records, clock):
    old = records.start_conversation("ann", "old")
    tid = records.add_turn("ann", old, "old", answer())
    records.set_feedback("ann", tid, 1)
    records.log_query("ann", "ask", "old")
    clock.now += 40 * DAY
    new = records.start_conversation("ann", "new")
    records.add_turn("ann", new, "new", answer())
    records.log_query("ann", "ask", "new")
    assert records.purge(0) == 0
    assert records.purge(30) == 4  # the old conversation, its turn, its feedback, its log row
    assert [c.id for c in records.conversations("ann")] == [new]
    assert records.insights(days=365).questions == 1


def test_delete_my_history_leaves_other_users_alone(records):
    for user in ("ann", "bob"):
        cid = records.start_conversation(user, "q")
        tid = records.add_turn(user, cid, "q", answer())
        records.set_feedback(user, tid, 1, "ok")
        records.log_query(user, "ask", "q")
    assert records.delete_user("ann") == 4
    assert records.conversations("ann") == []
    assert len(records.conversations("bob")) == 1
    assert records.insights().questions == 1


def test_schema_creation_is_idempotent(tmp_path):
    db = Database(tmp_path / "x.sqlite3")
    Records(db).start_conversation("a", "q")
    assert len(Records(db).conversations("a")) == 1
    db.close()
