"""Walk an ingest root: every regular file with a stable doc_id, a readable name and its size;
then hash what a plan needs hashed."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

SKIP_NAMES = frozenset({"acl.yaml", "acl.yml", "Thumbs.db", "desktop.ini"})


@dataclass(frozen=True)
class FoundFile:
    abs_path: str  # as the OS gave it (may hold surrogate escapes for non-UTF-8 names)
    rel: str  # relative to the root, posix separators, decoded for people
    doc_id: str
    size: int
    mtime_ns: int = 0

    @property
    def stat(self) -> tuple[str, int, int]:
        """(doc_id, size, mtime_ns): what the manifest remembers to skip reading it next time."""
        return (self.doc_id, self.size, self.mtime_ns)


@dataclass(frozen=True)
class Found:
    """A file found under the root; `content_hash` is empty when it was not read."""

    file: FoundFile
    content_hash: str = ""
    unreadable: str = ""  # why it could not be read, if it could not
    from_stat: bool = False  # the hash is the manifest's: size and mtime were unchanged


def doc_id_for(root: str, rel_raw: bytes) -> str:
    """Stable across edits (keyed by name, not content); distinct across roots and names."""
    return hashlib.sha1(_root_bytes(root) + b"\x00" + rel_raw).hexdigest()


@lru_cache(maxsize=64)
def _root_bytes(root: str) -> bytes:
    return os.fsencode(root)


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
    files and folders skipped, symbolic links not followed, `exclude` folders pruned. One
    `lstat` per file (os.scandir knows the type already)."""
    excluded = {os.path.realpath(e) for e in exclude}
    start = os.path.join(root, subtree) if subtree else root
    if os.path.isfile(start):
        try:
            st = os.lstat(start)
        except OSError:
            return
        if not os.path.islink(start):
            raw = rel_raw(root, start)
            yield FoundFile(start, display_name(raw), doc_id_for(root, raw), st.st_size,
                            st.st_mtime_ns)
        return
    yield from _walk_dir(root, start, excluded, rel_raw(root, start) + b"/" if subtree else b"")


def _walk_dir(root: str, folder: str, excluded: set[str], prefix: bytes) -> Iterator[FoundFile]:
    """Files of `folder`, then of its sub-folders; `prefix` is its path relative to the root
    (raw bytes ending in '/', empty for the root), so no file's relative path is recomputed."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return  # vanished or unreadable folder: nothing there to ingest
    dirs = []
    for e in entries:
        try:
            if e.is_dir(follow_symlinks=False):
                if not e.name.startswith(".") and os.path.realpath(e.path) not in excluded:
                    dirs.append((e.path, prefix + os.fsencode(e.name) + b"/"))
                continue
            if (not e.is_file(follow_symlinks=False) or e.name.startswith((".", "~$"))
                    or e.name in SKIP_NAMES):
                continue
            st = e.stat(follow_symlinks=False)
        except OSError:
            continue  # vanished between listing and stat: it is simply not there
        raw = prefix + os.fsencode(e.name)
        yield FoundFile(e.path, display_name(raw), doc_id_for(root, raw), st.st_size,
                        st.st_mtime_ns)
    for d, rel in dirs:
        yield from _walk_dir(root, d, excluded, rel)


def hash_file(path: str, block: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def scan(files: Iterable[FoundFile], max_bytes: int,
         known: Mapping[str, tuple[int, int, str]] | None = None) -> Iterator[Found]:
    """Hash each file, unless `known` (doc_id -> size, mtime_ns, content hash of the manifest)
    has its size and modification time unchanged: then the manifest's hash is taken without
    reading it (an mtime of 0 is never trusted). Files over `max_bytes` are not read, files that
    vanished are left out."""
    known = known or {}
    for f in files:
        if f.size > max_bytes:
            yield Found(f)
            continue
        seen = known.get(f.doc_id)
        if seen is not None and seen[1] and seen[0] == f.size and seen[1] == f.mtime_ns:
            yield Found(f, seen[2], from_stat=True)
            continue
        try:
            digest = hash_file(f.abs_path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            yield Found(f, unreadable=str(exc.strerror or exc))
            continue
        yield Found(f, digest)
