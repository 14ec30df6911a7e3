"""Conversations, feedback and the query log, in the product's database.

Portable SQL only (standard column types, `?` parameters, `ON CONFLICT ... DO UPDATE`), so the
same statements run on SQLite and PostgreSQL through the Database port (kb/core/ports.py).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from kb.core.ports import Database
from kb.core.types import Answer, Turn

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id VARCHAR(64) PRIMARY KEY,
    user_id VARCHAR(256) NOT NULL,
    title TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_user ON conversations(user_id, updated_at);
CREATE TABLE IF NOT EXISTS turns (
    id VARCHAR(64) PRIMARY KEY,
    conversation_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(256) NOT NULL,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    refused INTEGER NOT NULL,
    reason VARCHAR(32) NOT NULL,
    citations TEXT NOT NULL,
    standalone TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_conversation ON turns(conversation_id, position);
CREATE TABLE IF NOT EXISTS feedback (
    turn_id VARCHAR(64) PRIMARY KEY,
    user_id VARCHAR(256) NOT NULL,
    rating INTEGER NOT NULL,
    comment TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS query_log (
    id VARCHAR(64) PRIMARY KEY,
    user_id VARCHAR(256) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    query TEXT NOT NULL,
    refused INTEGER NOT NULL,
    reason VARCHAR(32) NOT NULL,
    results INTEGER NOT NULL,
    latency_ms DOUBLE PRECISION NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS query_log_created ON query_log(created_at);
CREATE INDEX IF NOT EXISTS query_log_user ON query_log(user_id);
"""

DAY = 86400.0


@dataclass(frozen=True)
class Conversation:
    id: str
    user_id: str
    title: str
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class StoredTurn:
    id: str
    conversation_id: str
    position: int
    question: str
    answer: str
    refused: bool
    reason: str
    citations: tuple[dict, ...]
    created_at: float
    standalone: str = ""  # the question as the assistant searched it (follow-ups rewritten)
    rating: int | None = None  # 1 up, 0 down, None not rated
    comment: str = ""
    withheld: int = 0  # citations withheld when shown (document gone or no longer readable)

    def as_turn(self) -> Turn:
        return Turn(self.question, self.answer, self.refused)

    def to_json(self) -> dict:
        return {"id": self.id, "conversation_id": self.conversation_id,
                "position": self.position, "question": self.question, "answer": self.answer,
                "refused": self.refused, "reason": self.reason,
                "citations": list(self.citations), "created_at": self.created_at,
                "standalone_question": self.standalone, "rating": self.rating,
                "comment": self.comment, "withheld": self.withheld}


# An answer cut after each run of citation markers: (text, markers) pairs, then uncited text.
_MARKERS = re.compile(r"((?:\[\d+\])+[.。!?！？;；,，]?\s*)")


def withhold(turn: StoredTurn, readable: Collection[int]) -> StoredTurn:
    """`turn` as it may be shown when only the citations numbered `readable` still are: the
    others are dropped, and so is every part of the answer that cites one of them (the answer
    quotes its sources); text citing nothing goes too when anything was withheld."""
    gone = [c for c in turn.citations if c["n"] not in readable]
    if not gone:
        return turn
    pieces = _MARKERS.split(turn.answer)
    kept = [text + marks for text, marks in zip(pieces[0::2], pieces[1::2])
            if all(int(n) in readable for n in re.findall(r"\[(\d+)\]", marks))]
    return replace(turn, answer="".join(kept).strip(),
                   citations=tuple(c for c in turn.citations if c["n"] in readable),
                   withheld=len(gone))


@dataclass(frozen=True)
class Insights:
    questions_per_day: dict[str, int] = field(default_factory=dict)
    searches_per_day: dict[str, int] = field(default_factory=dict)
    questions: int = 0
    refused: int = 0
    most_refused: list[tuple[str, int]] = field(default_factory=list)
    thumbs_up: int = 0
    thumbs_down: int = 0
    comments: list[dict] = field(default_factory=list)
    most_cited: list[tuple[str, int]] = field(default_factory=list)

    @property
    def refusal_rate(self) -> float:
        return self.refused / self.questions if self.questions else 0.0


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d")


def _new_id() -> str:
    return uuid.uuid4().hex


def _citations_json(answer: Answer) -> str:
    return json.dumps([c.to_json() for c in answer.citations], ensure_ascii=False)


class Records:
    """Every method takes the user it acts for; no method returns another user's history."""

    def __init__(self, db: Database, clock=time.time) -> None:
        self.db = db
        self.clock = clock
        self._ready = False

    def _init(self) -> None:
        if not self._ready:
            self.db.migrate("records", [SCHEMA])
            self._ready = True

    # ------------------------------------------------------------------ conversations
    def start_conversation(self, user: str, title: str) -> str:
        self._init()
        cid, now = _new_id(), self.clock()
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO conversations (id, user_id, title, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)", (cid, user, title[:200], now, now))
        return cid

    def conversations(self, user: str, limit: int = 50) -> list[Conversation]:
        self._init()
        rows = self.db.query(
            "SELECT id, user_id, title, created_at, updated_at FROM conversations "
            "WHERE user_id = ? ORDER BY updated_at DESC, id LIMIT ?", (user, limit))
        return [Conversation(**dict(r)) for r in rows]

    def add_turn(self, user: str, conversation_id: str, question: str, answer: Answer) -> str:
        self._init()
        tid, now = _new_id(), self.clock()
        with self.db.tx() as conn:
            owner = conn.execute("SELECT user_id FROM conversations WHERE id = ?",
                                 (conversation_id,)).fetchall()
            if not owner or owner[0]["user_id"] != user:
                raise PermissionError("no such conversation for this user")
            pos = conn.execute("SELECT COUNT(*) AS n FROM turns WHERE conversation_id = ?",
                               (conversation_id,)).fetchall()[0]["n"]
            conn.execute(
                "INSERT INTO turns (id, conversation_id, user_id, position, question, answer, "
                "refused, reason, citations, standalone, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (tid, conversation_id, user, pos, question, answer.text, int(answer.refused),
                 answer.reason, _citations_json(answer), answer.standalone_question, now))
            conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?",
                         (now, conversation_id))
        return tid

    def turns(self, user: str, conversation_id: str) -> list[StoredTurn]:
        self._init()
        rows = self.db.query(
            "SELECT t.id, t.conversation_id, t.position, t.question, t.answer, t.refused, "
            "t.reason, t.citations, t.standalone, t.created_at, f.rating, f.comment FROM turns t "
            "LEFT JOIN feedback f ON f.turn_id = t.id "
            "WHERE t.conversation_id = ? AND t.user_id = ? ORDER BY t.position",
            (conversation_id, user))
        return [StoredTurn(
            id=r["id"], conversation_id=r["conversation_id"], position=r["position"],
            question=r["question"], answer=r["answer"], refused=bool(r["refused"]),
            reason=r["reason"], citations=tuple(json.loads(r["citations"])),
            created_at=r["created_at"], standalone=r["standalone"], rating=r["rating"],
            comment=r["comment"] or "")
            for r in rows]

    # ------------------------------------------------------------------ feedback
    def set_feedback(self, user: str, turn_id: str, rating: int, comment: str = "") -> None:
        self._init()
        if rating not in (0, 1):
            raise ValueError("rating is 1 (up) or 0 (down)")
        with self.db.tx() as conn:
            owner = conn.execute("SELECT user_id FROM turns WHERE id = ?", (turn_id,)).fetchall()
            if not owner or owner[0]["user_id"] != user:
                raise PermissionError("no such answer for this user")
            conn.execute(
                "INSERT INTO feedback (turn_id, user_id, rating, comment, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (turn_id) DO UPDATE SET "
                "rating = excluded.rating, comment = excluded.comment, "
                "created_at = excluded.created_at",
                (turn_id, user, rating, comment.strip()[:2000], self.clock()))

    # ------------------------------------------------------------------ query log
    def log_query(self, user: str, kind: str, query: str, *, refused: bool = False,
                  reason: str = "", results: int = 0, latency_ms: float = 0.0) -> None:
        self._init()
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO query_log (id, user_id, kind, query, refused, reason, results, "
                "latency_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_new_id(), user, kind, query[:2000], int(refused), reason, results,
                 float(latency_ms), self.clock()))

    # ------------------------------------------------------------------ retention
    def purge(self, older_than_days: int) -> int:
        """Delete every record older than the given number of days (0 = keep all); returns the
        number of rows removed."""
        self._init()
        if older_than_days <= 0:
            return 0
        cutoff = self.clock() - older_than_days * DAY
        with self.db.tx() as conn:
            n = 0
            old = "SELECT id FROM conversations WHERE updated_at < ?"
            n += conn.execute(f"DELETE FROM feedback WHERE turn_id IN (SELECT id FROM turns "
                              f"WHERE conversation_id IN ({old}))", (cutoff,)).rowcount
            n += conn.execute(f"DELETE FROM turns WHERE conversation_id IN ({old})",
                              (cutoff,)).rowcount
            n += conn.execute("DELETE FROM conversations WHERE updated_at < ?",
                              (cutoff,)).rowcount
            n += conn.execute("DELETE FROM feedback WHERE created_at < ?", (cutoff,)).rowcount
            n += conn.execute("DELETE FROM query_log WHERE created_at < ?", (cutoff,)).rowcount
        return n

    def delete_user(self, user: str) -> int:
        """A user's "delete my history": conversations, answers, feedback and logged queries."""
        self._init()
        with self.db.tx() as conn:
            n = conn.execute("DELETE FROM feedback WHERE user_id = ?", (user,)).rowcount
            n += conn.execute("DELETE FROM turns WHERE user_id = ?", (user,)).rowcount
            n += conn.execute("DELETE FROM conversations WHERE user_id = ?", (user,)).rowcount
            n += conn.execute("DELETE FROM query_log WHERE user_id = ?", (user,)).rowcount
        self.db.checkpoint()  # secure_delete zeroed the rows; the WAL copy goes too
        return n

    # ------------------------------------------------------------------ insights
    def insights(self, days: int = 30, top: int = 10) -> Insights:
        self._init()
        since = self.clock() - days * DAY
        log = self.db.query(
            "SELECT kind, query, refused, created_at FROM query_log WHERE created_at >= ? "
            "ORDER BY created_at", (since,))
        asks = [r for r in log if r["kind"] == "ask"]
        per_day: Counter[str] = Counter(_day(r["created_at"]) for r in asks)
        searches: Counter[str] = Counter(_day(r["created_at"]) for r in log
                                         if r["kind"] == "search")
        refused = Counter(" ".join(r["query"].split()).lower() for r in asks if r["refused"])
        fb = self.db.query(
            "SELECT f.rating, f.comment, f.created_at, t.question FROM feedback f "
            "JOIN turns t ON t.id = f.turn_id WHERE f.created_at >= ? "
            "ORDER BY f.created_at DESC", (since,))
        cited: Counter[str] = Counter()
        for r in self.db.query("SELECT citations FROM turns WHERE created_at >= ?", (since,)):
            cited.update({c["path"] for c in json.loads(r["citations"])})
        return Insights(
            questions_per_day=dict(sorted(per_day.items())),
            searches_per_day=dict(sorted(searches.items())),
            questions=len(asks), refused=sum(1 for r in asks if r["refused"]),
            most_refused=refused.most_common(top),
            thumbs_up=sum(1 for r in fb if r["rating"] == 1),
            thumbs_down=sum(1 for r in fb if r["rating"] == 0),
            comments=[{"question": r["question"], "rating": r["rating"], "comment": r["comment"],
                       "at": r["created_at"]} for r in fb if r["comment"]],
            most_cited=cited.most_common(top),
        )


def history(turns: Sequence[StoredTurn]) -> tuple[Turn, ...]:
    return tuple(t.as_turn() for t in turns)
