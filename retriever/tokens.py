"""Keyword tokens for zh + en: jieba search-mode words for Chinese, stemmed lower-case English."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache

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


def tokenize(text: str) -> list[str]:
    """Tokens in text order; Chinese runs expand to jieba's search-mode words."""
    out: list[str] = []
    stem = _stemmer().stemWord
    for match in _TOKEN_RE.finditer(normalize(text)):
        run = match.group()
        if _CJK_RE.match(run):
            for word in _segmenter().cut_for_search(run, HMM=True):
                word = word.strip()
                if word:
                    out.append(word)
        else:
            out.append(stem(run) if run.isalpha() else run)
    return out


def is_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))
