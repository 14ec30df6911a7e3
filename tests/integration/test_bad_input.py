"""One broken file never stops a run, never leaves half a document, and is reported per file."""

from __future__ import annotations

import builtins
import os

from kb.core.types import Principal
from tests.helpers import assert_indexes_match_disk
from tests.integration.test_pipeline import ingest, write


def test_unreadable_file_is_reported_and_the_run_completes(app, corpus, monkeypatch):
    write(corpus, "good.md", "Annual leave is 15 days.")
    bad = write(corpus, "locked.md", "Secret.")
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if os.fspath(file) == str(bad):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    r = ingest(app, corpus)
    assert r.added == 1
    assert [(f.path, f.code) for f in r.failed] == [("locked.md", "unreadable")]
    assert "Permission denied" in r.failed[0].error


def test_file_that_vanishes_mid_run(app, corpus, monkeypatch):
    write(corpus, "a.md", "Stays.")
    gone = write(corpus, "b.md", "Vanishes after planning.")
    from ingest.pipeline import Ingestor

    real_plan = Ingestor.plan

    def plan_then_delete(self, path):
        plan = real_plan(self, path)
        gone.unlink()
        return plan

    monkeypatch.setattr(Ingestor, "plan", plan_then_delete)
    r = ingest(app, corpus)
    assert r.added == 1
    assert [(f.path, f.code) for f in r.failed] == [("b.md", "vanished")]
    monkeypatch.undo()
    r = ingest(app, corpus)
    assert r.deleted == 1 and r.failed == ()
    assert_indexes_match_disk(app, corpus)


def test_non_utf8_file_name_is_ingested_with_a_readable_name(app, corpus):
    """A GBK-encoded name (as written by older Chinese Windows tools) is decoded for people."""
    raw = os.path.join(os.fsencode(corpus), "请假".encode("gbk") + b".txt")
    with open(raw, "wb") as f:
        f.write("年休假五天。".encode("utf-8"))
    r = ingest(app, corpus)
    assert r.added == 1 and r.failed == ()
    (doc,) = app.manifest.docs()
    assert doc.path == "请假.txt"
    hits = app.searcher().search("年休假", Principal("u"))
    assert hits[0].chunk.path == "请假.txt"
    assert_indexes_match_disk(app, corpus)


def test_broken_files_beside_good_ones(app, corpus):
    write(corpus, "good.md", "Annual leave is 15 days.")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4\n garbage without xref")
    (corpus / "random.docx").write_bytes(os.urandom(4096))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "image.bin").write_bytes(b"\x00\x01")
    r = ingest(app, corpus)
    assert r.added == 1
    codes = {f.path: f.code for f in r.failed}
    assert codes == {"broken.pdf": "corrupt", "random.docx": "corrupt", "empty.txt": "empty",
                     "image.bin": "unsupported"}
    assert all(f.error for f in r.failed)
    assert_indexes_match_disk(app, corpus)
    status = {d.path: (d.status, d.error_code) for d in app.manifest.docs()}
    assert status["broken.pdf"] == ("failed", "corrupt")


def test_a_file_that_breaks_on_edit_leaves_no_stale_chunks(app, corpus):
    path = write(corpus, "policy.md", "Annual leave is 15 days.")
    ingest(app, corpus)
    path.write_text("  \n\n  ", encoding="utf-8")  # saved blank by mistake
    r = ingest(app, corpus)
    assert [f.code for f in r.failed] == ["empty"]
    assert list(app.searcher().search("annual leave", Principal("u"))) == []
    assert_indexes_match_disk(app, corpus)
    path.write_text("Annual leave is 20 days.", encoding="utf-8")
    r = ingest(app, corpus)
    assert r.added == 1 and r.failed == ()


def test_a_parser_crash_is_a_per_file_error(settings, corpus, fake_embedder, monkeypatch):
    """In-thread parsing (KB_ISOLATE_LOADERS=false): a parser exception is still per file."""
    from kb.app.wiring import build

    app = build(settings.model_copy(update={"isolate_loaders": False}),
                embedder_override=fake_embedder)
    write(corpus, "a.md", "fine")
    write(corpus, "b.md", "boom")
    import ingest.loaders as loaders

    real = loaders.load

    def flaky(data, name, *args, **kwargs):
        if name == "b.md":
            raise RecursionError("parser bug")
        return real(data, name, *args, **kwargs)

    monkeypatch.setattr(loaders, "load", flaky)
    r = ingest(app, corpus)
    assert r.added == 1
    assert r.failed[0].code == "corrupt" and "RecursionError" in r.failed[0].error
    app.close()


def test_too_large_file_is_refused_before_reading(settings, corpus, fake_embedder):
    from kb.app.wiring import build

    app = build(settings.model_copy(update={"max_file_mb": 0.001}), embedder_override=fake_embedder)
    write(corpus, "big.txt", "x" * 5000)
    r = ingest(app, corpus)
    assert [f.code for f in r.failed] == ["too_large"]
    assert "KB_MAX_FILE_MB" in r.failed[0].error
    app.close()
