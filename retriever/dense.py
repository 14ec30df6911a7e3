"""Vector index: a Chroma collection holding our own vectors; access filtered in the `where`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from kb.core.types import Chunk, Neighbours

_NO_PAGE = 0  # Chroma metadata cannot hold None; pages are 1-based so 0 means "no page"


def chunk_metadata(c: Chunk) -> dict[str, Any]:
    return {
        "doc_id": c.doc_id, "version": c.version, "ordinal": c.ordinal,
        "page": c.page if c.page is not None else _NO_PAGE,
        "char_start": c.char_start, "char_end": c.char_end, "section": c.section,
        "lang": c.lang, "path": c.path, "title": c.title, "acl": sorted(c.acl),
    }


def chunk_from(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    page = int(meta.get("page", _NO_PAGE))
    return Chunk(
        chunk_id=chunk_id, doc_id=meta["doc_id"], version=meta["version"],
        ordinal=int(meta["ordinal"]), text=text, page=page if page != _NO_PAGE else None,
        char_start=int(meta["char_start"]), char_end=int(meta["char_end"]),
        section=meta.get("section", ""), lang=meta.get("lang", ""),
        acl=frozenset(meta.get("acl") or ()), path=meta.get("path", ""),
        title=meta.get("title", ""),
    )


def acl_where(tokens: Iterable[str]) -> dict[str, Any]:
    clauses = [{"acl": {"$contains": t}} for t in sorted(set(tokens))]
    if not clauses:
        raise ValueError("an access filter needs at least one token")
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def persistent_client(path: str):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(
        path=path, settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )


# Chroma's local write-ahead queue keeps every record it was sent (the chunk text in its metadata)
# until the vector segment has persisted past it, about a thousand writes later. A record whose
# id a later record of the queue deletes is not needed to replay the log (the vector segment
# needs vectors, never documents), so its metadata is cleared; then the freed pages go (VACUUM).
COMPACT_SCRIPT = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)
conn.execute("PRAGMA secure_delete=ON")
tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
cleared = 0
if "embeddings_queue" in tables:
    cleared = conn.execute(
        "UPDATE embeddings_queue SET metadata = NULL WHERE metadata IS NOT NULL"
        " AND operation != 3 AND EXISTS (SELECT 1 FROM embeddings_queue d"
        " WHERE d.topic = embeddings_queue.topic AND d.id = embeddings_queue.id"
        " AND d.operation = 3 AND d.seq_id > embeddings_queue.seq_id)").rowcount
if "embedding_fulltext_search" in tables:
    conn.execute("INSERT INTO embedding_fulltext_search (embedding_fulltext_search)"
                 " VALUES ('optimize')")
conn.execute("VACUUM")
conn.close()
print(cleared)
"""


def compact_local_store(path: str) -> int:
    """Make deleted chunks unreadable in a local Chroma directory's `chroma.sqlite3`: clear the
    queued records of deleted ids (operation 3 = delete), merge the full-text index, VACUUM.
    Returns the number of queued records cleared.

    It runs in a child process: Chroma's engine links its own copy of SQLite, and two copies in
    one process break each other's file locks (SQLite's "multiple copies" hazard: a VACUUM run
    here failed with a disk I/O error while this process searched). Across processes the locks
    hold, and the child waits for Chroma's connections."""
    import subprocess
    import sys

    db = os.path.join(path, "chroma.sqlite3")
    if not os.path.exists(db):
        return 0
    done = subprocess.run([sys.executable, "-I", "-c", COMPACT_SCRIPT, db], capture_output=True,
                          text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"compacting the Chroma store failed: {done.stderr.strip()[-500:]}")
    return int(done.stdout.split()[-1])


def http_client(url: str, token: str = "", token_header: str = "Authorization",
                tls_verify: str = "true"):
    """A client of a Chroma server (`chroma run`, the docker-compose service, Chroma's
    distributed deployment). `tls_verify` is 'true', 'false' or a CA bundle path."""
    from urllib.parse import urlsplit

    import chromadb
    from chromadb.config import Settings as ChromaSettings

    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
        raise ValueError(f"KB_CHROMA_URL={url!r}: expected http(s)://host[:port]")
    ssl = parts.scheme == "https"
    headers = {}
    if token:
        headers = ({"Authorization": f"Bearer {token}"} if token_header == "Authorization"
                   else {token_header: token})
    verify: bool | str = {"true": True, "false": False}.get(tls_verify.strip().lower(),
                                                            tls_verify.strip())
    settings = ChromaSettings(anonymized_telemetry=False, chroma_server_ssl_verify=verify)
    return chromadb.HttpClient(
        host=parts.hostname, port=parts.port or (443 if ssl else 8000), ssl=ssl,
        headers=headers, settings=settings,
    )


class ChromaVectorIndex:
    """Cheap to construct; the client and collection open on first use."""

    def __init__(self, client_factory: Callable[[], Any], collection: str,
                 overfetch: int = 3, local_path: str | None = None) -> None:
        self._client_factory = client_factory
        self.local_path = local_path  # the persistent client's folder (None: a server)
        self._name = collection
        self._collection = None
        self.overfetch = overfetch  # see query(); 1 = always filter inside Chroma's where

    @property
    def collection(self):
        if self._collection is None:
            client = self._client_factory()
            self._collection = client.get_or_create_collection(
                self._name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
            )
            self._batch = max(1, min(5000, client.get_max_batch_size()))
        return self._collection

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk")
        col = self.collection
        for s in range(0, len(chunks), self._batch):
            part = chunks[s : s + self._batch]
            col.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=[list(map(float, v)) for v in vectors[s : s + self._batch]],
                documents=[c.text for c in part],
                metadatas=[chunk_metadata(c) for c in part],
            )

    def delete_doc(self, doc_id: str, keep_version: str | None = None) -> None:
        where: dict[str, Any] = {"doc_id": doc_id}
        if keep_version is not None:
            where = {"$and": [where, {"version": {"$ne": keep_version}}]}
        self.collection.delete(where=where)

    def relabel(self, doc_id: str, acl: frozenset[str]) -> None:
        got = self.collection.get(where={"doc_id": doc_id}, include=["metadatas"])
        if not got["ids"]:
            return
        metas = [{**m, "acl": sorted(acl)} for m in got["metadatas"]]
        self.collection.update(ids=got["ids"], metadatas=metas)

    def ids(self) -> set[str]:
        col = self.collection
        out: set[str] = set()
        offset = 0
        while True:
            got = col.get(include=[], limit=self._batch, offset=offset)
            out.update(got["ids"])
            if len(got["ids"]) < self._batch:
                return out
            offset += self._batch

    def prune_siblings(self, prefix: str) -> list[str]:
        """Drop the collections of other embedding models (`{prefix}-*`), once nothing in the
        manifest refers to them. Returns the names dropped."""
        self.collection  # noqa: B018 - opens the client
        client = self._client_factory()
        dropped = []
        for col in client.list_collections():
            name = col if isinstance(col, str) else col.name
            if name.startswith(prefix + "-") and name != self._name:
                client.delete_collection(name)
                dropped.append(name)
        return dropped

    def count(self) -> int:
        return int(self.collection.count())

    def compact(self) -> int:
        """After deletions: a local store drops the deleted texts from its files (see
        `compact_local_store`); a Chroma server compacts by itself (docs/DEPLOY.md). Returns
        the queued records cleared."""
        return compact_local_store(self.local_path) if self.local_path else 0

    def query(self, vector: Sequence[float], k: int, tokens: Iterable[str]) -> Neighbours:
        """Cosine similarity (1 - distance), best first, among chunks readable with `tokens`.

        Chroma's local `where` costs about 2.5 microseconds per *matching* record (it lists
        them from SQLite before the vector search): 200 ms when a user may read 80k of 100k
        chunks. So with `overfetch` > 1 the nearest `k * overfetch` chunks are fetched without a
        filter and those the asker cannot read are dropped right here, before anything else
        sees them; only when that leaves fewer than k does the query run again with the access
        filter inside Chroma's `where`. Both ways return the nearest k readable chunks; the
        result says which path it took.
        """
        if k <= 0:
            return Neighbours()
        allowed = frozenset(tokens)
        where = acl_where(allowed)  # also refuses an empty token set
        vec = [list(map(float, vector))]
        include = ["documents", "metadatas", "distances"]
        if self.overfetch > 1:
            fetch = k * self.overfetch
            res = self.collection.query(query_embeddings=vec, n_results=fetch, include=include)
            rows = self._rows(res)
            readable = [(c, s) for c, s in rows if c.acl & allowed]
            if len(readable) >= k or len(rows) < fetch:  # enough, or the whole collection
                return Neighbours(tuple(readable[:k]), "overfetch")
        return Neighbours(tuple(self._rows(self.collection.query(
            query_embeddings=vec, n_results=k, where=where, include=include))), "where")

    @staticmethod
    def _rows(res) -> list[tuple[Chunk, float]]:
        """Chunks and similarities; a neighbour deleted while the query ran (an ingest
        replacing its document) comes back without metadata and is skipped."""
        return [
            (chunk_from(i, d, m), 1.0 - float(dist))
            for i, d, m, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0],
                                     res["distances"][0])
            if m is not None and d is not None
        ]
