"""Per-file caps on extracted characters and chunks (issue 15, finding 8): a small file that
expands to millions of characters is refused as `too_large`, in the pipeline's own process
too, and the rest of the run goes on."""

from __future__ import annotations

import io
import zipfile

import pytest

from ingest.loading import FileLoader
from kb.app.wiring import build

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>')
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>')


def docx_bomb(paragraphs: int) -> bytes:
    """A DOCX of the same paragraph repeated: a few KB on disk, millions of characters."""
    para = "<w:p><w:r><w:t>" + "Bomb text repeats itself. " * 8 + "</w:t></w:r></w:p>"
    body = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w='
            '"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
            + para * paragraphs + "</w:body></w:document>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("word/document.xml", body)
    return buf.getvalue()


@pytest.fixture
def capped(settings, fake_embedder):
    def make(**limits):
        return build(settings.model_copy(update=limits), embedder_override=fake_embedder)
    return make


def failures(report):
    return {f.path: f.code for f in report.failed}


@pytest.mark.parametrize("isolate", [True, False])
def test_an_expansion_bomb_is_refused_as_too_large(capped, corpus, isolate):
    """A 30 KB DOCX expanded to 2 M characters: no cap on extracted text existed."""
    bomb = docx_bomb(10_000)
    assert len(bomb) < 40_000
    (corpus / "bomb.docx").write_bytes(bomb)
    (corpus / "ok.md").write_text("Annual leave is 15 days.", encoding="utf-8")
    app = capped(max_file_chars=1_000_000, isolate_loaders=isolate)
    try:
        report = app.ingestor().run([str(corpus)])
        assert failures(report) == {"bomb.docx": "too_large"}
        assert "KB_MAX_FILE_CHARS" in report.failed[0].error
        assert {d.path: d.status for d in app.manifest.docs()} == {"bomb.docx": "failed",
                                                                    "ok.md": "ok"}
        assert not {c for c in app.keyword_index.ids() if "bomb" in c}
        assert report.chunks == 1
    finally:
        app.close()


def test_the_cap_holds_in_the_pipeline_even_when_the_parser_does_not_apply_it(
        capped, corpus, monkeypatch):
    """Only the parser child was limited: text handed back past it went on to be chunked."""
    real = FileLoader.options_for
    monkeypatch.setattr(FileLoader, "options_for",
                        lambda self, rel: real(self, rel).__class__(max_chars=0))
    (corpus / "long.txt").write_text("Leave is fifteen days. " * 5000, encoding="utf-8")
    app = capped(max_file_chars=50_000)
    try:
        report = app.ingestor().run([str(corpus)])
        assert failures(report) == {"long.txt": "too_large"}
    finally:
        app.close()


def test_a_file_making_too_many_chunks_is_refused(capped, corpus):
    """No cap on chunks per file: one file could fill the index."""
    (corpus / "many.md").write_text("\n\n".join(f"Paragraph {i} says something." * 8
                                                for i in range(40)), encoding="utf-8")
    app = capped(max_file_chunks=10)
    try:
        report = app.ingestor().run([str(corpus)])
        assert failures(report) == {"many.md": "too_large"}
        assert "KB_MAX_FILE_CHUNKS" in report.failed[0].error
        assert app.keyword_index.ids() == set()
    finally:
        app.close()
