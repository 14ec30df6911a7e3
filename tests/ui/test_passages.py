"""The page's plain functions: page text from chunks, passages, filters, library rows, i18n."""

from __future__ import annotations

import datetime as dt

from kb.app.documents import page_text, passage
from kb.core.types import Chunk, DocRecord, Hit, Principal
from ui.i18n import MESSAGES, error_words, t
from ui.passages import Filters, apply_filters, facets, folder_groups, status_of
from ui.render import answer_markdown, location, marked_html, passage_html


def chunk(text, start, page=1, ordinal=0, path="en/a.md", lang="en", doc="d"):
    return Chunk(f"{doc}:v:{ordinal}", doc, "v", ordinal, text, page, start, start + len(text), "",
                 lang, frozenset({"public"}), path=path)


def rec(path, acl=("public",), status="ok", code="", doc="d", root="/r"):
    return DocRecord(doc, root, path, "h", "f", "v", frozenset(acl), "text/plain", path, 1, 1,
                     status, code, "boom" if code else "", 0.0)


def test_page_text_is_rebuilt_from_overlapping_chunks():
    page = "Leave is 5 days. Sick leave is 10 days. Ask HR."
    chunks = [chunk(page[0:27], 0), chunk(page[17:39], 17, ordinal=1), chunk(page[40:], 40, ordinal=2),
              chunk("other page", 0, page=2, ordinal=3)]
    assert page_text(chunks, 1) == page
    assert page_text(chunks, 2) == "other page" and page_text(chunks, 9) == ""


def test_passage_keeps_the_quote_exact_and_cuts_context_at_sentences():
    text = "First one. " * 60 + "The quote is here. Then more text follows. " * 30
    start = text.index("The quote")
    p = passage(text, start, start + len("The quote is here."), context=100)
    assert p.quote == "The quote is here."
    assert p.before.startswith("…") and len(p.before) < 110 and p.after.endswith("…")
    short = passage("年假五天。病假十天。", 5, 10)
    assert (short.before, short.quote, short.after) == ("年假五天。", "病假十天。", "")


def test_access_status_and_folder_groups():
    hr = Principal("h", frozenset({"hr"}))
    assert rec("hr/x.md", ["group:hr"]).readable_by(hr)
    assert not rec("hr/x.md", ["group:hr"]).readable_by(Principal("s"))
    assert not rec("a.md", status="failed", code="corrupt").readable_by(hr)
    assert status_of(rec("a.md", status="failed", code="encrypted"), set()) == "encrypted"
    assert status_of(rec("a.md", status="failed", code="corrupt"), set()) == "failed"
    assert status_of(rec("a.md"), {"d"}) == "pending" and status_of(rec("a.md"), set()) == "searchable"
    groups = folder_groups([rec("hr/x.md", ["group:hr"]), rec("top.md"), rec("en/b/c.md")])
    assert groups == {"/": ["public"], "en/b": ["public"], "hr": ["hr"]}


def test_filters_by_folder_type_language_and_date():
    docs = {"a": rec("en/a.md", doc="a"), "b": rec("zh/b.docx", doc="b"), "c": rec("c.pdf", doc="c")}
    hits = [Hit(chunk("x", 0, path="en/a.md", doc="a"), 1.0),
            Hit(chunk("y", 0, path="zh/b.docx", lang="zh", doc="b"), 0.9),
            Hit(chunk("z", 0, path="c.pdf", doc="c"), 0.8)]
    assert facets(docs.values()) == (["/", "en", "zh"], ["docx", "md", "pdf"])

    def paths(f, modified=lambda r: dt.date(2024, 5, 1) if r.doc_id == "a" else dt.date(2020, 1, 1)):
        return [h.chunk.path for h in apply_filters(hits, f, docs, modified)]

    assert paths(Filters()) == ["en/a.md", "zh/b.docx", "c.pdf"]
    assert paths(Filters(folders=frozenset({"zh", "/"}))) == ["zh/b.docx", "c.pdf"]
    assert paths(Filters(types=frozenset({"pdf"}))) == ["c.pdf"]
    assert paths(Filters(langs=frozenset({"zh"}))) == ["zh/b.docx"]
    assert paths(Filters(modified_from=dt.date(2024, 1, 1))) == ["en/a.md"]
    assert paths(Filters(modified_to=dt.date(2021, 1, 1))) == ["zh/b.docx", "c.pdf"]


def test_document_text_is_escaped_everywhere():
    assert answer_markdown("Use *this* [1] and [2].") == "Use \\*this\\* **[1]** and **[2]**\\."
    assert passage_html("<b>", "a&b", "") == (
        "<div class='kb-passage' style='white-space:pre-wrap;line-height:1.6'>&lt;b&gt;"
        "<mark class='kb-quote'>a&amp;b</mark></div>")
    assert marked_html("x<y z", [(4, 5)]) == "x&lt;y <mark>z</mark>"


def test_every_message_has_both_languages_and_errors_read_plainly():
    assert all(en and zh for en, zh in MESSAGES.values())
    assert t("docs_searchable", "zh", n=3) == "可检索文档 3 篇"
    assert "password" in error_words("encrypted", "raw", "en")
    assert error_words("brand_new_code", "the loader's sentence", "en") == "the loader's sentence"


def test_render_helpers():
    c = Chunk("d:v:0", "d", "v", 0, "年休假5天。Annual leave.", 3, 0, 10, "A > B", "zh",
              frozenset({"public"}), path="a/b.pdf")
    assert location(c) == "a/b.pdf · p. 3 · A > B"
