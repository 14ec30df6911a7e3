"""Query translation for the keyword index: the query rewritten in each language as groups of
index tokens, from a kb.core.lexicon.Lexicon (synonyms and CC-CEDICT).

A view is the query as a reader of one language would have asked it: every query term written
in that language stays (with its synonyms), every term in the other language is replaced by its
translations, and a term the lexicon does not know (a name, a number, "VPN") stays as it is.
Each group is scored as one term whose frequency is the sum of its members' and whose document
frequency is its most frequent member's (Pirkola's structured query, "The effects of query
structure and dictionary setups in dictionary-based cross-language information retrieval",
SIGIR 1998): six translations of "hotel" do not weigh six times what "hotel" weighs.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.core.lexicon import Lexicon, lang_of
from kb.core.text import is_cjk, query_terms

LANGS = ("zh", "en")


@dataclass(frozen=True)
class View:
    """The query in one language: groups of index tokens, each scored as one term."""

    lang: str
    groups: tuple[frozenset[str], ...]


def query_views(query: str, lexicon: Lexicon) -> list[View]:
    """One View per language, for the languages in which the lexicon changes something."""
    terms = query_terms(query)
    units = lexicon.terms_in(query)
    if not units:
        return []
    covered: set[str] = set()
    per_unit: list[dict[str, frozenset[str]]] = []
    for unit in units:
        own = frozenset(index_terms(unit))
        covered |= own | set(query_terms(unit))
        alts: dict[str, set[str]] = {lang: set() for lang in LANGS}
        alts[lang_of(unit)] |= own
        for word in lexicon.equivalents(unit):
            alts[lang_of(word)] |= set(index_terms(word))
        per_unit.append({lang: _without_common_characters(v) for lang, v in alts.items()})
    views = []
    for lang in LANGS:
        groups = [alts[lang] for alts in per_unit if alts[lang]]
        # a word the lexicon does not know stays, unless it is Chinese in the English view
        # (an English passage does not hold it; it would only match Chinese ones again)
        groups += [frozenset([t]) for t in terms
                   if t not in covered and not (lang == "en" and is_cjk(t))]
        groups = list(dict.fromkeys(g for g in groups if g))
        if groups and set().union(*groups) != set(terms):
            views.append(View(lang, tuple(groups)))
    return views


def _without_common_characters(group: set[str]) -> frozenset[str]:
    """A group's single Chinese characters go when it has Chinese words (jieba cuts 年假 into
    年 + 假; with them the group 年假/年休假/带薪年休假 would be as common as 年)."""
    if any(len(t) >= 2 and is_cjk(t) for t in group):
        return frozenset(t for t in group if len(t) >= 2 or not is_cjk(t))
    return frozenset(group)


def index_terms(word: str) -> list[str]:
    """The index tokens that stand for a word or phrase: a Chinese word by itself where jieba
    keeps it whole (else by its parts of two or more characters: a common single character such
    as 年 or 假 would make the whole group as common as it is), English by its content tokens."""
    toks = query_terms(word)
    if not is_cjk(word):
        return toks
    whole = "".join(word.split())
    if whole in toks:
        return [whole]
    return [t for t in toks if len(t) >= 2] or toks
