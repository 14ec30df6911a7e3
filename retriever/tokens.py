"""Keyword tokens for zh + en: jieba search-mode words for Chinese, stemmed lower-case English."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache

from retriever.stopwords import STOPWORDS

# CJK ideographs (incl. ext. A and compatibility), kana and hangul are segmented by jieba.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+", re.UNICODE)
_CJK_RE = re.compile(rf"[{_CJK}]")

_jieba_lock = threading.Lock()
_jieba = None


def _segmenter():
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
    for match in _TOKEN_RE.finditer(normalize(text)):
        run = match.group()
        if _CJK_RE.match(run):
            for word in _segmenter().cut_for_search(run, HMM=True):
                word = word.strip()
                if word:
                    yield word, word in STOPWORDS
        else:
            yield run, run in STOPWORDS


def _token(word: str) -> str:
    if _CJK_RE.match(word):
        return word
    word = fold(word)
    return _stemmer().stemWord(word) if word.isalpha() else word


def tokenize(text: str) -> list[str]:
    """Tokens in text order; Chinese runs expand to jieba's search-mode words."""
    return [_token(w) for w, _ in _words(text)]


def query_terms(text: str) -> list[str]:
    """Distinct tokens of a query in order, stopwords dropped unless nothing else is left."""
    words = list(_words(text))
    content = [w for w, stop in words if not stop] or [w for w, _ in words]
    return list(dict.fromkeys(_token(w) for w in content))


def is_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))


def query_scripts(text: str) -> set[str]:
    """Which scripts the query's keyword terms are in: 'cjk', 'latin' (digits count for none)."""
    out = set()
    for term in query_terms(text):
        if _CJK_RE.match(term):
            out.add("cjk")
        elif not term.isdigit():
            out.add("latin")
    return out


_LATIN_WORD = re.compile(rf"[^\W\d_{_CJK}]+")


def cjk_share(text: str) -> float:
    """How Chinese a text is: CJK characters / (CJK characters + other words); 0 when empty.
    (One character against one word: a Chinese character carries about what a word does.)"""
    cjk = len(_CJK_RE.findall(text))
    words = len(_LATIN_WORD.findall(_CJK_RE.sub(" ", text)))
    return cjk / (cjk + words) if cjk + words else 0.0
