"""The writers' lock: one ingest at a time writes; readers never wait.

A file lock under `home` by default, or what the composition root injects (a PostgreSQL advisory
lock when ingest workers share a database, not a disk). Either has filelock.FileLock's shape
(`kb.core.ports.Lock`): `acquire(timeout)` raising `filelock.Timeout`, `release()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from kb.core.config import Settings
from kb.core.errors import IngestLocked
from kb.core.ports import Lock


def writers_lock(settings: Settings, factory: Callable[[], Lock] | None = None) -> Lock:
    """A fresh, not yet acquired, writers' lock."""
    if factory is not None:
        return factory()
    settings.home.mkdir(parents=True, exist_ok=True)
    return FileLock(str(settings.lock_path))


@contextmanager
def held(lock: Lock, timeout: float) -> Iterator[Lock]:
    """Hold `lock` for the block, or raise IngestLocked after `timeout` seconds."""
    try:
        lock.acquire(timeout=timeout)
    except Timeout as exc:
        raise IngestLocked(
            f"another ingest is running (lock {getattr(lock, 'lock_file', lock)}); try again when it "
            "finishes, or set KB_LOCK_TIMEOUT to wait for it"
        ) from exc
    try:
        yield lock
    finally:
        lock.release()

