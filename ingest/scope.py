"""What one ingest run covers: its root and subtree, the manifest rows it may touch, the access
rules that label its documents, and the pipeline fingerprint its chunks are built under."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

from ingest import attachments
from ingest.acl import EnclosingRules
from ingest.chunking import CHUNKER_VERSION
from kb.core.config import Settings
from kb.core.types import DocRecord


def fingerprint(embedding_model_id: str, settings: Settings) -> str:
    """Changes whenever stored chunks or vectors would come out differently."""
    key = f"{embedding_model_id}|chunker={CHUNKER_VERSION}|{settings.chunk_size}|{settings.chunk_overlap}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def version_of(content_hash: str, fp: str) -> str:
    return hashlib.sha256(f"{content_hash}|{fp}".encode()).hexdigest()[:16]


def resolve(path: str | os.PathLike, known_roots: Iterable[str]) -> tuple[str, str]:
    """(root, subtree) for a path: inside an already ingested root it is a part of it."""
    target = os.path.realpath(os.fspath(path))
    for root in sorted(set(known_roots), key=len, reverse=True):
        if target == root:
            return root, ""
        if target.startswith(root.rstrip(os.sep) + os.sep):
            return root, os.path.relpath(target, root)
    if os.path.isfile(target):
        return os.path.dirname(target), os.path.basename(target)
    return target, ""


def in_scope(docs: Iterable[DocRecord], root: str, subtree: str) -> list[DocRecord]:
    """Rows a run may delete: under the root (and subtree), or under roots it contains."""
    out = []
    prefix = subtree.replace(os.sep, "/")
    for d in docs:
        if d.root == root:
            if (not prefix or d.path == prefix or d.path.startswith(prefix.rstrip("/") + "/")
                    or d.path.startswith(prefix + attachments.SEPARATOR)):
                out.append(d)
        elif not subtree and d.root.startswith(root.rstrip(os.sep) + os.sep):
            out.append(d)  # an older, narrower root now covered by this one
    return out


def access_rules(settings: Settings, root: str) -> EnclosingRules:
    """The labels of the root's documents: from the `settings.acl_file` files enclosing each
    document (its folder's and every one above, the root's parents too), or from the one
    absolute `settings.acl_file`. They never depend on where the ingest starts."""
    return EnclosingRules(root, settings.acl_file, list(settings.default_access))
