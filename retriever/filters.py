"""What a reader may see: the current version of a document, readable by the principal.

The indexes already filter by access tokens inside their queries; this is the second check,
against the manifest, so that a chunk of an old version or a stale label never slips through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kb.core.errors import AccessViolation
from kb.core.types import Chunk


def visible(
    chunks: Iterable[Chunk],
    tokens: frozenset[str],
    versions: Mapping[str, str],
    doc_acl: Mapping[str, frozenset[str]],
) -> list[Chunk]:
    out = []
    for c in chunks:
        if versions.get(c.doc_id) != c.version:
            continue
        if not (c.acl & tokens) or not (doc_acl.get(c.doc_id, frozenset()) & tokens):
            continue
        out.append(c)
    return out


def assert_readable(chunks: Iterable[Chunk], tokens: frozenset[str]) -> None:
    """The last check before results leave the retriever: every chunk carries a token of the
    asker. Raises instead of filtering, so a broken filter upstream cannot go unnoticed."""
    for c in chunks:
        if not (c.acl & tokens):
            raise AccessViolation(f"chunk {c.chunk_id} is not readable with the asker's tokens")
