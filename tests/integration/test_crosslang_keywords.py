"""Keyword evidence across languages: translated query terms (CC-CEDICT + synonyms) feed the
keyword search, below the words asked (retriever/translation.py, retriever/bm25.py)."""

from __future__ import annotations

import pytest

from kb.app.wiring import build
from kb.core.lexicon import Lexicon
from kb.core.types import Principal
from retriever.translation import query_views

ANYONE = Principal("anyone")


@pytest.fixture(scope="module")
def lexicon():
    lex = Lexicon()
    lex.warm_up()
    return lex


@pytest.fixture
def corpus_app(settings, fake_embedder, corpus, lexicon):
    (corpus / "travel_zh.md").write_text(
        "# 差旅费用\n\n员工出差住宿酒店的标准为每晚不超过五百元。报销须提供正规发票。\n",
        encoding="utf-8")
    (corpus / "security_zh.md").write_text(
        "# 信息安全\n\n密码长度不得少于十二位，每九十天更换一次。\n", encoding="utf-8")
    (corpus / "leave_en.md").write_text(
        "# Leave\n\nEmployees receive fifteen days of annual leave each year. Sick leave needs a "
        "medical certificate.\n", encoding="utf-8")
    (corpus / "travel_en.md").write_text(
        "# Travel\n\nThe hotel limit on a business trip is 150 EUR per night.\n", encoding="utf-8")

    def make(**update):
        update = {"keyword_translation": True, **update}  # off by default (docs/RETRIEVAL.md)
        app = build(settings.model_copy(update=update), embedder_override=fake_embedder,
                    lexicon_override=lexicon)
        app.ingestor().run([str(corpus)])
        return app

    apps = []

    def factory(**update):
        apps.append(make(**update))
        return apps[-1]

    yield factory
    for app in apps:
        app.close()


def _paths(result):
    return [h.chunk.path for h in result]


def test_an_english_question_finds_a_chinese_only_document_by_keywords(corpus_app):
    """Before: the keyword index could not match an English question to a Chinese passage."""
    app = corpus_app()
    got = app.searcher().search("What is the minimum password length?", ANYONE, mode="keyword")
    assert _paths(got)[0] == "security_zh.md"
    off = corpus_app(keyword_translation=False)
    assert "security_zh.md" not in _paths(
        off.searcher().search("What is the minimum password length?", ANYONE, mode="keyword"))


def test_a_chinese_question_finds_an_english_only_document_by_keywords(corpus_app):
    app = corpus_app()
    got = app.searcher().search("病假需要什么证明？", ANYONE, mode="keyword")
    assert _paths(got)[0] == "leave_en.md"


def test_the_same_language_passage_still_comes_first(corpus_app):
    """Both languages answer: the passage in the asker's words outranks its translation."""
    app = corpus_app()
    en = app.searcher().search("hotel limit on a business trip", ANYONE, mode="keyword")
    assert _paths(en)[:2] == ["travel_en.md", "travel_zh.md"]
    assert en.hits[1].score < en.hits[0].score
    zh = app.searcher().search("出差住酒店的标准", ANYONE, mode="keyword")
    assert _paths(zh)[:2] == ["travel_zh.md", "travel_en.md"]
    hybrid = app.searcher().search("hotel limit on a business trip", ANYONE)
    assert _paths(hybrid)[0] == "travel_en.md"


def test_a_translated_score_counts_the_weight_setting(corpus_app):
    full = corpus_app(keyword_translation_weight=1.0).searcher().search(
        "password length", ANYONE, mode="keyword")
    half = corpus_app(keyword_translation_weight=0.5).searcher().search(
        "password length", ANYONE, mode="keyword")
    assert _paths(full)[0] == _paths(half)[0] == "security_zh.md"
    assert half.hits[0].score == pytest.approx(full.hits[0].score / 2)


def test_a_synonym_brings_keyword_evidence_in_the_same_language(corpus_app):
    """票据 is the word people use, 发票 the one the policy uses."""
    app = corpus_app()
    got = app.searcher().search("票据", ANYONE, mode="keyword")
    assert _paths(got) == ["travel_zh.md"]
    assert _paths(corpus_app(keyword_translation=False).searcher().search(
        "票据", ANYONE, mode="keyword")) == []


def test_views_group_translations_as_one_term(lexicon):
    views = {v.lang: v for v in query_views("hotel limit", lexicon)}
    hotel = next(g for g in views["zh"].groups if "酒店" in g)
    assert {"宾馆", "住宿"} <= hotel and "hotel" not in hotel
    assert query_views("", lexicon) == [] and query_views("2024", lexicon) == []
    # a word the lexicon does not know passes through to every view
    assert any(g == frozenset({"zorblax"}) for g in views_of("zorblax hotel", lexicon)["zh"].groups)


def views_of(query, lexicon):
    return {v.lang: v for v in query_views(query, lexicon)}


def test_a_group_is_not_made_as_common_as_a_single_character(lexicon):
    """jieba cuts 年假 into 年 + 假: in the group of 年休假 those would set its document
    frequency (the most frequent member's) to that of 年."""
    zh = views_of("年假有几天", lexicon)["zh"]
    leave = next(g for g in zh.groups if "年休假" in g)
    assert "年" not in leave and "假" not in leave


def test_unknown_chinese_words_stay_out_of_the_english_view(lexicon):
    en = views_of("TTS员工的年假最多能结转多少小时", lexicon)["en"]
    assert frozenset({"tts"}) in en.groups  # a name passes through
    assert not any(t == "结转" for g in en.groups for t in g)


def test_a_view_that_says_little_does_not_outrank_the_words_asked(settings, fake_embedder,
                                                                  corpus, lexicon):
    """Before: the English view of "午鱼的别名叫什么？" was only {call, name}, scored as if it
    were the whole question, so an English page about changing your name scored near the fish."""
    (corpus / "fish_zh.md").write_text("# 四指马鲅\n\n四指马鲅，又名午鱼，是一种海水鱼。\n",
                                       encoding="utf-8")
    (corpus / "names_en.md").write_text(
        "# Changing your name\n\nTo change your name, call HR and give your new name.\n",
        encoding="utf-8")
    (corpus / "other_zh.md").write_text("# 海水鱼\n\n海水鱼的种类很多。\n", encoding="utf-8")
    app = build(settings.model_copy(update={"keyword_translation": True}),
                embedder_override=fake_embedder, lexicon_override=lexicon)
    app.ingestor().run([str(corpus)])
    try:
        got = app.searcher().search("午鱼的别名叫什么？", ANYONE, mode="keyword")
        scores = {h.chunk.path: h.score for h in got}
        assert _paths(got)[0] == "fish_zh.md"
        assert scores["names_en.md"] < 0.5 * scores["fish_zh.md"]
        en = views_of("午鱼的别名叫什么？", lexicon)["en"]
        assert en.missing  # the fish's name is not in the dictionary: it still counts
    finally:
        app.close()
