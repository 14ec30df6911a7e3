"""Parsers in child processes: a hanging or ballooning parse is stopped, a crash is reported, and
the run goes on with the other files. Plus the `kb ingest --json` failure report."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time

import pytest

from kb.app.service import KnowledgeBase
from kb.core.errors import IngestError
from ingest.isolate import IsolatedLoader, Limits
from ingest.loaders.base import LoadOptions
from tests.conftest import SHARED_EVAL
from kb.core.testing.docgen import pdf_bytes

pytestmark = pytest.mark.slow
HUGE_PDF = SHARED_EVAL / "files" / "huge" / "unst__DA-619p.pdf"
needs_shared = pytest.mark.skipif(not HUGE_PDF.exists(), reason="shared eval set missing")


def _slow_pdf() -> bytes:
    return HUGE_PDF.read_bytes()  # 619 pages: tens of seconds of pypdf on this machine


def test_worker_is_reused_and_returns_documents():
    with IsolatedLoader(Limits(timeout_s=60, memory_mb=1024)) as iso:
        for _ in range(3):
            doc = iso.load(pdf_bytes([["hello from a child process"]]), "a.pdf", LoadOptions())
            assert "hello from a child process" in doc.pages[0].text
        assert iso.killed == 0 and len(iso._all) == 1
        with pytest.raises(IngestError) as info:
            iso.load(b"not a pdf", "b.pdf", LoadOptions())
        assert info.value.code == "corrupt" and iso.killed == 0  # a parse error keeps the worker
        assert iso.peak_rss_mb > 0


@needs_shared
def test_a_parse_over_the_timeout_is_stopped_and_the_next_file_works():
    # pdfium reads the 619 pages in about a second on an idle machine: a tight limit stops it
    with IsolatedLoader(Limits(timeout_s=0.3, memory_mb=1024)) as iso:
        started = time.monotonic()
        with pytest.raises(IngestError) as info:
            iso.load(_slow_pdf(), "huge.pdf", LoadOptions())
        assert info.value.code == "timeout" and "KB_LOAD_TIMEOUT" in info.value.message
        assert time.monotonic() - started < 10
        assert iso.killed == 1
        iso.limits = Limits(timeout_s=30, memory_mb=1024)  # the replacement parser starts cold
        doc = iso.load(pdf_bytes([["after the timeout"]]), "ok.pdf", LoadOptions())
        assert "after the timeout" in doc.pages[0].text


@needs_shared
def test_a_parse_over_the_memory_cap_is_stopped():
    scan = SHARED_EVAL / "files" / "scanned" / "unst__loremipsum-flat.pdf"  # OCR needs > 150 MB
    with IsolatedLoader(Limits(timeout_s=120, memory_mb=150)) as iso:
        with pytest.raises(IngestError) as info:
            iso.load(scan.read_bytes(), "scan.pdf", LoadOptions())
        assert info.value.code == "too_large" and "KB_LOAD_MEMORY_MB" in info.value.message


@needs_shared
def test_a_crashing_parser_is_reported_as_corrupt():
    with IsolatedLoader(Limits(timeout_s=120, memory_mb=1024)) as iso:
        iso.load(pdf_bytes([["warm up"]]), "w.pdf", LoadOptions())
        worker = iso._all[0]

        def crash_soon() -> None:
            time.sleep(1.0)
            os.kill(worker.proc.pid, signal.SIGSEGV)

        threading.Thread(target=crash_soon, daemon=True).start()
        with pytest.raises(IngestError) as info:
            iso.load(_slow_pdf(), "huge.pdf", LoadOptions())
        assert info.value.code == "corrupt" and "crashed" in info.value.message


@needs_shared
def test_pipeline_reports_timeout_and_keeps_going(tmp_path, settings):
    from ingest.manifest import SqliteManifest
    from ingest.pipeline import Ingestor
    from kb.core.sqlite import Database
    from kb.core.testing.fakes import BagOfWordsEmbeddings, InMemoryIndex

    root = tmp_path / "docs"
    root.mkdir()
    shutil.copy(HUGE_PDF, root / "huge.pdf")
    (root / "note.txt").write_text("年假十五天。Annual leave is fifteen days.", encoding="utf-8")
    limited = settings.model_copy(update={"load_timeout": 0.5})  # pdfium reads it in ~2 s
    index = InMemoryIndex()
    db = Database(limited.db_path)
    report = Ingestor(limited, SqliteManifest(db), [index], index, BagOfWordsEmbeddings()).run([root])
    db.close()
    assert [(f.path, f.code) for f in report.failed] == [("huge.pdf", "timeout")]
    assert report.added == 1 and {c.path for c in index.chunks.values()} == {"note.txt"}


def test_kb_ingest_json_lists_failures_with_codes(app, corpus):
    from typer.testing import CliRunner

    from kb.cli import app as cli

    (corpus / "ok.md").write_text("# 请假\n\n年假十五天。\n", encoding="utf-8")
    (corpus / "empty.pdf").write_bytes(b"")
    (corpus / "broken.docx").write_bytes(os.urandom(2048))
    (corpus / "old.ppt").write_bytes(b"\xd0\xcf\x11\xe0 legacy")  # .doc is read since #16
    (corpus / "three.pdf").write_bytes(pdf_bytes([["a page of text"]] * 3))
    app.settings.max_pages = 2
    result = CliRunner().invoke(cli, ["ingest", str(corpus), "--json"], obj=KnowledgeBase(app))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    failed = {f["path"]: f["code"] for f in report["failed"]}
    assert failed == {"empty.pdf": "empty", "broken.docx": "corrupt", "old.ppt": "unsupported",
                      "three.pdf": "too_large"}
    assert all(f["error"] for f in report["failed"]) and report["added"] == 1

    status = CliRunner().invoke(cli, ["status", "--json"], obj=KnowledgeBase(app))
    files = {f["path"]: f for f in json.loads(status.stdout)["files"]}
    assert files["three.pdf"]["error_code"] == "too_large" and files["ok.md"]["status"] == "searchable"
