"""Keyword index: SQLite FTS5 over pre-segmented tokens, BM25-ranked, access filtered in SQL."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from kb.sqlite import Database
from kb.types import Chunk
from retriever.tokens import tokenize

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
"""


def fts_query(query: str) -> str:
    """An OR of the query's quoted tokens (FTS5 syntax can never be injected)."""
    terms = dict.fromkeys(tokenize(query))
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def index_text(chunk: Chunk) -> str:
    """What the keyword index sees: the passage with its title and section as context."""
    return " ".join(tokenize(f"{chunk.title}\n{chunk.section}\n{chunk.text}"))


def _row_to_chunk(row) -> Chunk:
    return Chunk(
        chunk_id=row["chunk_id"], doc_id=row["doc_id"], version=row["version"],
        ordinal=row["ordinal"], text=row["text"], page=row["page"],
        char_start=row["char_start"], char_end=row["char_end"], section=row["section"],
        lang=row["lang"], acl=frozenset(json.loads(row["acl"])), path=row["path"],
        title=row["title"],
    )


class FtsKeywordIndex:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._ready = False

    def _init(self) -> None:
        if not self._ready:
            self.db.script(SCHEMA)
            self._ready = True

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]] = ()) -> None:
        self._init()
        with self.db.tx() as conn:
            for c in chunks:
                self._delete_where(conn, "chunk_id = ?", (c.chunk_id,))
                cur = conn.execute(
                    "INSERT INTO kw_chunks (chunk_id, doc_id, version, ordinal, text, page,"
                    " char_start, char_end, section, lang, path, title, acl)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (c.chunk_id, c.doc_id, c.version, c.ordinal, c.text, c.page, c.char_start,
                     c.char_end, c.section, c.lang, c.path, c.title, json.dumps(sorted(c.acl))),
                )
                rowid = cur.lastrowid
                conn.execute("INSERT INTO kw_fts (rowid, tokens) VALUES (?, ?)",
                             (rowid, index_text(c)))
                conn.executemany("INSERT INTO kw_acl (chunk_rowid, token) VALUES (?, ?)",
                                 [(rowid, t) for t in sorted(c.acl)])

    @staticmethod
    def _delete_where(conn, where: str, params: tuple) -> None:
        rows = conn.execute(f"SELECT rowid FROM kw_chunks WHERE {where}", params).fetchall()
        for (rowid,) in rows:
            conn.execute("DELETE FROM kw_fts WHERE rowid = ?", (rowid,))
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
        with self.db.tx() as conn:
            rows = conn.execute("SELECT rowid FROM kw_chunks WHERE doc_id = ?", (doc_id,))
            rowids = [r[0] for r in rows.fetchall()]
            conn.execute("UPDATE kw_chunks SET acl = ? WHERE doc_id = ?",
                         (json.dumps(sorted(acl)), doc_id))
            for rowid in rowids:
                conn.execute("DELETE FROM kw_acl WHERE chunk_rowid = ?", (rowid,))
                conn.executemany("INSERT INTO kw_acl (chunk_rowid, token) VALUES (?, ?)",
                                 [(rowid, t) for t in sorted(acl)])

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

    def search(self, query: str, k: int, tokens: Iterable[str]) -> list[tuple[Chunk, float]]:
        """BM25 (negated so that higher is better) among chunks readable with `tokens`."""
        self._init()
        match = fts_query(query)
        allowed = sorted(set(tokens))
        if not match or not allowed or k <= 0:
            return []
        marks = ", ".join("?" for _ in allowed)
        rows = self.db.query(
            "SELECT c.*, -bm25(kw_fts) AS score FROM kw_fts"
            " JOIN kw_chunks c ON c.rowid = kw_fts.rowid"
            " WHERE kw_fts MATCH ?"
            f" AND EXISTS (SELECT 1 FROM kw_acl a WHERE a.chunk_rowid = c.rowid"
            f"             AND a.token IN ({marks}))"
            " ORDER BY bm25(kw_fts) LIMIT ?",
            [match, *allowed, k],
        )
        return [(_row_to_chunk(r), float(r["score"])) for r in rows]

    def count(self) -> int:
        self._init()
        return int(self.db.query("SELECT count(*) AS n FROM kw_chunks")[0]["n"])
