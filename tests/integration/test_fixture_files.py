"""Every file of the shared ingestion fixtures (../shared/eval/files) through the real pipeline:
each one yields its expected text or fails with its expected code; the run always completes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO, SHARED_EVAL

FILES = SHARED_EVAL / "files"
MANIFEST = FILES / "manifest.jsonl"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not MANIFEST.exists(), reason="the shared eval set is not next to the repo"),
]

# Files that must fail, with the code they must fail with.
EXPECTED_ERRORS = {
    "encrypted/unst__password_protected.xlsx": "encrypted",  # no password is known for it
    "scanned/pypdf__imagemagick-CCITTFaxDecode.pdf": "ocr_failed",  # an 11x11-pixel image
    "synthetic/empty_0_bytes.pdf": "empty",
    "synthetic/truncated_half_unst__multi-column-2p.pdf": "corrupt",
    "synthetic/random_bytes.docx": "corrupt",
    "manifest.jsonl": "unsupported",
}
# Text the extraction of each real file must contain (synthetic files carry `probe_text`).
PROBES = {
    "encrypted/unst__password.pdf": "File with password",
    "encrypted/pypdf__r6-user-password.pdf": "pdf encryption test",
    "encrypted/pypdf__crazyones-encrypted-256.pdf": "The Crazy Ones",
    "encrypted/pypdf__libreoffice-writer-password.pdf": "Lorem ipsum dolor sit amet",
    "encrypted/pypdf__encrypted-file.pdf": "Example",
    "encrypted/unst__copy-protected.pdf": "LayoutParser",
    "scanned/pypdf__Seige_of_Vicksburg_Sample_OCR.pdf": "VICKSBURG",
    "scanned/unst__pdf-with-ocr-text.pdf": "",  # its OCR layer is garbage; only: not failed
    "scanned/unst__loremipsum-flat.pdf": "dolor",  # no text layer: OCR
    "malformed/pypdf__issue-297.pdf": "test example",
    "malformed/unst__failure-after-repair.pdf": "A guide for people with cancer",
    "malformed/unst__invalid-pdf-structure-pdfminer-one-page.pdf": "Leadership",
    "malformed/pypdf__encrypted_doc_no_id.pdf": "2003/036426",  # OCR of an image page
    "table/unst__table-multi-row-column-cells.pdf": "Ballots",  # OCR
    "table/unst__embedded-images-tables.pdf": "inhibitor concentration",
    "table/unst__korean-text-with-tables.pdf": "적립 제외 대상",
    "table/unst__docx-tables.docx": "Header Col 1 | Header Col 2",
    "table/unst__tables-with-incomplete-rows.docx": "Example of DOCX table",
    "table/unst__more-than-1k-cells.xlsx": "x | x",
    "table/unst__2023-half-year-analyses-by-segment.xlsx": "Operating segments",
    "layout/unst__multi-column-2p.pdf": "Dense Passage Retrieval",
    "layout/unst__rotated-page-90.pdf": "Rotated page",
    "layout/unst__layout-parser-paper-with-empty-pages.pdf": "LayoutParser",
    "layout/unst__docx-hdrftr.docx": "First header para",
    "huge/unst__DA-619p.pdf": "Table of Contents",
    "huge/unst__handbook-872p.docx": "Executive Office for United States",
    "policy_like/unst__handbook-1p.docx": "INTRODUCTION",
    "policy_like/unst__fake-memo.pdf": "To Whom it May Concern",
    "financial/unst__example-10k.html": "SECURITIES AND EXCHANGE COMMISSION",
    "financial/unst__chevron-page.pdf": "eastern mediterranean",
    "financial/unst__reliance.pdf": "inclusive ecosystem",
    "legacy_format/unst__fake-doc-emphasized-text.doc": "I am a bold italic bold-italic text.",
}


def _rows() -> list[dict]:
    if not MANIFEST.exists():
        return []
    return [json.loads(line) for line in MANIFEST.read_text(encoding="utf-8").splitlines() if line]


def _rel(row: dict) -> str:
    return row["file"].removeprefix("files/")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """One run over the whole set, passwords from the manifest as KB_PASSWORDS would give them."""
    from ingest.manifest import SqliteManifest
    from ingest.pipeline import Ingestor
    from kb.core.config import Settings
    from kb.core.sqlite import Database
    from kb.core.testing.fakes import BagOfWordsEmbeddings, InMemoryIndex

    home = tmp_path_factory.mktemp("fixtures-home")
    passwords = {_rel(r): r["password"] for r in _rows() if r.get("password")}
    settings = Settings(_env_file=None, home=home, chunk_size=500, chunk_overlap=80,
                        passwords=passwords, load_timeout=300)
    index = InMemoryIndex()
    db = Database(settings.db_path)
    manifest = SqliteManifest(db)
    report = Ingestor(settings, manifest, [index], index, BagOfWordsEmbeddings()).run([FILES])
    by_path: dict[str, list] = {}
    for chunk in index.chunks.values():
        by_path.setdefault(chunk.path, []).append(chunk)
    yield report, by_path, {d.path: d for d in manifest.docs()}
    db.close()


def test_the_run_completes_and_every_file_is_accounted_for(ingested):
    report, by_path, docs = ingested
    on_disk = {p.relative_to(FILES).as_posix() for p in FILES.rglob("*") if p.is_file()}
    assert set(docs) == on_disk
    failed = {f.path: f.code for f in report.failed}
    assert failed == {k: v for k, v in EXPECTED_ERRORS.items() if k in on_disk}
    assert all(f.error and f.error[0].isalpha() for f in report.failed)  # a sentence for people


@pytest.mark.parametrize("row", [r for r in _rows() if r.get("materialized", True)], ids=_rel)
def test_each_file_yields_its_text_or_its_error(ingested, row):
    report, by_path, docs = ingested
    rel = _rel(row)
    record = docs[rel]
    if rel in EXPECTED_ERRORS:
        assert record.status == "failed" and record.error_code == EXPECTED_ERRORS[rel]
        assert rel not in by_path
        return
    assert record.status == "ok", f"{rel}: [{record.error_code}] {record.error}"
    text = "\n".join(c.text for c in sorted(by_path[rel], key=lambda c: c.ordinal))
    probe = row.get("probe_text") or PROBES[rel]
    assert probe in text
    assert "\ufeff" not in text and "\x00" not in text


def test_provenance_pages_sections_and_spans(ingested):
    _, by_path, _ = ingested
    pdf = by_path["huge/unst__DA-619p.pdf"]
    assert {c.page for c in pdf} >= {1, 619}
    assert all(c.page is None for c in by_path["financial/unst__example-10k.html"])
    docx_sections = {c.section for c in by_path["huge/unst__handbook-872p.docx"]}
    assert "CHAPTER 1 – INTRODUCTION > A. PURPOSE" in docx_sections
    sheets = {c.section for c in by_path["table/unst__2023-half-year-analyses-by-segment.xlsx"]}
    assert sheets and all(sheets)  # every chunk names its sheet
    md = by_path["synthetic/reimbursement_utf8_bom.md"]
    assert md[0].title == "报销制度（测试文件）" and md[0].section.startswith("报销制度（测试文件）")


def test_docx_header_and_footer_text_appears_once(ingested):
    _, by_path, _ = ingested
    chunks = by_path["layout/unst__docx-hdrftr.docx"]
    text = "\n".join(c.text for c in chunks)
    assert text.count("First header para") == 1


def test_script_only_sentinel_never_reaches_a_chunk(ingested):
    _, by_path, _ = ingested
    assert by_path["synthetic/travel_faq_injection.html"]
    assert not [p for p, chunks in by_path.items()
                if any("SCRIPT_ONLY_SENTINEL_9f2c" in c.text for c in chunks)]


def test_exact_file_names_are_kept(ingested):
    _, by_path, docs = ingested
    assert "synthetic/员工 手册 草稿 📘 v2 (final).md" in by_path


def test_encrypted_pdfs_without_their_password_fail_as_encrypted():
    from ingest import loaders
    from kb.core.errors import IngestError
    from ingest.loaders.base import LoadOptions

    for row in _rows():
        rel = _rel(row)
        if row["category"] != "encrypted" or not row.get("password") or "r6" in rel:
            continue  # r6-user-password.pdf has an empty owner password: anyone may open it
        data = (FILES / rel).read_bytes()
        for options in (LoadOptions(), LoadOptions(passwords=("wrong",))):
            with pytest.raises(IngestError) as info:
                loaders.load(data, rel, options)
            assert info.value.code == "encrypted", rel


def test_large_file_streams_through_with_bounded_memory(tmp_path):
    """The 20 MB file is ingested when the extracted-text cap allows it (its 13.8 M characters
    are over the default KB_MAX_FILE_CHARS, which refuses it as too_large: see
    test_size_caps.py), its middle sentinel is found, and neither the pipeline nor the parser
    process grows without bound."""
    subprocess.run([sys.executable, str(SHARED_EVAL / "gen_fixtures.py"), "--large", "--out",
                    str(tmp_path)], check=True, capture_output=True)
    big = tmp_path / "files" / "synthetic" / "large_20MB.txt"
    assert big.stat().st_size == 20_000_000
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "ingest_probe.py"), str(big.parent),
         "--needle", "amber-falcon-42", "--chunk-size", "1000",
         "--set", "max_file_chars=30000000"],
        check=True, capture_output=True, text=True, timeout=600,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["report"]["failed"] == [] and result["report"]["added"] == 1
    assert result["needle_found_in"] == ["large_20MB.txt"]
    assert result["peak_rss_parser_mb"] < 400
    assert result["peak_rss_mb"] < 1024


def test_large_file_over_the_limit_is_too_large(tmp_path, settings):
    from ingest.manifest import SqliteManifest
    from ingest.pipeline import Ingestor
    from kb.core.sqlite import Database
    from kb.core.testing.fakes import BagOfWordsEmbeddings, InMemoryIndex

    big = tmp_path / "big.txt"
    big.write_bytes(b"line of text\n" * 200_000)  # 2.6 MB
    small = settings.model_copy(update={"max_file_mb": 1.0})
    index = InMemoryIndex()
    db = Database(small.db_path)
    report = Ingestor(small, SqliteManifest(db), [index], index, BagOfWordsEmbeddings()).run([big])
    db.close()
    assert [(f.code, "KB_MAX_FILE_MB" in f.error) for f in report.failed] == [("too_large", True)]


GENERATED_SOURCE = """---
title: 差旅制度 Travel policy
---

# 差旅 Travel

出差住宿标准为每晚五百元。PROBE-{ext}-4410

## Receipts 报销

Receipts within 30 days.
"""


def test_formats_read_through_pandoc_are_ingested_with_sections(tmp_path):
    """.rtf/.odt/.epub written by pandoc go through the real pipeline (parsers in child
    processes): each one's probe is found and its chunks carry their heading path."""
    from ingest.loaders.convert import pandoc_path
    from ingest.manifest import SqliteManifest
    from ingest.pipeline import Ingestor
    from kb.core.config import Settings
    from kb.core.sqlite import Database
    from kb.core.testing.fakes import BagOfWordsEmbeddings, InMemoryIndex

    folder = tmp_path / "docs"
    folder.mkdir()
    exts = (".rtf", ".odt", ".epub")
    for ext in exts:
        src = tmp_path / f"src{ext}.md"
        src.write_text(GENERATED_SOURCE.format(ext=ext[1:]), encoding="utf-8")
        subprocess.run([pandoc_path(), "-s", str(src), "-o", str(folder / f"travel{ext}")],
                       check=True)
    settings = Settings(_env_file=None, home=tmp_path / "home", chunk_size=120, chunk_overlap=0)
    assert settings.isolate_loaders
    index = InMemoryIndex()
    db = Database(settings.db_path)
    report = Ingestor(settings, SqliteManifest(db), [index], index, BagOfWordsEmbeddings()).run(
        [folder])
    db.close()
    assert not report.failed and report.added == 3
    for ext in exts:
        chunks = [c for c in index.chunks.values() if c.path == f"travel{ext}"]
        probe = [c for c in chunks if f"PROBE-{ext[1:]}-4410" in c.text]
        assert probe and probe[0].section == "差旅 Travel", ext
        assert any(c.section == "差旅 Travel > Receipts 报销" and "30 days" in c.text
                   for c in chunks), ext


def test_outlook_msg_is_ingested_with_its_attachments(tmp_path):
    """A .msg written like Outlook's goes through the real pipeline: its body is found, its
    attached file and attached message become documents of their own under the mail's name."""
    from ingest.manifest import SqliteManifest
    from ingest.pipeline import Ingestor
    from kb.core.config import Settings
    from kb.core.sqlite import Database
    from kb.core.testing import msggen
    from kb.core.testing.fakes import BagOfWordsEmbeddings, InMemoryIndex

    folder = tmp_path / "mail"
    folder.mkdir()
    inner = msggen.message_tree("转发 Forwarded", "内层邮件正文 PROBE-inner-3391", "王芳", "李雷",
                                header=24)
    msggen.write_msg(folder / "offer.msg", "录用通知 Offer", "请查收附件。PROBE-msg-8812",
                     attachments=[("terms.txt", "试用期三个月。PROBE-att-2207".encode("utf-8"))],
                     embedded=[inner])
    settings = Settings(_env_file=None, home=tmp_path / "home", chunk_size=200, chunk_overlap=0)
    index = InMemoryIndex()
    db = Database(settings.db_path)
    manifest = SqliteManifest(db)
    report = Ingestor(settings, manifest, [index], index, BagOfWordsEmbeddings()).run([folder])
    paths = {d.path: d.status for d in manifest.docs()}
    db.close()
    assert not report.failed
    assert paths == {"offer.msg": "ok", "offer.msg#terms.txt": "ok",
                     "offer.msg#转发 Forwarded.eml": "ok"}
    text = {p: " ".join(c.text for c in index.chunks.values() if c.path == p) for p in paths}
    assert "PROBE-msg-8812" in text["offer.msg"] and "Subject: 录用通知 Offer" in text["offer.msg"]
    assert "PROBE-att-2207" in text["offer.msg#terms.txt"]
    assert "PROBE-inner-3391" in text["offer.msg#转发 Forwarded.eml"]
