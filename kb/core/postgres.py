"""The PostgreSQL twin of kb.core.sqlite.Database (psycopg 3, extra `postgres`).

Same methods, same SQL: `?` parameters are translated to psycopg's `%s`, rows answer both
`row["name"]` and `row[0]`. Reads run in autocommit (each statement sees one committed state);
`tx()` is one transaction. Connections come from a small pool, so the threads of a page process
read in parallel.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")
log = logging.getLogger(__name__)
PURGES = ("full", "vacuum", "off")  # the `server_purge` setting
SCHEMA_LOCK = 7_316_001  # advisory lock key taken while migrating


def translate(sql: str, params: bool = True) -> str:
    """`?` -> `%s` outside quoted strings and names; with parameters, every `%` -> `%%` (psycopg
    reads placeholders everywhere, quotes included; without parameters it reads none)."""
    def sub(m: re.Match) -> str:
        tok = m.group(0)
        if tok == "?":
            return "%s"
        if tok == "%":
            return "%%" if params else "%"
        return tok.replace("%", "%%") if params else tok

    return _TOKENS.sub(sub, sql)


class Row(tuple):
    """A result row readable by position and by column name (like sqlite3.Row)."""

    _names: dict[str, int]

    def __new__(cls, values, names: dict[str, int]):
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor):
    names = {d.name: i for i, d in enumerate(cursor.description or ())}
    return lambda values: Row(values, names)


class _Conn:
    """What tx() yields: execute/executemany with `?` parameters, like sqlite3.Connection."""

    def __init__(self, conn) -> None:
        self.raw = conn

    def execute(self, sql: str, params: Any = None):
        return self.raw.execute(translate(sql, bool(params)), params if params else None)

    def executemany(self, sql: str, seq) -> None:
        seq = list(seq)
        if seq:
            with self.raw.cursor() as cur:
                cur.executemany(translate(sql), seq)


class PostgresDatabase:
    dialect = "postgresql"

    def __init__(self, url: str, pool_size: int = 8, purge: str = "full") -> None:
        if purge not in PURGES:
            raise ValueError(f"purge={purge!r}: expected one of {', '.join(PURGES)}")
        self.url = url
        self.pool_size = pool_size
        self.purge = purge
        self._idle: list[Any] = []
        self._open = 0
        self._cv = threading.Condition()

    # ----------------------------------------------------------------- connections
    def _new(self):
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise RuntimeError(
                "KB_DATABASE_URL names PostgreSQL but psycopg is not installed: "
                "pip install -e '.[postgres]'") from exc
        return psycopg.connect(self.url, autocommit=True, row_factory=_row_factory,
                               connect_timeout=10)

    @contextmanager
    def _conn(self) -> Iterator[Any]:
        with self._cv:
            while not self._idle and self._open >= self.pool_size:
                self._cv.wait()
            conn = self._idle.pop() if self._idle else None
            if conn is None:
                self._open += 1
        if conn is None or conn.closed:
            try:
                conn = self._new()
            except BaseException:
                with self._cv:
                    self._open -= 1
                    self._cv.notify()
                raise
        broken = False
        try:
            yield conn
        except BaseException:
            broken = conn.closed or conn.broken
            raise
        finally:
            with self._cv:
                if broken:
                    self._open -= 1
                    conn.close()
                else:
                    self._idle.append(conn)
                self._cv.notify()

    # ----------------------------------------------------------------- the Database API
    @contextmanager
    def tx(self) -> Iterator[_Conn]:
        with self._conn() as conn, conn.transaction():
            yield _Conn(conn)

    def query(self, sql: str, params: tuple | list = ()) -> list[Row]:
        with self._conn() as conn:
            return conn.execute(translate(sql, bool(params)),
                                params if params else None).fetchall()

    def script(self, sql: str) -> None:
        with self._conn() as conn:
            conn.execute(sql)

    def lock_schema(self, conn: _Conn) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK,))

    def migrate(self, component: str, steps) -> int:
        from kb.core.migrations import migrate

        return migrate(self, component, steps)

    def checkpoint(self) -> dict[str, int]:
        """Make deleted rows unreadable in the server's files, as far as `purge` allows.

        A deleted row stays in its heap page and its index pages (a GIN index keeps the words)
        until VACUUM, and in the WAL segments until they are removed. 'full': VACUUM FULL of
        every table of this schema (new files; the old ones are unlinked), then CHECKPOINT,
        `pg_switch_wal()`, CHECKPOINT, so that the segments holding the text are past the redo
        point (the server removes them when `wal_recycle = off`; with recycling on they are
        renamed and kept until overwritten). 'vacuum': plain VACUUM (heap pages only, no lock).
        Steps the role may not run (CHECKPOINT needs pg_checkpoint or superuser, the WAL switch
        superuser or a grant) are skipped with a warning; a table locked for longer than a
        minute is left to the next purge. Returns what was done."""
        done = {"postgres_tables_vacuumed": 0, "postgres_wal_rotated": 0}
        if self.purge == "off":
            return done
        import psycopg

        with self._conn() as conn:
            conn.execute("SET lock_timeout = '60s'")
            try:
                self._purge(conn, psycopg.errors, done)
            finally:  # the connection goes back to the pool as it came out
                conn.execute("RESET lock_timeout")
        return done

    def _purge(self, conn, errors, done: dict[str, int]) -> None:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " ORDER BY tablename").fetchall()]
        verb = "VACUUM (FULL)" if self.purge == "full" else "VACUUM"
        for table in tables:
            try:
                conn.execute(f'{verb} "{table}"')
                done["postgres_tables_vacuumed"] += 1
            except (errors.LockNotAvailable, errors.InsufficientPrivilege) as exc:
                log.warning("purge: %s %s skipped: %s", verb, table, exc)
        if self.purge == "full":
            try:
                conn.execute("CHECKPOINT")
                conn.execute("SELECT pg_switch_wal()")
                conn.execute("CHECKPOINT")
                done["postgres_wal_rotated"] = 1
            except errors.InsufficientPrivilege as exc:
                log.warning("purge: the WAL was not rotated (%s); deleted texts stay in its "
                            "segments until the server recycles them", exc)

    def close(self) -> None:
        with self._cv:
            for conn in self._idle:
                conn.close()
            self._open -= len(self._idle)
            self._idle.clear()


INGEST_LOCK = 7_316_002  # advisory lock key held by the running ingest


class AdvisoryLock:
    """The ingest lock of a shared PostgreSQL database: a session-level advisory lock on its own
    connection (released by the server if the process dies). FileLock's acquire/release."""

    def __init__(self, url: str, key: int = INGEST_LOCK) -> None:
        self.url = url
        self.key = key
        self.lock_file = f"PostgreSQL advisory lock {key}"
        self._conn = None

    def acquire(self, timeout: float = 0.0, poll: float = 0.2) -> None:
        import time

        from filelock import Timeout

        import psycopg

        conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        deadline = time.monotonic() + max(0.0, timeout)
        while not conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0]:
            if time.monotonic() >= deadline:
                conn.close()
                raise Timeout(self.lock_file)
            time.sleep(poll)
        self._conn = conn

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            finally:
                self._conn.close()
                self._conn = None
