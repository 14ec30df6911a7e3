"""BM25 over the chunks an asker may read: what the two keyword indexes (SQLite FTS5 in
retriever/keyword.py, PostgreSQL in retriever/keyword_pg.py) share.

An engine's own ranking takes its statistics from every row, readable or not, so a restricted
chunk would move the scores and the order others see (a side channel: "does any restricted
chunk contain this word?"). Both indexes therefore keep document frequencies and lengths per
access label (the sorted token list of a chunk, as JSON) in two tables of the same shape,
`kw_terms (term, label, df)` and `kw_labels (label, n, total_len)`, written and read here with
SQL both databases accept. An index only stores chunks and proposes a candidate pool (access
filtered inside its query); `search` below picks the terms that make candidates and scores the
pool with the statistics of the readable chunks, so every score and order a caller sees comes
from those. See docs/RETRIEVAL.md ("Permissions and statistics").
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from kb.core.ports import Database
from kb.core.text import query_terms, tokenize
from kb.core.types import Chunk

# Bump when tokenize() or index_text() change: the indexes then rebuild from their own rows.
TOKENIZER_VERSION = "2"

K1 = 1.2
B = 0.75

# The kw_chunks columns a Chunk is made of (both indexes store at least these).
CHUNK_COLUMNS = ("chunk_id, doc_id, version, ordinal, text, page, char_start, char_end, section,"
                 " lang, path, title, acl")


def index_text(chunk: Chunk) -> str:
    """What the keyword index sees: the passage with its title and section as context."""
    return " ".join(tokenize(f"{chunk.title}\n{chunk.section}\n{chunk.text}"))


def label_of(acl: Iterable[str]) -> str:
    """The access label of a chunk: its sorted access tokens as JSON."""
    return json.dumps(sorted(set(acl)))


def row_to_chunk(row) -> Chunk:
    """A kw_chunks row (at least CHUNK_COLUMNS) as the Chunk it was written from."""
    return Chunk(
        chunk_id=row["chunk_id"], doc_id=row["doc_id"], version=row["version"],
        ordinal=row["ordinal"], text=row["text"], page=row["page"],
        char_start=row["char_start"], char_end=row["char_end"], section=row["section"],
        lang=row["lang"], acl=frozenset(json.loads(row["acl"])), path=row["path"],
        title=row["title"],
    )


def idf(n_docs: int, df: int) -> float:
    """BM25 idf that never goes negative (Lucene's form)."""
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


# ------------------------------------------------------------ label statistics
def tally(conn, terms: set[str], length: int, label: str, sign: int) -> None:
    """Add (sign +1) or remove (-1) one chunk's terms and length in its label's statistics.
    Column names are qualified for PostgreSQL (SQLite accepts them too); terms go in sorted
    order so that concurrent writers on PostgreSQL lock rows in the same order."""
    ordered = sorted(terms)
    conn.executemany(
        "INSERT INTO kw_terms (term, label, df) VALUES (?, ?, ?)"
        " ON CONFLICT (term, label) DO UPDATE SET df = kw_terms.df + excluded.df",
        [(t, label, sign) for t in ordered],
    )
    conn.execute(
        "INSERT INTO kw_labels (label, n, total_len) VALUES (?, ?, ?)"
        " ON CONFLICT (label) DO UPDATE SET n = kw_labels.n + excluded.n,"
        " total_len = kw_labels.total_len + excluded.total_len",
        (label, sign, sign * length),
    )
    if sign < 0:
        conn.executemany("DELETE FROM kw_terms WHERE term = ? AND label = ? AND df <= 0",
                         [(t, label) for t in ordered])
        conn.execute("DELETE FROM kw_labels WHERE label = ? AND n <= 0", (label,))


def visible_stats(db: Database, terms: Sequence[str],
                  tokens: Iterable[str]) -> tuple[int, float, dict[str, int]]:
    """(chunks, average length, {term: df}) over the chunks readable with `tokens` only."""
    allowed = set(tokens)
    labels = [r for r in db.query("SELECT label, n, total_len FROM kw_labels")
              if allowed & set(json.loads(r["label"]))]
    n_docs = sum(r["n"] for r in labels)
    if not n_docs or not terms:
        return n_docs, 0.0, {}
    avgdl = sum(r["total_len"] for r in labels) / n_docs
    names = [r["label"] for r in labels]
    term_marks = ", ".join("?" * len(terms))
    df: dict[str, int] = {}
    for start in range(0, len(names), 400):  # stay under SQLite's variable limit
        part = names[start : start + 400]
        rows = db.query(
            f"SELECT term, SUM(df) AS df FROM kw_terms WHERE term IN ({term_marks})"
            f" AND label IN ({', '.join('?' * len(part))}) GROUP BY term",
            [*terms, *part],
        )
        for r in rows:
            df[r["term"]] = df.get(r["term"], 0) + int(r["df"])
    return n_docs, avgdl, df


def weights(terms: Sequence[str], n_docs: int, df: dict[str, int]) -> dict[str, float]:
    """{term: idf} for the terms some readable chunk contains (df 0 terms are left out): the
    terms a search can match."""
    return {t: idf(n_docs, df[t]) for t in terms if df.get(t)}


def term_weights(terms: Sequence[str], n_docs: int, df: dict[str, int]) -> dict[str, float]:
    """{term: idf} for every term: one no readable chunk contains weighs as the rarest possible
    (idf with df 0); {} when nothing is readable. What a question's key terms weigh."""
    return {t: idf(n_docs, df.get(t, 0)) for t in terms} if n_docs else {}


# ----------------------------------------------------------------- searching
# postings (readable chunks per term, summed) a pool of common terms only is still ranked over
RANKED_POSTINGS = 50_000


class Scorable(Protocol):
    """What `search` needs of a keyword index: its statistics and its candidate pool."""

    db: Database
    pool: int
    common_cutoff: float

    def visible_stats(self, terms: Sequence[str],
                      tokens: Iterable[str]) -> tuple[int, float, dict[str, int]]: ...

    def candidates(self, terms: Sequence[str], every: bool, allowed: Sequence[str],
                   limit: int, weights: dict[str, float] | None = None,
                   ranked: bool = True) -> Sequence[Any]:
        """The `limit` best chunks readable with any of `allowed` that contain every term
        (`every`) or any of them; rows with `rowid`, `tokens` (space-joined) and `n_tokens`.
        The access filter is inside the engine's query, and so is the choice of the best: by a
        rank that reads nothing but the readable rows (each row's own content, and `weights`,
        the visible idf), never the engine's statistics over every row. Not `ranked`: any
        `limit` of them, in the engine's own order, read as a stream (for common terms only,
        where ranking every match costs seconds at a million chunks and finds nothing
        better)."""


def search(index: Scorable, query: str, k: int, tokens: Iterable[str],
           views: Sequence[Any] = (), view_weight: float = 0.5) -> list[tuple[Chunk, float]]:
    """Chunks readable with `tokens`, best first, scored by BM25 over readable chunks only,
    divided by the best score the query could reach (sum of idf * (k1 + 1)): in [0, 1).

    Candidates must contain a query term that is rare among the readable chunks (document
    frequency at most `common_cutoff` of them); common terms add to the score of those
    candidates but do not make candidates (Elasticsearch's "common terms" rule: matching
    every chunk that says "year" or 年 costs time and finds nothing useful). A query made
    only of common terms needs all of them, or any of them if that finds fewer than k; when
    its terms hold more than RANKED_POSTINGS readable chunks between them, the pool is any
    `pool` such chunks, unranked (at a million chunks, ranking every chunk holding three
    common words took 1-2 s); the pool is scored by BM25 either way.

    `views` are the query translated (retriever/translation.py: groups of tokens, each scored
    as one term): a chunk's score is the best of its score for the query as asked and
    `view_weight` times its score for each view, so a translation never outweighs the words
    the asker used. A view's candidates need one of its rare tokens (any, when none is rare)."""
    allowed = sorted(set(tokens))
    terms = query_terms(query)
    if not terms or not allowed or k <= 0:
        return []
    every_token = list(dict.fromkeys([*terms, *(t for v in views for g in v.groups for t in g)]))
    n_docs, avgdl, df = index.visible_stats(every_token, allowed)
    wts = weights(terms, n_docs, df)
    limit = max(k, index.pool)
    pool: dict[int, Any] = {}
    if wts:
        rare = [t for t in wts if df[t] <= index.common_cutoff * n_docs]
        if rare:
            found = index.candidates(rare, False, allowed, limit, wts)
        else:  # common terms only: chunks holding them all (or any); ranked while cheap
            ranked = sum(df[t] for t in wts) <= RANKED_POSTINGS
            found = index.candidates(list(wts), True, allowed, limit, wts, ranked=ranked)
            if len(found) < k:
                found = index.candidates(list(wts), False, allowed, limit, wts, ranked=ranked)
        pool.update((r["rowid"], r) for r in found)
    scorers = []
    for view in views:
        groups = [(g, group_weight(g, n_docs, df)) for g in view.groups]
        groups = [(g, w) for g, w in groups if w > 0]
        # what the view cannot say still counts in its ceiling: a view left with one common
        # word ("name") must not score an English chunk as if it matched the whole question
        unsaid = sum(idf(n_docs, df.get(t, 0)) for t in view.missing)
        present = sorted({t for g, _ in groups for t in g if df.get(t, 0)})
        rare = [t for t in present if df[t] <= index.common_cutoff * n_docs] or present
        if rare:
            found = index.candidates(rare, False, allowed, limit,
                                     {t: idf(n_docs, df[t]) for t in present})
            pool.update((r["rowid"], r) for r in found)
            scorers.append((groups, unsaid))
    rows = list(pool.values())
    scored = {rowid: score for score, rowid in score_pool(rows, wts, avgdl)} if wts else {}
    for groups, unsaid in scorers:
        for score, rowid in score_groups(rows, groups, avgdl, unsaid):
            if view_weight * score > scored.get(rowid, 0.0):
                scored[rowid] = view_weight * score
    top = sorted(((sc, rowid) for rowid, sc in scored.items()), key=lambda sr: -sr[0])[:k]
    return read_scored(index.db, top)


def group_weight(group: Iterable[str], n_docs: int, df: dict[str, int]) -> float:
    """idf of a group of equivalent tokens: that of its most frequent member (0 when no
    readable chunk has any)."""
    most = max((df.get(t, 0) for t in group), default=0)
    return idf(n_docs, most) if most else 0.0


def score_groups(pool: Sequence[Any], groups: Sequence[tuple[frozenset[str], float]],
                 avgdl: float, unsaid: float = 0.0) -> list[tuple[float, int]]:
    """score_pool for groups of tokens: a group's frequency in a chunk is the sum of its
    members' (Pirkola's structured query); `unsaid` (idf of the query terms the view lacks)
    is added to the ceiling."""
    ceiling = (sum(w for _, w in groups) + unsaid) * (K1 + 1.0)
    if ceiling <= 0:
        return []
    scored: list[tuple[float, int]] = []
    for r in pool:
        toks = r["tokens"].split()
        norm = K1 * (1.0 - B + B * r["n_tokens"] / avgdl)
        score = 0.0
        for group, w in groups:
            tf = sum(1 for t in toks if t in group)
            if tf:
                score += w * tf * (K1 + 1.0) / (tf + norm)
        scored.append((score / ceiling, r["rowid"]))
    return scored


def score_pool(pool: Sequence[Any], wts: dict[str, float],
               avgdl: float) -> list[tuple[float, int]]:
    """(score in [0, 1), rowid) of each candidate: BM25 with the visible idf and average
    length, divided by the ceiling sum(idf) * (k1 + 1)."""
    ceiling = sum(wts.values()) * (K1 + 1.0)
    scored: list[tuple[float, int]] = []
    for r in pool:
        toks = r["tokens"].split()
        norm = K1 * (1.0 - B + B * r["n_tokens"] / avgdl)
        score = 0.0
        for t, w in wts.items():
            tf = toks.count(t)
            if tf:
                score += w * tf * (K1 + 1.0) / (tf + norm)
        scored.append((score / ceiling, r["rowid"]))
    return scored


def read_scored(db: Database, top: Sequence[tuple[float, int]]) -> list[tuple[Chunk, float]]:
    """The chunks of (score, rowid) pairs, best first, ties by chunk id."""
    if not top:
        return []
    rows = db.query(
        f"SELECT rowid, {CHUNK_COLUMNS} FROM kw_chunks"
        f" WHERE rowid IN ({', '.join('?' * len(top))})",
        [rowid for _, rowid in top])
    by_rowid = {r["rowid"]: row_to_chunk(r) for r in rows}
    out = [(by_rowid[rowid], score) for score, rowid in top if rowid in by_rowid]
    out.sort(key=lambda cs: (-cs[1], cs[0].chunk_id))
    return out


class Bm25Index:
    """What both keyword indexes share above their storage: the constructor's settings, deleting
    a document's rows, and every read scored with visible statistics. A subclass brings its
    storage: `_init()` (schema on first use), `_delete_where(conn, where, params)` (rows and
    their statistics) and `candidates(...)` (the pool query of its engine, see Scorable)."""

    def __init__(self, db: Database, pool: int = 100, common_cutoff: float = 0.05) -> None:
        self.db = db
        self.pool = pool  # candidates rescored per query (at least k)
        self.common_cutoff = common_cutoff  # share of readable chunks above which a term is common
        self._ready = False

    def delete_doc(self, doc_id: str, keep_version: str | None = None) -> None:
        self._init()
        with self.db.tx() as conn:
            if keep_version is None:
                self._delete_where(conn, "doc_id = ?", (doc_id,))
            else:
                self._delete_where(conn, "doc_id = ? AND version != ?", (doc_id, keep_version))

    def visible_stats(self, terms: Sequence[str],
                      tokens: Iterable[str]) -> tuple[int, float, dict[str, int]]:
        """(chunks, average length, {term: df}) over the chunks readable with `tokens`."""
        self._init()
        return visible_stats(self.db, terms, tokens)

    def term_weights(self, terms: Sequence[str], tokens: Iterable[str]) -> dict[str, float]:
        """{term: idf among the chunks readable with `tokens`} (see term_weights above)."""
        n_docs, _, df = self.visible_stats(terms, tokens)
        return term_weights(terms, n_docs, df)

    def search(self, query: str, k: int, tokens: Iterable[str], views: Sequence = (),
               view_weight: float = 0.5) -> list[tuple[Chunk, float]]:
        """BM25 over the readable chunks, best first, in [0, 1); `views` are the query
        translated (retriever/translation.py), scored at `view_weight` (see search above)."""
        self._init()
        return search(self, query, k, tokens, views, view_weight)
