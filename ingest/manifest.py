"""The manifest: which version of each file the indexes hold, and the recovery journal.

Portable SQL: the same class runs on SQLite (kb.core.sqlite) and PostgreSQL (kb.core.postgres)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from functools import lru_cache

from kb.core.types import DocRecord
from kb.core.ports import Database

# Versioned migrations (kb/core/migrations.py): append, never edit. Step 1 keeps IF NOT EXISTS so
# that homes created before migrations existed adopt it unchanged.
MIGRATIONS = ["""
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    root TEXT NOT NULL,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    version TEXT NOT NULL,
    acl TEXT NOT NULL,
    mime TEXT NOT NULL,
    title TEXT NOT NULL,
    size BIGINT NOT NULL,
    chunks INTEGER NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    ingested_at {FLOAT} NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_root ON documents(root);
CREATE TABLE IF NOT EXISTS pending (
    doc_id TEXT PRIMARY KEY,
    since {FLOAT} NOT NULL
);
CREATE TABLE IF NOT EXISTS ingest_runs (
    id {ID},
    root TEXT NOT NULL,
    finished_at {FLOAT} NOT NULL,
    report TEXT NOT NULL
);
""", """
CREATE TABLE IF NOT EXISTS file_stats (
    doc_id TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL
);
"""]

# A file modified within this many nanoseconds of being recorded may change again within the
# same timestamp tick without its size or time changing: its stat is not trusted (it is hashed).
RACY_NS = 2_000_000_000

_COLUMNS = (
    "doc_id", "root", "path", "content_hash", "fingerprint", "version", "acl", "mime", "title",
    "size", "chunks", "status", "error_code", "error", "ingested_at",
)


def _row_to_record(row) -> DocRecord:
    values = dict(row)
    values["acl"] = _acl(values["acl"])
    return DocRecord(**values)


@lru_cache(maxsize=1024)
def _acl(stored: str) -> frozenset[str]:
    """Access labels as stored (JSON); a corpus has few distinct ones, so each is parsed once."""
    return frozenset(json.loads(stored))


class SqliteManifest:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._ready = False

    def _init(self) -> None:
        if not self._ready:
            self.db.migrate("manifest", MIGRATIONS)
            self._ready = True

    def get(self, doc_id: str) -> DocRecord | None:
        self._init()
        rows = self.db.query("SELECT * FROM documents WHERE doc_id = ?", (doc_id,))
        return _row_to_record(rows[0]) if rows else None

    def docs(self, root: str | None = None) -> list[DocRecord]:
        self._init()
        if root is None:
            rows = self.db.query("SELECT * FROM documents ORDER BY root, path")
        else:
            rows = self.db.query("SELECT * FROM documents WHERE root = ? ORDER BY path", (root,))
        return [_row_to_record(r) for r in rows]

    def put(self, record: DocRecord) -> None:
        self._init()
        values = [getattr(record, c) for c in _COLUMNS]
        values[_COLUMNS.index("acl")] = json.dumps(sorted(record.acl))
        placeholders = ", ".join("?" for _ in _COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:])
        with self.db.tx() as conn:
            conn.execute(
                f"INSERT INTO documents ({', '.join(_COLUMNS)}) VALUES ({placeholders})"
                f" ON CONFLICT (doc_id) DO UPDATE SET {updates}",
                values,
            )

    def remove(self, doc_id: str) -> None:
        self._init()
        with self.db.tx() as conn:
            conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            conn.execute("DELETE FROM file_stats WHERE doc_id = ?", (doc_id,))

    def roots(self) -> list[str]:
        """Every ingested root (one query, however many documents)."""
        self._init()
        return [r["root"] for r in self.db.query("SELECT DISTINCT root FROM documents")]

    def fingerprints(self) -> set[str]:
        """The pipeline fingerprints the documents were built under."""
        self._init()
        return {r["fingerprint"] for r in
                self.db.query("SELECT DISTINCT fingerprint FROM documents")}

    def file_stats(self, root: str) -> dict[str, tuple[int, int]]:
        """doc_id -> (size, mtime_ns) of each file of `root` when its row was written: a file
        that still has both was not changed and need not be read (one query for the root)."""
        self._init()
        rows = self.db.query(
            "SELECT s.doc_id, s.size, s.mtime_ns FROM file_stats s JOIN documents d"
            " ON d.doc_id = s.doc_id WHERE d.root = ? AND d.status = 'ok'", (root,))
        return {r["doc_id"]: (r["size"], r["mtime_ns"]) for r in rows}

    def put_stats(self, stats: Iterable[tuple[str, int, int]]) -> None:
        """Remember (doc_id, size, mtime_ns) of files whose rows hold their current content;
        a recently modified file is remembered as untrusted (mtime 0), so it is hashed again."""
        self._init()
        now = time.time_ns()
        rows = [(d, size, m if m and m < now - RACY_NS else 0) for d, size, m in stats]
        if not rows:
            return
        with self.db.tx() as conn:
            conn.executemany(
                "INSERT INTO file_stats (doc_id, size, mtime_ns) VALUES (?, ?, ?)"
                " ON CONFLICT (doc_id) DO UPDATE SET size = excluded.size,"
                " mtime_ns = excluded.mtime_ns", rows)

    def current_versions(self, doc_ids: Iterable[str]) -> Mapping[str, str]:
        self._init()
        ids = list(dict.fromkeys(doc_ids))
        out: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ", ".join("?" for _ in part)
            rows = self.db.query(
                f"SELECT doc_id, version FROM documents WHERE status = 'ok' AND doc_id IN ({marks})",
                part,
            )
            out.update({r["doc_id"]: r["version"] for r in rows})
        return out

    def current_acl(self, doc_ids: Iterable[str]) -> Mapping[str, frozenset[str]]:
        self._init()
        ids = list(dict.fromkeys(doc_ids))
        out: dict[str, frozenset[str]] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ", ".join("?" for _ in part)
            rows = self.db.query(
                f"SELECT doc_id, acl FROM documents WHERE status = 'ok' AND doc_id IN ({marks})",
                part,
            )
            out.update({r["doc_id"]: frozenset(json.loads(r["acl"])) for r in rows})
        return out

    def begin(self, doc_id: str) -> None:
        self._init()
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO pending (doc_id, since) VALUES (?, ?)"
                " ON CONFLICT (doc_id) DO UPDATE SET since = excluded.since", (doc_id, time.time())
            )

    def done(self, doc_id: str) -> None:
        self._init()
        with self.db.tx() as conn:
            conn.execute("DELETE FROM pending WHERE doc_id = ?", (doc_id,))

    def pending(self) -> list[str]:
        self._init()
        return [r["doc_id"] for r in self.db.query("SELECT doc_id FROM pending ORDER BY doc_id")]

    def record_run(self, root: str, report: dict) -> None:
        self._init()
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO ingest_runs (root, finished_at, report) VALUES (?, ?, ?)",
                (root, time.time(), json.dumps(report, ensure_ascii=False)),
            )

    def last_runs(self, limit: int = 20) -> list[dict]:
        self._init()
        rows = self.db.query(
            "SELECT root, finished_at, report FROM ingest_runs ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [
            {"root": r["root"], "finished_at": r["finished_at"], "report": json.loads(r["report"])}
            for r in rows
        ]
