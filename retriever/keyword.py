"""Keyword index: SQLite FTS5 over pre-segmented tokens, access filtered in SQL, BM25 scored
with statistics of the chunks the asker may read.

FTS5's own `bm25()` takes its idf and average length from every row of the table, readable or
not, so a restricted document would shift the scores and the order of the chunks a user sees (a
side channel: "does any restricted chunk contain this word?"). We therefore keep document
frequencies and lengths per access label (the sorted token list of a chunk) and score with the
sums over the labels the asker can read. FTS5 only proposes the candidate pool (access filtered
inside the query); every score and every order the caller sees comes from visible statistics.
See docs/RETRIEVAL.md ("Permissions and statistics").
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Iterable, Sequence

from kb.core.sqlite import Database
from kb.core.types import Chunk
from kb.core.text import query_terms, tokenize

log = logging.getLogger(__name__)

# Bump when tokenize() or index_text() change: the index is then rebuilt from its own rows.
TOKENIZER_VERSION = "2"

SCHEMA = """
CREATE TABLE IF NOT EXISTS kw_chunks (
    rowid INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL,
    version TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    page INTEGER,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    section TEXT NOT NULL,
    lang TEXT NOT NULL,
    path TEXT NOT NULL,
    title TEXT NOT NULL,
    acl TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS kw_chunks_doc ON kw_chunks(doc_id);
CREATE TABLE IF NOT EXISTS kw_acl (
    chunk_rowid INTEGER NOT NULL,
    token TEXT NOT NULL,
    PRIMARY KEY (token, chunk_rowid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kw_acl_chunk ON kw_acl(chunk_rowid);
CREATE VIRTUAL TABLE IF NOT EXISTS kw_fts USING fts5(tokens, tokenize = 'unicode61');
CREATE TABLE IF NOT EXISTS kw_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Statistics per access label: label = kw_chunks.acl (JSON of the sorted tokens).
STATS_SCHEMA = """
CREATE TABLE IF NOT EXISTS kw_len (
    chunk_rowid INTEGER PRIMARY KEY,
    n_tokens INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS kw_terms (
    term TEXT NOT NULL,
    label TEXT NOT NULL,
    df INTEGER NOT NULL,
    PRIMARY KEY (term, label)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kw_labels (
    label TEXT PRIMARY KEY,
    n INTEGER NOT NULL,
    total_len INTEGER NOT NULL
);
"""

K1 = 1.2
B = 0.75


def fts_query(terms: Iterable[str]) -> str:
    """An OR of quoted terms (FTS5 syntax can never be injected)."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(terms))


def index_text(chunk: Chunk) -> str:
    """What the keyword index sees: the passage with its title and section as context."""
    return " ".join(tokenize(f"{chunk.title}\n{chunk.section}\n{chunk.text}"))


def label_of(acl: Iterable[str]) -> str:
    return json.dumps(sorted(set(acl)))


def idf(n_docs: int, df: int) -> float:
    """BM25 idf that never goes negative (Lucene's form)."""
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


def _row_to_chunk(row) -> Chunk:
    return Chunk(
        chunk_id=row["chunk_id"], doc_id=row["doc_id"], version=row["version"],
        ordinal=row["ordinal"], text=row["text"], page=row["page"],
        char_start=row["char_start"], char_end=row["char_end"], section=row["section"],
        lang=row["lang"], acl=frozenset(json.loads(row["acl"])), path=row["path"],
        title=row["title"],
    )


class FtsKeywordIndex:
    """Cheap to construct; tables are created (or rebuilt after a tokenizer change) on first use.

    `pool` is how many FTS5 candidates are rescored per query (at least k); `common_cutoff` is
    the share of readable chunks above which a term no longer makes candidates on its own.
    """

    def __init__(self, db: Database, pool: int = 100, common_cutoff: float = 0.05) -> None:
        self.db = db
        self.pool = pool
        self.common_cutoff = common_cutoff
        self._ready = False

    # ------------------------------------------------------------------ schema
    def _init(self) -> None:
        if self._ready:
            return
        self.db.script(SCHEMA + STATS_SCHEMA)
        rows = self.db.query("SELECT value FROM kw_meta WHERE key = 'tokenizer'")
        current = rows[0]["value"] if rows else None
        if current != TOKENIZER_VERSION:
            has_rows = self.db.query("SELECT 1 FROM kw_chunks LIMIT 1")
            if has_rows:
                log.warning("keyword index built by tokenizer %s; rebuilding for %s",
                            current, TOKENIZER_VERSION)
            self._ready = True
            self.rebuild()
        self._ready = True

    def rebuild(self) -> int:
        """Re-tokenize every stored chunk: FTS rows and statistics. Returns the chunk count."""
        self._ready = True
        self.db.script(SCHEMA + STATS_SCHEMA)
        rows = self.db.query("SELECT * FROM kw_chunks ORDER BY rowid")
        with self.db.tx() as conn:
            conn.execute("DELETE FROM kw_fts")
            conn.execute("DELETE FROM kw_len")
            conn.execute("DELETE FROM kw_terms")
            conn.execute("DELETE FROM kw_labels")
            for row in rows:
                chunk = _row_to_chunk(row)
                self._add_tokens(conn, row["rowid"], index_text(chunk).split(), row["acl"])
            conn.execute("INSERT OR REPLACE INTO kw_meta (key, value) VALUES ('tokenizer', ?)",
                         (TOKENIZER_VERSION,))
        return len(rows)

    # ------------------------------------------------------------------ writes
    @staticmethod
    def _add_tokens(conn, rowid: int, tokens: list[str], label: str) -> None:
        conn.execute("INSERT INTO kw_fts (rowid, tokens) VALUES (?, ?)", (rowid, " ".join(tokens)))
        conn.execute("INSERT INTO kw_len (chunk_rowid, n_tokens) VALUES (?, ?)",
                     (rowid, len(tokens)))
        FtsKeywordIndex._count(conn, set(tokens), len(tokens), label, +1)

    @staticmethod
    def _count(conn, terms: set[str], length: int, label: str, sign: int) -> None:
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

    @staticmethod
    def _stored_tokens(conn, rowid: int) -> list[str]:
        row = conn.execute("SELECT tokens FROM kw_fts WHERE rowid = ?", (rowid,)).fetchone()
        return row[0].split() if row else []

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]] = ()) -> None:
        self._init()
        prepared = [(c, index_text(c).split()) for c in chunks]  # tokenize outside the lock
        with self.db.tx() as conn:
            for c, tokens in prepared:
                self._delete_where(conn, "chunk_id = ?", (c.chunk_id,))
                label = label_of(c.acl)
                cur = conn.execute(
                    "INSERT INTO kw_chunks (chunk_id, doc_id, version, ordinal, text, page,"
                    " char_start, char_end, section, lang, path, title, acl)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (c.chunk_id, c.doc_id, c.version, c.ordinal, c.text, c.page, c.char_start,
                     c.char_end, c.section, c.lang, c.path, c.title, label),
                )
                rowid = cur.lastrowid
                self._add_tokens(conn, rowid, tokens, label)
                conn.executemany("INSERT INTO kw_acl (chunk_rowid, token) VALUES (?, ?)",
                                 [(rowid, t) for t in sorted(c.acl)])

    @classmethod
    def _delete_where(cls, conn, where: str, params: tuple) -> None:
        rows = conn.execute(f"SELECT rowid, acl FROM kw_chunks WHERE {where}", params).fetchall()
        for rowid, label in rows:
            tokens = cls._stored_tokens(conn, rowid)
            cls._count(conn, set(tokens), len(tokens), label, -1)
            conn.execute("DELETE FROM kw_fts WHERE rowid = ?", (rowid,))
            conn.execute("DELETE FROM kw_len WHERE chunk_rowid = ?", (rowid,))
            conn.execute("DELETE FROM kw_acl WHERE chunk_rowid = ?", (rowid,))
            conn.execute("DELETE FROM kw_chunks WHERE rowid = ?", (rowid,))

    def delete_doc(self, doc_id: str, keep_version: str | None = None) -> None:
        self._init()
        with self.db.tx() as conn:
            if keep_version is None:
                self._delete_where(conn, "doc_id = ?", (doc_id,))
            else:
                self._delete_where(conn, "doc_id = ? AND version != ?", (doc_id, keep_version))

    def relabel(self, doc_id: str, acl: frozenset[str]) -> None:
        self._init()
        new = label_of(acl)
        with self.db.tx() as conn:
            rows = conn.execute("SELECT rowid, acl FROM kw_chunks WHERE doc_id = ?", (doc_id,))
            for rowid, old in rows.fetchall():
                if old != new:
                    tokens = self._stored_tokens(conn, rowid)
                    self._count(conn, set(tokens), len(tokens), old, -1)
                    self._count(conn, set(tokens), len(tokens), new, +1)
                conn.execute("UPDATE kw_chunks SET acl = ? WHERE rowid = ?", (new, rowid))
                conn.execute("DELETE FROM kw_acl WHERE chunk_rowid = ?", (rowid,))
                conn.executemany("INSERT INTO kw_acl (chunk_rowid, token) VALUES (?, ?)",
                                 [(rowid, t) for t in sorted(acl)])

    # ------------------------------------------------------------------- reads
    def ids(self) -> set[str]:
        self._init()
        return {r["chunk_id"] for r in self.db.query("SELECT chunk_id FROM kw_chunks")}

    def get(self, chunk_ids: Iterable[str]) -> list[Chunk]:
        self._init()
        ids = list(chunk_ids)
        out: list[Chunk] = []
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ", ".join("?" for _ in part)
            rows = self.db.query(f"SELECT * FROM kw_chunks WHERE chunk_id IN ({marks})", part)
            out.extend(_row_to_chunk(r) for r in rows)
        return out

    def count(self) -> int:
        self._init()
        return int(self.db.query("SELECT count(*) AS n FROM kw_chunks")[0]["n"])

    def visible_stats(self, terms: Sequence[str], tokens: Iterable[str]):
        """(chunks, average length, {term: df}) over the chunks readable with `tokens`."""
        allowed = set(tokens)
        labels = [r for r in self.db.query("SELECT label, n, total_len FROM kw_labels")
                  if allowed & set(json.loads(r["label"]))]
        n_docs = sum(r["n"] for r in labels)
        if not n_docs or not terms:
            return n_docs, 0.0, {}
        avgdl = sum(r["total_len"] for r in labels) / n_docs
        names = [r["label"] for r in labels]
        df: dict[str, int] = {}
        for start in range(0, len(names), 400):  # stay under SQLite's variable limit
            part = names[start : start + 400]
            rows = self.db.query(
                f"SELECT term, SUM(df) AS df FROM kw_terms WHERE term IN ({', '.join('?' * len(terms))})"
                f" AND label IN ({', '.join('?' * len(part))}) GROUP BY term",
                [*terms, *part],
            )
            for r in rows:
                df[r["term"]] = df.get(r["term"], 0) + int(r["df"])
        return n_docs, avgdl, df

    def search(self, query: str, k: int, tokens: Iterable[str]) -> list[tuple[Chunk, float]]:
        """Chunks readable with `tokens`, best first, scored by BM25 over readable chunks only,
        divided by the best score the query could reach (sum of idf * (k1 + 1)): in [0, 1).

        Candidates must contain a query term that is rare among the readable chunks (document
        frequency at most `common_cutoff` of them); common terms add to the score of those
        candidates but do not make candidates (Elasticsearch's "common terms" rule: matching
        every chunk that says "year" or 年 costs time and finds nothing useful). A query made
        only of common terms needs all of them, or any of them if that finds fewer than k."""
        self._init()
        allowed = sorted(set(tokens))
        terms = query_terms(query)
        if not terms or not allowed or k <= 0:
            return []
        n_docs, avgdl, df = self.visible_stats(terms, allowed)
        weights = {t: idf(n_docs, df[t]) for t in terms if df.get(t)}
        if not weights:
            return []
        ceiling = sum(weights.values()) * (K1 + 1.0)
        rare = [t for t in weights if df[t] <= self.common_cutoff * n_docs]
        if rare:
            pool = self._pool(fts_query(rare), allowed, max(k, self.pool))
        else:
            pool = self._pool(" AND ".join(fts_query([t]) for t in weights), allowed,
                              max(k, self.pool))
            if len(pool) < k:
                pool = self._pool(fts_query(weights), allowed, max(k, self.pool))
        scored: list[tuple[float, int]] = []
        for r in pool:
            toks = r["tokens"].split()
            norm = K1 * (1.0 - B + B * r["n_tokens"] / avgdl)
            score = 0.0
            for t, w in weights.items():
                tf = toks.count(t)
                if tf:
                    score += w * tf * (K1 + 1.0) / (tf + norm)
            scored.append((score / ceiling, r["rowid"]))
        scored.sort(key=lambda sr: -sr[0])
        top = scored[:k]
        if not top:
            return []
        rows = self.db.query(
            f"SELECT * FROM kw_chunks WHERE rowid IN ({', '.join('?' * len(top))})",
            [rowid for _, rowid in top])
        by_rowid = {r["rowid"]: _row_to_chunk(r) for r in rows}
        out = [(by_rowid[rowid], score) for score, rowid in top if rowid in by_rowid]
        out.sort(key=lambda cs: (-cs[1], cs[0].chunk_id))
        return out

    def _pool(self, match: str, allowed: list[str], limit: int):
        """Rank inside FTS5 (access filtered) first; read the token lists of the best only."""
        marks = ", ".join("?" for _ in allowed)
        return self.db.query(
            "SELECT f.rowid AS rowid, f.tokens AS tokens, l.n_tokens AS n_tokens FROM"
            " (SELECT rowid FROM kw_fts WHERE kw_fts MATCH ?"
            f"  AND EXISTS (SELECT 1 FROM kw_acl a WHERE a.chunk_rowid = kw_fts.rowid"
            f"              AND a.token IN ({marks}))"
            "  ORDER BY bm25(kw_fts) LIMIT ?) AS top"
            " JOIN kw_fts f ON f.rowid = top.rowid"
            " JOIN kw_len l ON l.chunk_rowid = top.rowid",
            [match, *allowed, limit],
        )
