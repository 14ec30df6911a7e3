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
from kb.core.text import query_terms, tokenize

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
    per_unit: list[tuple[str, dict[str, frozenset[str]]]] = []
    for unit in units:
        own = frozenset(tokenize(unit)) & set(terms) or frozenset(query_terms(unit))
        covered |= own
        alts: dict[str, set[str]] = {lang: set() for lang in LANGS}
        alts[lang_of(unit)] |= own
        for word in lexicon.equivalents(unit):
            alts[lang_of(word)] |= set(query_terms(word))
        per_unit.append((unit, {lang: frozenset(v) for lang, v in alts.items()}))
    views = []
    for lang in LANGS:
        groups = [alts[lang] for _, alts in per_unit if alts[lang]]
        groups += [frozenset([t]) for t in terms if t not in covered]
        groups = list(dict.fromkeys(g for g in groups if g))
        if groups and set().union(*groups) != set(terms):
            views.append(View(lang, tuple(groups)))
    return views
