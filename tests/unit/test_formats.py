"""Loaders of every family on files we write ourselves: structure, provenance, errors."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from ingest import loaders
from kb.core.errors import IngestError
from ingest.loaders.base import LoadOptions
from kb.core.testing import formatgen
from kb.core.testing.docgen import pdf_bytes
from tests.conftest import SHARED_EVAL


def _load(path, **options):
    return loaders.load(path.read_bytes(), path.name, LoadOptions(**options))


def _error(data: bytes, name: str, **options) -> IngestError:
    with pytest.raises(IngestError) as info:
        loaders.load(data, name, LoadOptions(**options))
    return info.value


def test_pptx_one_page_per_slide_with_notes_and_tables(tmp_path):
    path = formatgen.write_pptx(tmp_path / "deck.pptx", [
        ("Annual leave", ["15 days per year", "年假十五天"], "Managers approve in the HR portal."),
        ("Travel", ["Economy class by default"], ""),
    ], title="HR deck")
    doc = _load(path)
    assert doc.title == "HR deck"
    assert [p.number for p in doc.pages] == [1, 2, 3]
    first = doc.pages[0]
    assert "年假十五天" in first.text and "Managers approve in the HR portal." in first.text
    notes_at = dict((s, o) for o, s in first.sections)["Annual leave > Notes"]
    assert first.text[notes_at:].startswith("Managers approve")
    assert doc.pages[1].sections == ((0, "Travel"),)
    assert "Region | Budget\nEast | 1200" in doc.pages[2].text


def test_pptx_over_the_page_limit_is_too_large(tmp_path):
    path = formatgen.write_pptx(tmp_path / "deck.pptx", [("A", ["a"], ""), ("B", ["b"], "")])
    assert _error(path.read_bytes(), "deck.pptx", max_pages=2).code == "too_large"


def test_xlsx_one_section_per_sheet_rows_keep_their_header(tmp_path):
    path = formatgen.write_xlsx(tmp_path / "budget.xlsx", {
        "Budget": [["Region", "Q1", "Q2"], ["East", 1200, 1300.5], ["West", 900, None]],
        "Empty": [],
        "人员": [["姓名", "部门"], ["李雷", "财务"]],
    })
    doc = _load(path)
    page = doc.pages[0]
    assert [s for _, s in page.sections] == ["Budget", "人员"]
    assert "Region: East | Q1: 1200 | Q2: 1300.5" in page.text
    assert "Region: West | Q1: 900" in page.text
    assert "姓名: 李雷 | 部门: 财务" in page.text
    assert doc.metadata["sheets"] == ["Budget", "Empty", "人员"]


def test_xlsx_chunks_never_split_a_row(tmp_path):
    from ingest.chunking import chunk_pages

    rows = [["Employee", "Department", "Days"]] + [[f"Person {i}", "Finance", i] for i in range(60)]
    doc = _load(formatgen.write_xlsx(tmp_path / "big.xlsx", {"Leave": rows}))
    for piece in chunk_pages(doc.pages, 200, 40):
        for line in piece.text.split("\n")[1:]:
            assert line.startswith("Employee: Person") or line == "Employee | Department | Days"
        assert piece.section == "Leave"


def test_xls_is_read_with_xlrd(tmp_path):
    doc = _load(formatgen.write_xls(tmp_path / "old.xls", {"Budget": [["Region", "Q1"], ["East", 1200]]}))
    assert doc.pages[0].text == "Region | Q1\nRegion: East | Q1: 1200"
    assert doc.pages[0].sections == ((0, "Budget"),)


def test_csv_in_gbk_with_semicolons(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes("姓名;部门\n李雷;财务\n韩梅梅;人事\n".encode("gbk"))
    doc = _load(path)
    assert "姓名: 韩梅梅 | 部门: 人事" in doc.pages[0].text


def test_encrypted_office_files_open_with_a_configured_password(tmp_path):
    plain = formatgen.write_xlsx(tmp_path / "plain.xlsx", {"S": [["Secret", "Value"], ["code", 42]]})
    locked = formatgen.encrypt_office(plain, tmp_path / "locked.xlsx", "s3cret")
    assert _error(locked.read_bytes(), "locked.xlsx").code == "encrypted"
    wrong = _error(locked.read_bytes(), "locked.xlsx", passwords=("nope",))
    assert wrong.code == "encrypted" and "none of the 1 configured" in wrong.message
    assert "Secret: code | Value: 42" in _load(locked, passwords=("nope", "s3cret")).pages[0].text

    import docx

    document = docx.Document()
    document.add_paragraph("board minutes")
    document.save(str(tmp_path / "plain.docx"))
    locked_docx = formatgen.encrypt_office(tmp_path / "plain.docx", tmp_path / "m.docx", "pw")
    assert _error(locked_docx.read_bytes(), "m.docx").code == "encrypted"
    assert "board minutes" in _load(locked_docx, passwords=("pw",)).pages[0].text


def test_legacy_binary_office_file_named_docx_is_unsupported(tmp_path):
    """An .xls (OLE container, not encrypted) renamed to .docx is refused, not parsed as text."""
    old = formatgen.write_xls(tmp_path / "old.xls", {"S": [["a", "b"]]})
    err = _error(old.read_bytes(), "renamed.docx")
    assert err.code == "unsupported" and "legacy binary Office file" in err.message


def test_legacy_formats_fail_as_unsupported_with_advice():
    for name in ("old.ppt", "sheet.ods", "slides.odp", "notes.pages", "report.wps"):
        err = _error(b"something", name)
        assert err.code == "unsupported" and "save the file as" in err.message


def test_eml_headers_body_and_attachments(tmp_path):
    inner = formatgen.write_eml(tmp_path / "inner.eml", "Inner note", "inner body", [])
    path = formatgen.write_eml(
        tmp_path / "offer.eml", "Offer letter 录用通知", "Please find the offer attached. 请查收。",
        [("offer.pdf", pdf_bytes([["Salary: 30000 per month"]]), "application/pdf"),
         ("../evil#name.txt", b"plain attachment", "text/plain"),
         ("fwd.eml", inner.read_bytes(), "message/rfc822")],
    )
    doc = _load(path)
    assert doc.title == "Offer letter 录用通知"
    assert doc.metadata["headers"]["from"] == "张伟 <zhang.wei@example.com>"
    assert "请查收" in doc.pages[0].text and doc.pages[0].text.startswith("Subject: Offer letter")
    names = [a.name for a in doc.attachments]
    assert names == ["offer.pdf", "evil_name.txt", "fwd.eml"]
    assert "inner body" not in doc.pages[0].text  # the forwarded mail is its own document
    assert b"Salary" in doc.attachments[0].data


def test_eml_with_only_html_body_drops_scripts(tmp_path):
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["Subject"] = "Newsletter"
    msg["From"] = "a@example.com"
    msg.set_content("<p>Visible news</p><script>SCRIPT_IN_MAIL</script>", subtype="html")
    path = tmp_path / "news.eml"
    path.write_bytes(bytes(msg))
    text = _load(path).pages[0].text
    assert "Visible news" in text and "SCRIPT_IN_MAIL" not in text


def test_not_an_email_is_corrupt():
    assert _error(b"\x89PNG random bytes", "x.eml").code == "corrupt"


@pytest.mark.parametrize("text,encoding", [
    ("第一条 劳动者享有平等就业的权利。", "gb18030"),
    ("每年享有特別休假七日。", "big5"),
    ("差旅报销 travel claims", "utf-16-le"),
])
def test_text_encodings_without_bom(tmp_path, text, encoding):
    body = (text + "\n") * 20
    path = tmp_path / "t.txt"
    path.write_bytes(body.encode(encoding))
    out = _load(path).pages[0].text
    assert text in out and "\ufeff" not in out and "\x00" not in out


@pytest.mark.parametrize("bom,encoding", [
    (b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
])
def test_text_with_bom(tmp_path, bom, encoding):
    path = tmp_path / "t.md"
    path.write_bytes(bom + "# 标题\n\n正文 body\n".encode(encoding))
    doc = _load(path)
    assert doc.title == "标题" and doc.pages[0].text.startswith("# 标题")
    assert "\ufeff" not in doc.pages[0].text


def test_markdown_front_matter_is_metadata(tmp_path):
    path = tmp_path / "p.md"
    path.write_text("---\ntitle: 请假制度\nowner: HR\n---\n# Leave\n\nText.\n", encoding="utf-8")
    doc = _load(path)
    assert doc.title == "请假制度" and doc.metadata["front_matter"]["owner"] == "HR"
    assert "owner" not in doc.pages[0].text


def test_pdf_page_limit_and_header_check():
    data = pdf_bytes([["one"], ["two"], ["three"]])
    err = _error(data, "three.pdf", max_pages=2)
    assert err.code == "too_large" and "3 pages" in err.message
    assert _error(b"<html>not a pdf</html>", "fake.pdf").code == "corrupt"


def test_pdf_pages_are_numbered_from_one():
    doc = loaders.load(pdf_bytes([["first page text here"], ["second page text here"]]), "a.pdf")
    assert [(p.number, p.text.strip()) for p in doc.pages] == [
        (1, "first page text here"), (2, "second page text here")]


def test_docx_headers_and_footers_once(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Policy", level=1)
    document.add_paragraph("Body text.")
    document.sections[0].header.paragraphs[0].text = "ACME Confidential"
    document.add_section()
    document.add_paragraph("Second section text.")
    path = tmp_path / "h.docx"
    document.save(str(path))
    doc = _load(path)
    assert doc.pages[0].text.count("ACME Confidential") == 1
    assert ("Policy" in dict((s, o) for o, s in doc.pages[0].sections))


def test_image_over_the_pixel_limit_is_too_large(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    path = tmp_path / "big.png"
    Image.new("L", (100, 100), 255).save(path)
    assert _error(path.read_bytes(), "big.png").code == "too_large"


def test_broken_image_is_corrupt():
    assert _error(b"\x89PNG\r\n\x1a\n broken", "x.png").code == "corrupt"


def test_images_without_ocr_are_unsupported(tmp_path):
    assert _error(b"\x89PNG\r\n\x1a\n", "x.png", ocr=False).code == "unsupported"


def test_html_drops_text_hidden_by_the_pages_own_css():
    html = (b"<html><head><style>.hidden, #gone { display: none } .shown { color: red }</style>"
            b"</head><body><p class='shown'>Visible</p><div class='x hidden'>HIDDEN_BY_CLASS</div>"
            b"<p id='gone'>HIDDEN_BY_ID</p><p style='visibility:hidden'>HIDDEN_INLINE</p></body></html>")
    text = loaders.load(html, "p.html").pages[0].text
    assert "Visible" in text and "HIDDEN" not in text


SHARED_FILES = SHARED_EVAL / "files"
needs_shared = pytest.mark.skipif(not SHARED_FILES.exists(), reason="needs ../shared/eval/files")


@needs_shared
def test_pdf_text_comes_from_pdfium_with_hyphenated_words_joined():
    """pypdf split words hyphenated at a line end ("ef-\\nﬁcient"); pdfium joins them."""
    rel = "layout/unst__multi-column-2p.pdf"
    doc = loaders.load((SHARED_FILES / rel).read_bytes(), rel, LoadOptions(ocr=False))
    text = doc.pages[0].text
    assert "relies on efficient passage retrieval" in text
    assert "\x02" not in text and "ﬁ" not in text  # no soft-hyphen marks, ligatures spelt out


@needs_shared
def test_pdf_page_pdfium_cannot_map_is_read_by_pypdf():
    """pdfium wrote U+0003 for the minus signs of this table; pypdf's text of the page is used."""
    rel = "table/unst__embedded-images-tables.pdf"
    doc = loaders.load((SHARED_FILES / rel).read_bytes(), rel, LoadOptions(ocr=False))
    text = doc.pages[0].text
    assert "0.9393" in text and "\x03" not in text
    assert "inhibitor concentration" in text


def test_pdf_wrong_password_is_still_encrypted(tmp_path):
    """pdfium refuses the file first; pypdf's path still names the failure `encrypted`."""
    from pypdf import PdfReader, PdfWriter
    import io

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes([["secret text on the page"]]))))
    writer.encrypt("right-one")
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    assert _error(data, "s.pdf", passwords=("wrong",)).code == "encrypted"
    doc = loaders.load(data, "s.pdf", LoadOptions(passwords=("wrong", "right-one")))
    assert "secret text on the page" in doc.pages[0].text


PANDOC_SOURCE = """---
title: 员工手册 Handbook
---

# 年假 Annual leave

年假十五天，按自然年计算。PROBE-pandoc-7731

## Carry over

Up to five days carry over.

| Region | Budget |
|--------|--------|
| East   | 1200   |
"""


def _pandoc_file(tmp_path, ext: str):
    from ingest.loaders.convert import pandoc_path

    src = tmp_path / "src.md"
    src.write_text(PANDOC_SOURCE, encoding="utf-8")
    out = tmp_path / f"handbook{ext}"
    subprocess.run([pandoc_path(), "-s", str(src), "-o", str(out)], check=True)
    return out


@pytest.mark.parametrize("ext", [".rtf", ".odt", ".epub"])
def test_pandoc_formats_keep_text_sections_and_tables(tmp_path, ext):
    doc = _load(_pandoc_file(tmp_path, ext))
    (page,) = doc.pages
    assert "年假十五天，按自然年计算。PROBE-pandoc-7731" in page.text
    assert "Region | Budget" in page.text and "East | 1200" in page.text
    sections = {title: offset for offset, title in page.sections}
    assert page.text[sections["年假 Annual leave > Carry over"]:].startswith("Carry over")
    assert page.text[sections["年假 Annual leave"]:].startswith("年假 Annual leave")


def test_broken_pandoc_formats_are_corrupt():
    assert _error(b"plain text, not rtf", "a.rtf").code == "corrupt"
    assert _error(b"PK\x03\x04 truncated", "a.odt").code == "corrupt"
    assert _error(b"{\\rtf1 {{{ \\bin999999999 ", "b.rtf").code in ("corrupt", "empty")


def test_password_protected_odt_and_drm_epub_are_encrypted(tmp_path):
    import io
    import zipfile

    def package(files: dict[str, bytes]) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for name, data in files.items():
                z.writestr(name, data)
        return buf.getvalue()

    odt = package({"mimetype": b"application/vnd.oasis.opendocument.text",
                   "META-INF/manifest.xml": b'<manifest:manifest><manifest:file-entry '
                   b'manifest:full-path="content.xml"><manifest:encryption-data/>'
                   b'</manifest:file-entry></manifest:manifest>', "content.xml": b"\x93\x11"})
    assert _error(odt, "locked.odt").code == "encrypted"
    epub = package({"mimetype": b"application/epub+zip", "META-INF/encryption.xml":
                    b'<encryption><EncryptedData><EncryptionMethod Algorithm='
                    b'"http://www.w3.org/2001/04/xmlenc#aes128-cbc"/></EncryptedData></encryption>'})
    assert _error(epub, "drm.epub").code == "encrypted"


@needs_shared
def test_legacy_doc_through_antiword():
    rel = "legacy_format/unst__fake-doc-emphasized-text.doc"
    doc = loaders.load((SHARED_FILES / rel).read_bytes(), rel)
    assert doc.mime == "application/msword"
    assert "Header Col 1 | Header Col 2" in doc.pages[0].text
    assert "I am a bold italic bold-italic text." in doc.pages[0].text


def test_not_a_doc_is_corrupt():
    """antiword refuses what is not Word; an OLE file that is not Word is corrupt, not empty."""
    assert _error(b"hello, plain text", "notes.doc").code == "corrupt"
    old = formatgen.write_xls(Path(tempfile.mkdtemp()) / "old.xls", {"S": [["a", "b"]]})
    assert _error(old.read_bytes(), "renamed.doc").code == "corrupt"


def test_msg_headers_body_attachments_and_attached_message(tmp_path):
    from kb.core.testing import msggen

    inner = msggen.message_tree("Re: 预算 budget", "The budget is approved. 预算已批准。",
                                "王芳 <wang.fang@example.com>", "李雷", header=24,
                                attachments=[("plan.txt", b"Q3 plan")])
    path = msggen.write_msg(
        tmp_path / "leave.msg", "年假申请 Leave request", "请批准我的年假。PROBE-msg-5521\n谢谢",
        cc="Finance <fin@example.com>", filetime=133_000_000_000_000_000,
        attachments=[("请假单.txt", "请假三天".encode("utf-8")), ("big.bin", b"x" * 9000),
                     ("../../evil#name.txt", b"kept, renamed")],
        embedded=[inner])
    doc = _load(path)
    assert doc.title == "年假申请 Leave request" and doc.mime == "application/vnd.ms-outlook"
    (page,) = doc.pages
    assert page.text.startswith("Subject: 年假申请 Leave request\nFrom: 李雷 <li.lei@example.com>\n"
                                "To: HR <hr@example.com>\nCc: Finance <fin@example.com>\n"
                                "Date: Sat, 18 Jun 2022 04:26:40 +0000\n\n")
    assert "请批准我的年假。PROBE-msg-5521\n谢谢" in page.text
    names = [a.name for a in doc.attachments]
    assert names == ["请假单.txt", "big.bin", "evil_name.txt", "Re: 预算 budget.eml"]
    assert doc.attachments[1].data == b"x" * 9000  # a stream past the mini-stream cutoff
    mail = loaders.load(doc.attachments[3].data, "leave.msg#" + names[3])
    assert "预算已批准。" in mail.pages[0].text and "From: 王芳 <wang.fang@example.com>" in \
        mail.pages[0].text
    assert [a.name for a in mail.attachments] == ["plan.txt"]


def test_msg_with_only_an_html_body_drops_scripts(tmp_path):
    from kb.core.testing import msggen

    path = msggen.write_msg(tmp_path / "h.msg", "HTML only", "",
                            html="<p>Visible 可见</p><script>SCRIPT_SENTINEL()</script>")
    text = _load(path).pages[0].text
    assert "Visible 可见" in text and "SCRIPT_SENTINEL" not in text


def test_not_an_outlook_message_is_corrupt(tmp_path):
    assert _error(b"From: a\n\nplain mail", "mail.msg").code == "corrupt"
    old = formatgen.write_xls(tmp_path / "old.xls", {"S": [["a", "b"]]})
    err = _error(old.read_bytes(), "renamed.msg")
    assert err.code == "corrupt" and "MAPI" in err.message
    from kb.core.testing import msggen

    good = msggen.write_msg(tmp_path / "t.msg", "Truncated", "body " * 2000).read_bytes()
    assert _error(good[:1536], "cut.msg").code == "corrupt"


def test_converter_past_its_time_is_a_timeout_and_a_missing_one_unsupported(monkeypatch):
    from ingest.loaders import convert

    monkeypatch.setattr(convert, "CONVERT_TIMEOUT_S", 0.3)
    with pytest.raises(IngestError) as info:
        convert.run_tool(["sleep", "5"], b"", "sleep")
    assert info.value.code == "timeout"
    with pytest.raises(IngestError) as info:
        convert.run_tool(["/nonexistent/antiword"], b"", "antiword")
    assert info.value.code == "unsupported"


@pytest.mark.slow
def test_converter_dies_with_the_parser_process_that_started_it(tmp_path):
    """A parser process killed for its timeout must not leave pandoc/antiword running."""
    import os
    import signal
    import sys
    import time

    marker = tmp_path / "pid"
    script = ("import sys; from ingest.loaders.convert import run_tool; "
              f"run_tool(['sh', '-c', 'echo $$ > {marker}; exec sleep 60'], b'', 'sleep')")
    from tests.conftest import REPO

    parent = subprocess.Popen([sys.executable, "-c", script], cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    deadline = time.monotonic() + 20
    while not (marker.exists() and marker.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(marker.read_text())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{child}/stat") as f:  # a zombie waiting for init counts as gone
            if f.read().split(") ")[1].startswith("Z"):
                break
        time.sleep(0.05)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the converter outlived the parser process")


def test_msg_with_8bit_strings_in_a_chinese_code_page(tmp_path):
    """Older Outlook writes PT_STRING8 in the message's code page (936 for simplified Chinese)."""
    from kb.core.testing import msggen

    path = msggen.write_msg(tmp_path / "gbk.msg", "报销 Expenses", "发票须在三十日内提交。",
                            sender="财务部", to="全体员工", codepage=936)
    doc = _load(path)
    assert doc.title == "报销 Expenses"
    assert "From: 财务部\nTo: 全体员工" in doc.pages[0].text
    assert "发票须在三十日内提交。" in doc.pages[0].text
