"""`kb ingest --watch`: re-ingest folders when what is in them changes, until told to stop.

The change test is a fingerprint of every entry's path, size and modification time (acl.yaml
and hidden files included: an access rule edit is a change), read every `interval` seconds; an
ingest runs at the start and after every change. Ingest is idempotent, so a change noticed late
or twice costs one cheap unchanged run. A stop request (SIGTERM, Ctrl-C) lets the running
ingest finish (never a half-written document) and ends the loop.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence


def folder_state(paths: Sequence[str]) -> str:
    """A digest of (path, size, mtime) of every file under `paths`; '' parts for missing ones."""
    digest = hashlib.sha256()
    for top in sorted(paths):
        if os.path.isfile(top):
            entries = [top]
        else:
            entries = []
            for dirpath, dirnames, filenames in os.walk(top):
                dirnames.sort()
                entries.extend(os.path.join(dirpath, f) for f in sorted(filenames))
        for path in entries:
            try:
                st = os.stat(path)
            except OSError:
                continue  # vanished while we looked: the next look sees it gone
            digest.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "replace"))
    return digest.hexdigest()


def watch(paths: Sequence[str], run: Callable[[], object], interval: float,
          stop: threading.Event, on_error: Callable[[Exception], None] | None = None) -> int:
    """Call `run` now and whenever `folder_state(paths)` changes, until `stop` is set.
    Returns the number of runs. Errors of one run go to `on_error` (the watch goes on: a locked
    or unreadable folder is retried at the next change or interval) or propagate without it."""
    runs = 0
    last = None
    while not stop.is_set():
        state = folder_state(paths)
        if state != last:
            try:
                run()
                last = state
            except Exception as exc:  # noqa: BLE001 - reported, then retried next time
                if on_error is None:
                    raise
                on_error(exc)
            runs += 1
        stop.wait(interval)
    return runs
