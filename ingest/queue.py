"""The work queue that lets several `kb ingest` workers share one folder sync (PostgreSQL only).

Each worker plans under the writers' lock (held for the plan alone: walk, stat, compare, apply
deletions and relabels, enqueue the files to load), then drains the queue with the others. A
worker claims a few rows with `SELECT ... FOR UPDATE SKIP LOCKED` inside a transaction it keeps
open while it parses, embeds and writes those files, and deletes the rows in the same
transaction when they are written. Two workers never hold the same row; a worker that dies
(killed, machine lost) loses its connection, PostgreSQL rolls its transaction back, and the rows
are claimable again by the next worker: nothing is lost, and the chunk ids are deterministic, so
the redone work writes exactly what the dead worker would have. A document a dead worker left
half-written (journal entry still pending) is cleaned by whoever claims it next.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ingest.discover import FoundFile
from kb.core.ports import Database

MIGRATIONS = ["""
CREATE TABLE IF NOT EXISTS ingest_queue (
    doc_id TEXT PRIMARY KEY,
    root TEXT NOT NULL,
    rel TEXT NOT NULL,
    abs_path_hex TEXT NOT NULL,
    size BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    enqueued_at {FLOAT} NOT NULL
);
CREATE INDEX IF NOT EXISTS ingest_queue_root ON ingest_queue(root);
"""]

_FIELDS = "doc_id, rel, abs_path_hex, size, mtime_ns, content_hash"


@dataclass(frozen=True)
class Claimed:
    file: FoundFile
    content_hash: str


class WorkQueue:
    """One per worker process: `db` is the product database (schema, filling, reads); claims
    run on a connection of their own, opened on first use."""

    def __init__(self, db: Database, url: str) -> None:
        if db.dialect != "postgresql":
            raise ValueError("KB_INGEST_QUEUE needs KB_DATABASE_URL=postgresql://... (several "
                             "workers share the queue through PostgreSQL's row locks)")
        self.db = db
        self.url = url
        self._conn = None
        self._ready = False

    def _init(self) -> None:
        if not self._ready:
            self.db.migrate("ingest_queue", MIGRATIONS)
            self._ready = True

    def fill(self, root: str, work: Iterable[tuple[FoundFile, str]]) -> None:
        """Enqueue files; one already queued (perhaps being written by another worker) stays."""
        self._init()
        now = time.time()
        rows = [(f.doc_id, root, f.rel, os.fsencode(f.abs_path).hex(), f.size, f.mtime_ns, h, now)
                for f, h in work]
        if rows:
            with self.db.tx() as conn:
                conn.executemany(
                    "INSERT INTO ingest_queue (doc_id, root, rel, abs_path_hex, size, mtime_ns,"
                    " content_hash, enqueued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (doc_id) DO NOTHING", rows)

    def queued(self) -> set[str]:
        """doc_ids waiting or being written (a pending journal entry of one of them belongs to
        a live worker or will be cleaned by its next claimer: recovery must leave it alone)."""
        self._init()
        return {r["doc_id"] for r in self.db.query("SELECT doc_id FROM ingest_queue")}

    def size(self, root: str) -> int:
        self._init()
        return self.db.query("SELECT COUNT(*) AS n FROM ingest_queue WHERE root = ?",
                             (root,))[0]["n"]

    @contextmanager
    def claim(self, root: str, n: int) -> Iterator[list[Claimed]]:
        """Up to `n` rows of `root` no other worker holds, locked until the block ends: deleted
        if it ends normally, released for another worker if it raises or the process dies."""
        self._init()
        conn = self._connection()
        with conn.transaction():
            rows = conn.execute(
                f"SELECT {_FIELDS} FROM ingest_queue WHERE root = %s ORDER BY doc_id"
                " LIMIT %s FOR UPDATE SKIP LOCKED", (root, n)).fetchall()
            yield [Claimed(FoundFile(os.fsdecode(bytes.fromhex(path)), rel, doc_id, size, mtime),
                           digest)
                   for doc_id, rel, path, size, mtime, digest in rows]
            if rows:
                conn.execute("DELETE FROM ingest_queue WHERE doc_id = ANY(%s)",
                             ([r[0] for r in rows],))

    def _connection(self):
        if self._conn is None:
            import psycopg

            self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
