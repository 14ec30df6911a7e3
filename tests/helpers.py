"""Assertions on persisted state shared by the integration, property and crash tests."""

from __future__ import annotations

import hashlib
import os

from ingest.discover import walk


def expected_chunk_ids(app) -> set[str]:
    ids = set()
    for d in app.manifest.docs():
        if d.status == "ok":
            ids.update(f"{d.doc_id}:{d.version[:12]}:{i}" for i in range(d.chunks))
    return ids


def assert_indexes_match_disk(app, root) -> None:
    """The manifest holds exactly the files on disk with their current hashes, and every index
    holds exactly the chunks of those versions: no leftovers, no duplicates, nothing missing."""
    on_disk = {}
    for f in walk(str(root)):
        with open(f.abs_path, "rb") as fh:
            on_disk[f.doc_id] = (f.rel, hashlib.sha256(fh.read()).hexdigest())
    rows = {d.doc_id: d for d in app.manifest.docs() if d.root == os.path.realpath(root)}
    assert set(rows) == set(on_disk), "manifest rows differ from the files on disk"
    for doc_id, (rel, digest) in on_disk.items():
        assert rows[doc_id].path == rel
        assert rows[doc_id].content_hash == digest, f"stale manifest row for {rel}"
    expected = expected_chunk_ids(app)
    assert app.vector_index.ids() == expected, "Chroma ids differ from the manifest"
    assert app.keyword_index.ids() == expected, "keyword index ids differ from the manifest"
    assert app.manifest.pending() == []
