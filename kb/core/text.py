"""The text rules every role shares, defined once: which characters are Chinese (CJK), which
language a text is in, normalisation (`normalize`, `squash`), keyword tokens (jieba search-mode
words for Chinese, stemmed lower-case English) and sentence spans (Chinese 。！？；… and English
.!?). Highlighting builds on these in kb/core/highlight.py."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache

from kb.core.stopwords import STOPWORDS

# CJK ideographs (incl. ext. A and compatibility), kana and hangul: the characters jieba segments
# and that count as Chinese for the language rule. The one definition of "CJK" in the product.
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
# Full-width forms and CJK punctuation: written between CJK characters without spaces (OCR joins).
WIDE = "\u3000-\u303f\uff00-\uffef"
TOKEN_RE = re.compile(rf"[{CJK}]+|[^\W_{CJK}]+", re.UNICODE)
CJK_RE = re.compile(rf"[{CJK}]")
_WIDE_RE = re.compile(rf"[{CJK}{WIDE}]")

_jieba_lock = threading.Lock()
_jieba = None


def segmenter():
    global _jieba
    with _jieba_lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba = jieba
    return _jieba


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def squash(text: str) -> str:
    """NFKC, lower case, every whitespace character removed: how quotes are compared with
    passages and answers are graded (../shared/eval/README.md)."""
    return "".join(normalize(text).split())


def fold(word: str) -> str:
    """Latin, Greek and Cyrillic words without accents ("beyoncé" -> "beyonce"), as FTS5's
    unicode61 tokenizer folds them, so our statistics and its matching agree."""
    if word.isascii():
        return word
    stripped = "".join(
        ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch)
    )
    return unicodedata.normalize("NFC", stripped)


def _words(text: str):
    """(word, is_stopword) in text order, before stemming."""
    for match in TOKEN_RE.finditer(normalize(text)):
        run = match.group()
        if CJK_RE.match(run):
            for word in segmenter().cut_for_search(run, HMM=True):
                word = word.strip()
                if word:
                    yield word, word in STOPWORDS
        else:
            yield run, run in STOPWORDS


def token(word: str) -> str:
    if CJK_RE.match(word):
        return word
    word = fold(word)
    return _stemmer().stemWord(word) if word.isalpha() else word


def tokenize(text: str) -> list[str]:
    """Tokens in text order; Chinese runs expand to jieba's search-mode words."""
    return [token(w) for w, _ in _words(text)]


def query_terms(text: str) -> list[str]:
    """Distinct tokens of a query in order, stopwords dropped unless nothing else is left."""
    words = list(_words(text))
    content = [w for w, stop in words if not stop] or [w for w, _ in words]
    return list(dict.fromkeys(token(w) for w in content))


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
# a Chinese number written out, followed by what it counts: 二十年, 十五天, 三个, 一百元
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千]+(?=[年月日天个岁周倍次位名人号层页条款项元])")


def _cn_value(numeral: str) -> int | None:
    total, digit = 0, None
    for ch in numeral:
        if ch in "零〇" and total:  # 一百零五: the zero only holds a place
            continue
        if ch in _CN_DIGITS:
            if digit is not None:  # 二〇二四: digit by digit
                return int("".join(str(_CN_DIGITS[c]) for c in numeral)) \
                    if all(c in _CN_DIGITS for c in numeral) else None
            digit = _CN_DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
    return total + (digit or 0)


def arabic_numerals(text: str) -> str:
    """Chinese numbers that count something written in digits (二十年 -> 20年, 十五天 -> 15天,
    两个 -> 2个), so that a question and a passage writing the same number differently share
    its term; words merely made of numeral characters (统一, 一些) stay as they are."""
    def sub(m: re.Match) -> str:
        value = _cn_value(m.group())
        return m.group() if value is None else str(value)

    return _CN_NUMBER.sub(sub, text)


def is_cjk(text: str) -> bool:
    """The text holds a CJK character."""
    return bool(CJK_RE.search(text))


def is_wide(ch: str) -> bool:
    """A CJK character, CJK punctuation or a full-width form (no space is written around it)."""
    return bool(_WIDE_RE.match(ch))


def query_scripts(text: str) -> set[str]:
    """Which scripts the query's keyword terms are in: 'cjk', 'latin' (digits count for none)."""
    out = set()
    for term in query_terms(text):
        if CJK_RE.match(term):
            out.add("cjk")
        elif not term.isdigit():
            out.add("latin")
    return out


_LATIN_WORD = re.compile(rf"[^\W\d_{CJK}]+")


def cjk_share(text: str) -> float:
    """How Chinese a text is: CJK characters / (CJK characters + other words); 0 when empty.
    (One character against one word: a Chinese character carries about what a word does.)"""
    cjk = len(CJK_RE.findall(text))
    words = len(_LATIN_WORD.findall(CJK_RE.sub(" ", text)))
    return cjk / (cjk + words) if cjk + words else 0.0


def language(text: str) -> str:
    """The one language rule, for passages and questions alike: 'zh' when at least a third of the
    text is Chinese (`cjk_share`: one character against one word), 'en' when it has other words,
    'und' when it has neither (only numbers or punctuation)."""
    if not CJK_RE.search(text) and not _LATIN_WORD.search(text):
        return "und"
    return "zh" if cjk_share(text) >= 1 / 3 else "en"


# ------------------------------------------------------------------ sentences
CLOSERS = "”’\"'）)\\]」』》"
_BOUNDARY = re.compile(
    rf"[。！？!?；;…]+[{CLOSERS}]*[ \t]*"  # Chinese and English strong terminators
    rf"|\.[{CLOSERS}]*(?=\s|$)[ \t]*"  # a period before whitespace
    r"|\n[ \t\n]*"  # line breaks: list items, table rows, paragraphs
)


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans covering text[start:end] exactly, each ending after a sentence boundary."""
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _BOUNDARY.finditer(text, start, end):
        if m.end() > pos:
            spans.append((pos, m.end()))
            pos = m.end()
    if pos < end:
        spans.append((pos, end))
    return spans
