"""Keyword index on SQLite: FTS5 over pre-segmented tokens, access filtered in SQL (a join on
kw_acl), BM25 scored by retriever/bm25.py with statistics of the chunks the asker may read.

FTS5's own `bm25()` takes its idf and average length from every row of the table, readable or
not, so it is never used: the candidate pool is chosen over the readable chunks with their own
statistics (access filtered inside the query), and every score and order the caller sees comes
from the per-label statistics (see retriever/bm25.py and docs/RETRIEVAL.md, "Permissions and
statistics").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from kb.core.types import Chunk
from retriever import bm25
from retriever.bm25 import CHUNK_COLUMNS, TOKENIZER_VERSION, index_text, label_of, row_to_chunk

__all__ = ["FtsKeywordIndex", "fts_query"]

log = logging.getLogger(__name__)

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


def fts_query(terms: Iterable[str], every: bool = False) -> str:
    """An OR (or, with `every`, an AND) of quoted terms: FTS5 syntax can never be injected."""
    op = " AND " if every else " OR "
    return op.join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(terms))


class FtsKeywordIndex(bm25.Bm25Index):
    """Cheap to construct; tables are created (or rebuilt after a tokenizer change) on first use.

    `pool` is how many FTS5 candidates are rescored per query (at least k); `common_cutoff` is
    the share of readable chunks above which a term no longer makes candidates on its own.
    """

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
                chunk = row_to_chunk(row)
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
        bm25.tally(conn, set(tokens), len(tokens), label, +1)

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
                    f"INSERT INTO kw_chunks ({CHUNK_COLUMNS})"
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
            bm25.tally(conn, set(tokens), len(tokens), label, -1)
            conn.execute("DELETE FROM kw_fts WHERE rowid = ?", (rowid,))
            conn.execute("DELETE FROM kw_len WHERE chunk_rowid = ?", (rowid,))
            conn.execute("DELETE FROM kw_acl WHERE chunk_rowid = ?", (rowid,))
            conn.execute("DELETE FROM kw_chunks WHERE rowid = ?", (rowid,))

    def relabel(self, doc_id: str, acl: frozenset[str]) -> None:
        self._init()
        new = label_of(acl)
        with self.db.tx() as conn:
            rows = conn.execute("SELECT rowid, acl FROM kw_chunks WHERE doc_id = ?", (doc_id,))
            for rowid, old in rows.fetchall():
                if old != new:
                    tokens = self._stored_tokens(conn, rowid)
                    bm25.tally(conn, set(tokens), len(tokens), old, -1)
                    bm25.tally(conn, set(tokens), len(tokens), new, +1)
                conn.execute("UPDATE kw_chunks SET acl = ? WHERE rowid = ?", (new, rowid))
                conn.execute("DELETE FROM kw_acl WHERE chunk_rowid = ?", (rowid,))
                conn.executemany("INSERT INTO kw_acl (chunk_rowid, token) VALUES (?, ?)",
                                 [(rowid, t) for t in sorted(acl)])

    def compact(self) -> None:
        """Merge the FTS5 segments: a deleted row's tokens stay in them until a merge."""
        self._init()
        with self.db.tx() as conn:
            conn.execute("INSERT INTO kw_fts (kw_fts) VALUES ('optimize')")

    # ------------------------------------------------------------------- reads
    def all_chunks(self) -> list[Chunk]:
        """Every stored chunk (the embedding cache keeps only their vectors)."""
        self._init()
        return [row_to_chunk(r) for r in self.db.query(f"SELECT {CHUNK_COLUMNS} FROM kw_chunks")]

    def ids(self) -> set[str]:
        self._init()
        return {r["chunk_id"] for r in self.db.query("SELECT chunk_id FROM kw_chunks")}

    def count(self) -> int:
        self._init()
        return int(self.db.query("SELECT count(*) AS n FROM kw_chunks")[0]["n"])

    def read_chunks(self, doc_id: str, version: str, tokens: Iterable[str]) -> list[Chunk]:
        """The chunks of one version of a document in ordinal order, readable with `tokens`
        (the kw_acl join is inside the query)."""
        self._init()
        allowed = sorted(set(tokens))
        if not allowed:
            return []
        rows = self.db.query(
            f"SELECT {CHUNK_COLUMNS} FROM kw_chunks c WHERE c.doc_id = ? AND c.version = ?"
            " AND EXISTS (SELECT 1 FROM kw_acl a WHERE a.chunk_rowid = c.rowid"
            f"             AND a.token IN ({', '.join('?' * len(allowed))}))"
            " ORDER BY c.ordinal",
            [doc_id, version, *allowed])
        return [row_to_chunk(r) for r in rows]

    def candidates(self, terms: Sequence[str], every: bool, allowed: Sequence[str],
                   limit: int, weights: dict[str, float] | None = None,
                   ranked: bool = True) -> list:
        """The pool, chosen over the readable chunks only: those matching the most of `terms`
        (by the visible idf in `weights`), shorter first, then by rowid; token lists of the best
        only. FTS5's `bm25()` would rank by statistics over every row, so which readable chunks
        make the pool would depend on restricted ones."""
        marks = ", ".join("?" for _ in allowed)
        terms = list(dict.fromkeys(terms))
        if not ranked:  # one MATCH, streamed in rowid order: SQLite stops at the limit
            return self.db.query(
                "SELECT f.rowid AS rowid, f.tokens AS tokens, l.n_tokens AS n_tokens"
                " FROM kw_fts f JOIN kw_len l ON l.chunk_rowid = f.rowid"
                " WHERE kw_fts MATCH ? AND EXISTS (SELECT 1 FROM kw_acl a"
                f" WHERE a.chunk_rowid = f.rowid AND a.token IN ({marks})) LIMIT ?",
                [fts_query(terms, every), *allowed, limit])
        per_term = " UNION ALL ".join(
            "SELECT rowid, ? AS w FROM kw_fts WHERE kw_fts MATCH ?" for _ in terms)
        params: list = []
        for t in terms:
            params += [(weights or {}).get(t, 1.0), fts_query([t])]
        return self.db.query(
            "SELECT f.rowid AS rowid, f.tokens AS tokens, top.n_tokens AS n_tokens FROM"
            " (SELECT m.rowid AS rowid, SUM(m.w) AS s, l.n_tokens AS n_tokens"
            f"  FROM ({per_term}) AS m JOIN kw_len l ON l.chunk_rowid = m.rowid"
            "   WHERE EXISTS (SELECT 1 FROM kw_acl a WHERE a.chunk_rowid = m.rowid"
            f"                AND a.token IN ({marks}))"
            "   GROUP BY m.rowid" + (" HAVING COUNT(*) = ?" if every else "") +
            "   ORDER BY s DESC, l.n_tokens, m.rowid LIMIT ?) AS top"
            " JOIN kw_fts f ON f.rowid = top.rowid",
            [*params, *allowed, *([len(terms)] if every else []), limit],
        )
