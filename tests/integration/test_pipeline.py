"""Incremental sync against the real stores (Chroma on disk, SQLite) with the fake embedder."""

from __future__ import annotations

import os
import shutil

import pytest

from kb.core.errors import IngestLocked
from kb.core.types import Principal
from tests.conftest import SAMPLES
from tests.helpers import assert_indexes_match_disk


def write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def ingest(app, *paths, **kw):
    return app.ingestor().run([str(p) for p in paths], **kw)


def test_add_edit_delete_rename(app, corpus):
    write(corpus, "a.md", "# Leave\n\nAnnual leave is 15 days.")
    write(corpus, "sub/b.txt", "员工每年享有带薪年假。病假须提供证明。")
    r = ingest(app, corpus)
    assert (r.added, r.updated, r.deleted, r.failed) == (2, 0, 0, ())
    assert_indexes_match_disk(app, corpus)

    write(corpus, "a.md", "# Leave\n\nAnnual leave is 20 days now.")
    r = ingest(app, corpus)
    assert (r.added, r.updated, r.unchanged) == (0, 1, 1)
    assert_indexes_match_disk(app, corpus)
    hits = app.searcher().search("annual leave", Principal("u"))
    assert all("15 days" not in h.chunk.text for h in hits), "old version is gone"

    os.rename(corpus / "sub/b.txt", corpus / "sub/c.txt")
    r = ingest(app, corpus)
    assert (r.added, r.deleted, r.unchanged) == (1, 1, 1)
    assert_indexes_match_disk(app, corpus)

    (corpus / "a.md").unlink()
    r = ingest(app, corpus)
    assert (r.deleted, r.unchanged) == (1, 1)
    assert_indexes_match_disk(app, corpus)
    assert ingest(app, corpus).nothing_to_do


def test_unchanged_files_are_not_reembedded(app, corpus, fake_embedder):
    write(corpus, "a.md", "Annual leave is 15 days. " * 30)
    ingest(app, corpus)
    before = fake_embedder.texts_embedded
    assert before > 0
    r = ingest(app, corpus)
    assert r.nothing_to_do and r.unchanged == 1
    assert fake_embedder.texts_embedded == before


def test_identical_files_under_two_names_stay_two_documents(app, corpus):
    """Regression guard (LlamaIndex): deduplicating by content hash collapsed documents."""
    write(corpus, "a.md", "Same text in two files.")
    write(corpus, "b.md", "Same text in two files.")
    ingest(app, corpus)
    assert len(app.manifest.docs()) == 2
    assert_indexes_match_disk(app, corpus)


def test_fingerprint_change_reingests_without_reembedding_unchanged_texts(settings, corpus, fake_embedder):
    from kb.app.wiring import build

    write(corpus, "a.md", "Annual leave is 15 days.\n\nSick leave is 10 days.")
    app = build(settings, embedder_override=fake_embedder)
    ingest(app, corpus)
    embedded = fake_embedder.texts_embedded
    app.close()
    app2 = build(settings.model_copy(update={"chunk_overlap": 10}), embedder_override=fake_embedder)
    r = ingest(app2, corpus)
    assert r.updated == 1, "a chunk-setting change re-ingests"
    assert_indexes_match_disk(app2, corpus)
    assert fake_embedder.texts_embedded == embedded, "same chunk texts come from the cache"
    app2.close()


def test_acl_rule_change_relabels_without_reembedding(app, corpus, fake_embedder):
    write(corpus, "hr/pay.md", "Salary band L3 is 76,000 to 98,000.")
    write(corpus, "open.md", "The canteen opens at noon.")
    ingest(app, corpus)
    alice = Principal("alice", frozenset({"hr"}))
    bob = Principal("bob", frozenset({"sales"}))
    assert app.searcher().search("salary band", bob)[0].chunk.path == "hr/pay.md"
    embedded = fake_embedder.texts_embedded

    write(corpus, "acl.yaml", "rules:\n  - path: 'hr/**'\n    groups: [hr]\n")
    r = ingest(app, corpus)
    assert (r.relabeled, r.updated, r.added) == (1, 0, 0)
    assert fake_embedder.texts_embedded == embedded
    assert all(h.chunk.path != "hr/pay.md" for h in app.searcher().search("salary band", bob))
    assert app.searcher().search("salary band", alice)[0].chunk.path == "hr/pay.md"
    assert app.manifest.docs()[0].acl == {"group:hr"}
    assert_indexes_match_disk(app, corpus)


def test_deletions_are_scoped_to_the_root_being_ingested(app, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    write(one, "a.md", "Root one document.")
    write(two, "a.md", "Root two document.")
    ingest(app, one)
    ingest(app, two)
    assert len(app.manifest.docs()) == 2, "same relative path under two roots: two documents"
    (two / "a.md").unlink()
    r = ingest(app, two)
    assert r.deleted == 1
    assert [d.root for d in app.manifest.docs()] == [os.path.realpath(one)]
    assert_indexes_match_disk(app, one)


def test_ingesting_a_subfolder_of_a_known_root_only_touches_that_subfolder(app, corpus):
    write(corpus, "a/x.md", "Alpha document.")
    write(corpus, "b/y.md", "Beta document.")
    ingest(app, corpus)
    (corpus / "b/y.md").unlink()
    write(corpus, "a/z.md", "Another alpha.")
    r = ingest(app, corpus / "a")
    assert (r.added, r.deleted, r.unchanged) == (1, 0, 1), "b/ is outside this run's scope"
    assert {d.path for d in app.manifest.docs()} == {"a/x.md", "a/z.md", "b/y.md"}
    r = ingest(app, corpus)
    assert r.deleted == 1
    assert_indexes_match_disk(app, corpus)


def test_delete_path_removes_documents_from_every_index(app, corpus):
    write(corpus, "keep.md", "Keep me.")
    write(corpus, "old/a.md", "Remove me.")
    write(corpus, "old/b.md", "Remove me too.")
    ingest(app, corpus)
    assert app.ingestor().delete_path(str(corpus / "old")).documents == 2
    assert [d.path for d in app.manifest.docs()] == ["keep.md"]
    from tests.helpers import expected_chunk_ids

    assert app.vector_index.ids() == app.keyword_index.ids() == expected_chunk_ids(app)


def test_dry_run_changes_nothing(app, corpus):
    write(corpus, "a.md", "Annual leave.")
    r = ingest(app, corpus, dry_run=True)
    assert r.added == 1 and r.dry_run
    assert app.manifest.docs() == [] and app.vector_index.ids() == set()


def test_a_second_ingest_is_refused_while_one_runs(app, corpus):
    write(corpus, "a.md", "Annual leave.")
    lock = app.ingestor().lock()
    lock.acquire()
    try:
        with pytest.raises(IngestLocked, match="another ingest is running"):
            ingest(app, corpus)
    finally:
        lock.release()
    assert ingest(app, corpus).added == 1


def test_sample_corpus_ingests_cleanly_with_labels(app, tmp_path):
    root = tmp_path / "samples"
    shutil.copytree(SAMPLES, root)
    r = ingest(app, root)
    assert r.failed == () and r.added == 9
    by_path = {d.path: d for d in app.manifest.docs()}
    assert by_path["hr/salary_bands.md"].acl == {"group:hr"}
    assert by_path["zh/信息安全规定.txt"].acl == {"public"}
    assert_indexes_match_disk(app, root)
