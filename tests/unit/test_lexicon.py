"""kb/core/lexicon.py: CC-CEDICT both ways, synonym groups, the content owner's file."""

from __future__ import annotations

import socket

import pytest

from kb.core.lexicon import Lexicon, LexiconError, key


@pytest.fixture(scope="module")
def lexicon():
    """The real dictionary, loaded once for the module with every network connection refused."""
    real = socket.socket.connect

    def refuse(*args, **kwargs):
        raise AssertionError("the lexicon tried to reach the network")

    socket.socket.connect = refuse
    try:
        lex = Lexicon()
        lex.warm_up()
    finally:
        socket.socket.connect = real
    return lex


def test_nothing_is_read_before_the_first_lookup(tmp_path):
    missing = tmp_path / "nowhere.yaml"
    lex = Lexicon(missing)  # a bad file is only an error when it is read
    assert lex._tables is None
    with pytest.raises(LexiconError, match="does not exist"):
        lex.equivalents("hotel")


def test_chinese_to_english_from_the_dictionary(lexicon):
    assert {"invoice", "receipt"} <= lexicon.equivalents("发票")
    assert "hotel" in lexicon.translations("酒店")
    assert "standard" in lexicon.translations("标准")
    assert "invoice" in lexicon.translations("發票")  # traditional characters too


def test_english_to_chinese_prefers_common_words(lexicon):
    assert lexicon.translations("hotel")[0] == "酒店"
    assert "工作时间" in lexicon.translations("working hours")
    assert "雇主" in lexicon.translations("employers")  # plural folded, not stemmed to "employ"
    assert all(len(w) >= 2 for w in lexicon.translations("fine"))  # no one-character guesses


def test_synonyms_hold_in_both_languages(lexicon):
    assert "发票" in lexicon.equivalents("票据")
    assert {"年休假", "annual leave"} <= lexicon.equivalents("年假")
    assert {"sick leave", "病假"} <= lexicon.equivalents("sick days")
    assert "computer" in lexicon.equivalents("Laptop")
    assert "票据" not in lexicon.equivalents("票据")  # never itself


def test_translate_weighs_translations_below_the_words_asked(lexicon):
    zh = lexicon.translate(["hotel", "出差"], "zh")
    assert zh["出差"] == 1.0 and zh["酒店"] == 1.0  # the asked word and a synonym of "hotel"
    assert 0 < zh["饭店"] < 1.0  # a dictionary translation only
    en = lexicon.translate(["标准"], "en")
    assert en["standard"] == 0.5 and "标准" not in en
    with pytest.raises(ValueError, match="unknown language"):
        lexicon.translate(["x"], "fr")


def test_terms_in_finds_phrases_not_function_words(lexicon):
    terms = lexicon.terms_in("How many sick days do I get when I resign?")
    assert "sick days" in terms and "resign" in terms
    assert not any(t.startswith("how") for t in terms)
    assert {"出差", "酒店", "标准"} <= set(lexicon.terms_in("出差住酒店的标准是多少？"))
    assert "年休假" in lexicon.terms_in("带薪年休假怎么算")  # a synonym written inside a word


def test_a_content_owner_adds_groups_in_a_file(tmp_path):
    own = tmp_path / "synonyms.yaml"
    own.write_text("- [食堂, canteen, staff restaurant]\n- [OKR, 目标与关键结果]\n", encoding="utf-8")
    lex = Lexicon(own, dictionary=False)
    assert lex.equivalents("canteen") == {"食堂", "staff restaurant"}
    assert "目标与关键结果" in lex.equivalents("okr")
    assert "发票" in lex.equivalents("票据")  # the built-in groups stay
    assert lex.translations("hotel") == ()  # dictionary off


@pytest.mark.parametrize("text, message", [
    ("canteen: 食堂\n", "expected a list of groups"),
    ("- [食堂]\n", "entry 1: expected a list of two or more"),
    ("- [a, b]\n- just a word\n", "entry 2"),
    ("- [a, ''] \n", "entry 1"),
    ("- [a, b\n", "cannot be read"),
])
def test_a_bad_synonym_file_is_a_clear_error(tmp_path, text, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(LexiconError, match=message) as err:
        Lexicon(bad, dictionary=False).synonyms("a")
    assert str(bad) in str(err.value)


def test_keys_fold_case_width_and_plurals():
    assert key("Sick Days") == key("sick day") == "sick day"
    assert key("Policies") == "policy" and key("process") == "process"
    assert key("年 假") == "年假" and key("ＶＰＮ") == "vpn"


def test_the_dictionary_is_parsed_once_per_process(lexicon):
    """Every App builds its own Lexicon (the page, each test): the parsed CC-CEDICT tables are
    shared, the synonym files stay each Lexicon's own."""
    other = Lexicon()
    other.warm_up()
    assert other._tables.zh_en is lexicon._tables.zh_en
    assert other._tables.en_zh is lexicon._tables.en_zh
