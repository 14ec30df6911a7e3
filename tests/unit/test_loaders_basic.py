import pytest

from kb.core.errors import IngestError
from ingest.loaders import load
from kb.core.testing.docgen import pdf_bytes, write_docx


def test_pdf_pages_keep_their_numbers():
    doc = load(pdf_bytes([["Expense claims within 30 days."], ["Hotels up to 150 EUR."]],
                         title="Expenses"), "a/expenses.pdf")
    assert [p.number for p in doc.pages] == [1, 2]
    assert "30 days" in doc.pages[0].text and "150 EUR" in doc.pages[1].text
    assert doc.title == "Expenses"


def test_docx_headings_become_sections_and_tables_rows(tmp_path):
    path = write_docx(tmp_path / "r.docx", [
        ("h1", "报销制度"), ("h2", "审批权限"), ("p", "5000元以下由部门负责人审批。"),
        ("table", [["项目", "标准"], ["住宿", "600元"]]),
    ])
    doc = load(path.read_bytes(), "r.docx")
    page = doc.pages[0]
    assert "项目 | 标准\n住宿 | 600元" in page.text
    offset, section = page.sections[-1]
    assert section == "报销制度 > 审批权限"
    assert page.text[offset:].startswith("审批权限")
    assert doc.title == "报销制度"


def test_html_drops_script_style_and_hidden_text():
    html = (b"<html><head><title>FAQ</title><style>.x{}</style></head><body>"
            b"<script>SCRIPT_SENTINEL</script><h1>Travel</h1><p>Book via the desk.</p>"
            b"<div style='display: none'>HIDDEN_SENTINEL</div><div hidden>H2</div></body></html>")
    doc = load(html, "faq.html")
    text = doc.pages[0].text
    assert "Book via the desk." in text
    assert "SENTINEL" not in text and "H2" not in text and ".x{}" not in text
    assert doc.title == "FAQ"
    assert doc.pages[0].sections == ((0, "Travel"),)


def test_markdown_front_matter_is_metadata_and_bom_is_gone():
    data = "\ufeff---\ntitle: 报销\nowner: 财务部\n---\n# 报销制度\n\n## 时限\n30日内。\n".encode("utf-8")
    doc = load(data, "r.md")
    page = doc.pages[0]
    assert not page.text.startswith("---") and "\ufeff" not in page.text
    assert doc.metadata["front_matter"] == {"title": "报销", "owner": "财务部"}
    assert doc.title == "报销"
    assert [s for _, s in page.sections] == ["报销制度", "报销制度 > 时限"]
    assert page.text[page.sections[1][0]:].startswith("## 时限")


@pytest.mark.parametrize("encoding", ["gbk", "big5", "utf-16", "utf-8-sig"])
def test_text_encodings_are_detected(encoding):
    text = "員工請假管理規定：年休假五天，病假須提供證明。" if encoding == "big5" else \
        "员工请假管理制度：年休假五天，病假须提供证明。Annual leave is five days."
    doc = load(text.encode(encoding), "leave.txt")
    got = doc.pages[0].text
    assert got == text
    assert "\ufeff" not in got and "\x00" not in got


@pytest.mark.parametrize("name,data,code", [
    ("a.pdf", b"", "empty"),
    ("a.pdf", b"not a pdf at all", "corrupt"),
    ("a.docx", b"PK\x03\x04garbage" + bytes(200), "corrupt"),
    ("a.docx", bytes(range(256)) * 10, "corrupt"),
    ("a.xyz", b"data", "unsupported"),
    ("noext", b"data", "unsupported"),
    ("a.txt", b"   \n\n  ", "empty"),
])
def test_bad_files_are_clear_errors(name, data, code):
    with pytest.raises(IngestError) as err:
        load(data, name)
    assert err.value.code == code
    assert err.value.message
