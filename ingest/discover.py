"""Walk an ingest root: every regular file with a stable doc_id, a readable name and its size;
then hash what a plan needs hashed."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

SKIP_NAMES = frozenset({"acl.yaml", "acl.yml", "Thumbs.db", "desktop.ini"})


@dataclass(frozen=True)
class FoundFile:
    abs_path: str  # as the OS gave it (may hold surrogate escapes for non-UTF-8 names)
    rel: str  # relative to the root, posix separators, decoded for people
    doc_id: str
    size: int


@dataclass(frozen=True)
class Found:
    """A file found under the root; `content_hash` is empty when it was not read."""

    file: FoundFile
    content_hash: str = ""
    unreadable: str = ""  # why it could not be read, if it could not


def doc_id_for(root: str, rel_raw: bytes) -> str:
    """Stable across edits (keyed by name, not content); distinct across roots and names."""
    return hashlib.sha1(os.fsencode(root) + b"\x00" + rel_raw).hexdigest()


def display_name(raw: bytes) -> str:
    """A file name for people: UTF-8, else GB18030 or Big5 (Chinese legacy systems), else escaped."""
    for enc in ("utf-8", "gb18030", "big5"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "backslashreplace")


def rel_raw(root: str, abs_path: str) -> bytes:
    return os.fsencode(os.path.relpath(abs_path, root)).replace(os.sep.encode(), b"/")


def walk(root: str, exclude: tuple[str, ...] = (), subtree: str = "") -> Iterator[FoundFile]:
    """Regular files under `root` (or only under `subtree`, a relative path), sorted, hidden
    files and folders skipped, symbolic links not followed, `exclude` folders pruned."""
    excluded = {os.path.realpath(e) for e in exclude}
    start = os.path.join(root, subtree) if subtree else root
    if os.path.isfile(start):
        candidates = [start]
    else:
        candidates = []
        for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
            dirnames[:] = sorted(
                d for d in dirnames
                if not d.startswith(".") and os.path.realpath(os.path.join(dirpath, d)) not in excluded
            )
            candidates.extend(
                os.path.join(dirpath, f) for f in sorted(filenames)
                if not f.startswith((".", "~$")) and f not in SKIP_NAMES
            )
    for path in candidates:
        try:
            st = os.lstat(path)
        except OSError:
            continue  # vanished between listing and stat: it is simply not there
        if not os.path.isfile(path) or os.path.islink(path):
            continue
        raw = rel_raw(root, path)
        yield FoundFile(path, display_name(raw), doc_id_for(root, raw), st.st_size)


def hash_file(path: str, block: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def scan(files: Iterable[FoundFile], max_bytes: int) -> Iterator[Found]:
    """Hash each file; files over `max_bytes` are not read, files that vanished are left out."""
    for f in files:
        if f.size > max_bytes:
            yield Found(f)
            continue
        try:
            digest = hash_file(f.abs_path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            yield Found(f, unreadable=str(exc.strerror or exc))
            continue
        yield Found(f, digest)
