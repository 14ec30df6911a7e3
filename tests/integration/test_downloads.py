""""Download the original" serves the bytes that were ingested, or nothing (issue 15, finding 4)."""

from __future__ import annotations

import os

import pytest

from kb.app.service import KnowledgeBase
from kb.app.wiring import build
from kb.core.errors import NotFound
from kb.core.types import Principal

EVE = Principal("eve")


@pytest.fixture
def kb(settings, fake_embedder, tmp_path):
    root = tmp_path / "corpus"
    (root / "hr").mkdir(parents=True)
    (root / "acl.yaml").write_text("rules:\n  - path: 'hr/**'\n    groups: [hr]\n", "utf-8")
    (root / "hr/salaries.md").write_text("Salary bands are secret.", encoding="utf-8")
    (root / "handbook.md").write_text("Everyone gets a laptop.", encoding="utf-8")
    (root / "sub").mkdir()
    (root / "sub/notes.md").write_text("Meeting notes.", encoding="utf-8")
    service = KnowledgeBase(build(settings, embedder_override=fake_embedder))
    assert service.ingest([root]).failed == ()
    yield service
    service.close()


def doc(kb, path):
    return next(d for d in kb.library() if d.path == path)


def test_the_original_is_the_ingested_bytes(kb):
    f = kb.original_file(doc(kb, "handbook.md").doc_id, EVE)
    assert (f.name, f.data) == ("handbook.md", b"Everyone gets a laptop.")


def test_a_symlink_swapped_in_after_ingest_is_not_followed(kb, tmp_path):
    """A public file replaced by a link to the HR file served the HR bytes to anyone."""
    public = tmp_path / "corpus/handbook.md"
    public.unlink()
    os.symlink(tmp_path / "corpus/hr/salaries.md", public)
    with pytest.raises(NotFound):
        kb.original_file(doc(kb, "handbook.md").doc_id, EVE)


def test_a_folder_swapped_for_a_symlink_is_not_followed(kb, tmp_path):
    """Only the resolved path was checked: a folder link inside the root passed that check."""
    sub = tmp_path / "corpus/sub"
    (sub / "notes.md").unlink()
    sub.rmdir()
    (tmp_path / "corpus/hr/notes.md").write_bytes(b"Meeting notes.")  # even the same bytes
    os.symlink(tmp_path / "corpus/hr", sub)
    with pytest.raises(NotFound):
        kb.original_file(doc(kb, "sub/notes.md").doc_id, EVE)


def test_a_file_changed_after_ingest_is_not_served(kb, tmp_path):
    """The file on disk was served whatever it held now, not what was ingested and labelled."""
    (tmp_path / "corpus/handbook.md").write_text("Salary bands: 90k-120k.", encoding="utf-8")
    with pytest.raises(NotFound):
        kb.original_file(doc(kb, "handbook.md").doc_id, EVE)
