"""One way to open the product's SQLite database: WAL, busy timeout, usable from threads;
deleted content is overwritten (`secure_delete`) and `checkpoint` empties the WAL file."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Database:
    """A serialized connection: readers and the writer of one process share it safely.

    The PostgreSQL twin (kb/core/postgres.py) has the same methods; code written against this class
    uses `?` parameters and SQL both accept (ON CONFLICT upserts, no INSERT OR REPLACE)."""

    dialect = "sqlite"

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False,
                                   isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA secure_delete=ON")  # deleted text is zeroed, not left in pages
            self._conn = conn
        return self._conn

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on error)."""
        with self._lock:
            conn = self._connect()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def query(self, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._connect().execute(sql, params).fetchall()

    def script(self, sql: str) -> None:
        with self._lock:
            self._connect().executescript(sql)

    def lock_schema(self, conn) -> None:
        """Inside tx(): nothing to do, BEGIN IMMEDIATE already excludes other writers."""

    def migrate(self, component: str, steps) -> int:
        from kb.core.migrations import migrate

        return migrate(self, component, steps)

    def checkpoint(self) -> dict[str, int]:
        """Copy the WAL into the database file and truncate it, so that pages holding deleted
        rows do not outlive the deletion there (a reader still open may delay it); deleted rows
        were already zeroed (`secure_delete`). Nothing to report."""
        if self.path != ":memory:":
            self.query("PRAGMA wal_checkpoint(TRUNCATE)")
        return {}

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
