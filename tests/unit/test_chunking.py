from hypothesis import given, settings as hsettings, strategies as st

from ingest.chunking import chunk_page, context_text
from kb.core.text import language as detect_lang, sentence_spans
from ingest.loaders.base import Page

ZH = ["员工每年享有带薪年假。", "病假须提供医院证明！", "报销时限为三十日；", "是否可以顺延？", "详见附件…"]
EN = ["Employees get 15 days of leave. ", "Claims need receipts! ", "Is it paid? ",
      "See section 3.2 for details. ", "Approval by the manager"]
SEP = ["", " ", "\n", "\n\n", "| a | b |\n"]


@st.composite
def pages(draw):
    parts = draw(st.lists(st.sampled_from(ZH + EN + SEP), min_size=0, max_size=60))
    text = "".join(parts)
    cuts = sorted(set(draw(st.lists(st.integers(0, max(0, len(text))), max_size=4))))
    sections = tuple((c, f"S{i}") for i, c in enumerate(cuts))
    return Page(draw(st.sampled_from([None, 1, 7])), text, sections)


@given(page=pages(), size=st.integers(50, 400), overlap_frac=st.floats(0, 0.5))
@hsettings(max_examples=300, deadline=None)
def test_every_chunk_is_an_exact_span_and_fits(page, size, overlap_frac):
    """page_text[start:end] == text; no chunk over size; every non-space character covered."""
    pieces = chunk_page(page, size, int(size * overlap_frac))
    covered = [False] * len(page.text)
    for p in pieces:
        assert page.text[p.start:p.end] == p.text
        assert 0 < len(p.text) <= size
        assert p.text == p.text.strip()
        assert p.page == page.number
        for i in range(p.start, p.end):
            covered[i] = True
    assert all(covered[i] for i, ch in enumerate(page.text) if not ch.isspace())
    starts = [p.start for p in pieces]
    assert starts == sorted(starts)


def test_chinese_and_english_sentences_end_at_their_terminators():
    text = "第一条 为了规范劳动合同。第二条 本法适用于企业！Leave is paid. Is it? Yes"
    spans = [text[a:b] for a, b in sentence_spans(text, 0, len(text))]
    assert spans == ["第一条 为了规范劳动合同。", "第二条 本法适用于企业！", "Leave is paid. ",
                     "Is it? ", "Yes"]


def test_chunks_never_cross_a_section_boundary():
    a = "Annual leave is 15 days. " * 3
    b = "Sick leave is 10 days. " * 3
    page = Page(None, a + b, ((0, "Leave > Annual"), (len(a), "Leave > Sick")))
    pieces = chunk_page(page, 500, 50)
    assert [(p.section, p.text) for p in pieces] == [
        ("Leave > Annual", a.strip()), ("Leave > Sick", b.strip())]


def test_a_lone_heading_joins_the_next_section():
    """Regression: a title heading alone became a useless 9-character chunk."""
    text = "差旅及费用报销制度\n一、报销时限\n员工应在费用发生后30日内提交报销申请。\n"
    page = Page(None, text, ((0, "差旅及费用报销制度"), (10, "差旅及费用报销制度 > 一、报销时限")))
    pieces = chunk_page(page, 500, 50)
    assert len(pieces) == 1
    assert pieces[0].text.startswith("差旅及费用报销制度")
    assert pieces[0].section == "差旅及费用报销制度 > 一、报销时限"


def test_overlap_repeats_whole_sentences():
    sentences = [f"Sentence number {i} is here. " for i in range(20)]
    pieces = chunk_page(Page(None, "".join(sentences), ()), 120, 60)
    assert len(pieces) > 2
    for prev, nxt in zip(pieces, pieces[1:]):
        assert nxt.start < prev.end, "consecutive chunks share trailing sentences"
        assert nxt.text.startswith("Sentence number")


def test_language_and_embedding_context():
    assert detect_lang("员工每年享有带薪年假 15 天") == "zh"
    assert detect_lang("Employees get 15 days") == "en"
    assert context_text("Leave Policy", "Leave > Sick", "Sick leave is paid.") == (
        "Leave Policy\nLeave / Sick\nSick leave is paid.")
    assert context_text("Leave", "", "Leave Policy says") == "Leave Policy says"
