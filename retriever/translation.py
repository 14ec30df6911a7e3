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
    missing: tuple[str, ...] = ()  # query terms this view could not say: they still count


def query_views(query: str, lexicon: Lexicon) -> list[View]:
    """One View per language, for the languages in which the lexicon changes something."""
    terms = query_terms(query)
    units = lexicon.terms_in(query)
    if not units:
        return []
    own_tokens: set[str] = set()  # tokens that stand in their unit's group
    translated: set[str] = set()  # every token of a unit: replaced in the other language's view
    per_unit: list[dict[str, frozenset[str]]] = []
    for unit in units:
        own = frozenset(index_terms(unit))
        own_tokens |= own
        translated |= own | set(query_terms(unit))
        alts: dict[str, set[str]] = {lang: set() for lang in LANGS}
        alts[lang_of(unit)] |= own
        for word in lexicon.equivalents(unit):
            alts[lang_of(word)] |= set(index_terms(word))
        per_unit.append({lang: _without_common_characters(v) for lang, v in alts.items()})
    views = []
    for lang in LANGS:
        groups = [alts[lang] for alts in per_unit if alts[lang]]
        for t in terms:
            if _script(t) == lang:  # the view's own language: every word asked stays
                keep = t not in own_tokens
            elif _script(t) == "":  # numbers belong to both
                keep = True
            else:  # the other language: a word the lexicon does not know (a name) stays, but
                # never a Chinese one in the English view (an English passage does not hold it)
                keep = t not in translated and lang == "zh"
            if keep:
                groups.append(frozenset([t]))
        groups = list(dict.fromkeys(g for g in groups if g))
        said = set().union(*groups) if groups else set()
        if groups and said != set(terms):
            missing = tuple(t for t in terms if t not in said and t not in translated)
            views.append(View(lang, tuple(groups), missing))
    return views


def _script(token: str) -> str:
    return "zh" if is_cjk(token) else "" if token.isdigit() else "en"


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
