"""One contract for every index ingestion keeps in sync, run against each real implementation
and the in-memory fake."""

from __future__ import annotations

import pytest

from kb.core.sqlite import Database
from kb.core.types import Chunk, Principal
from retriever.dense import ChromaVectorIndex, persistent_client
from retriever.keyword import FtsKeywordIndex
from kb.core.testing.fakes import BagOfWordsEmbeddings, InMemoryIndex

EMB = BagOfWordsEmbeddings()


def make_chunks(doc_id: str, version: str, texts: list[str], acl=frozenset({"public"})):
    return [
        Chunk(chunk_id=Chunk.make_id(doc_id, version, i), doc_id=doc_id, version=version,
              ordinal=i, text=t, page=i + 1 if i % 2 else None, char_start=10 * i,
              char_end=10 * i + len(t), section="A > B", lang="en", acl=acl,
              path=f"{doc_id}.md", title=f"Title {doc_id}")
        for i, t in enumerate(texts)
    ]


def vectors(chunks):
    return EMB.embed_documents([c.text for c in chunks])


@pytest.fixture(params=["chroma", "chroma-server", "fts5", "postgres", "memory"])
def index(request, tmp_path):
    if request.param == "chroma":
        yield ChromaVectorIndex(lambda: persistent_client(str(tmp_path / "chroma")), "contract")
    elif request.param == "chroma-server":
        yield ChromaVectorIndex(request.getfixturevalue("chroma_client_factory"), "contract")
    elif request.param == "fts5":
        db = Database(tmp_path / "kb.sqlite3")
        yield FtsKeywordIndex(db)
        db.close()
    elif request.param == "postgres":
        from retriever.keyword_pg import PgKeywordIndex

        yield PgKeywordIndex(request.getfixturevalue("pg_db"))
    else:
        yield InMemoryIndex()


def test_upsert_is_idempotent_and_ids_are_exact(index):
    chunks = make_chunks("d1", "v1", ["annual leave days", "sick leave notes", "parental leave"])
    index.upsert(chunks, vectors(chunks))
    index.upsert(chunks, vectors(chunks))
    assert index.ids() == {c.chunk_id for c in chunks}


def test_delete_doc_keeps_only_the_named_version(index):
    old = make_chunks("d1", "v1", ["old text one", "old text two", "old three"])
    new = make_chunks("d1", "v2", ["new text one"])
    other = make_chunks("d2", "v1", ["other doc"])
    for part in (old, new, other):
        index.upsert(part, vectors(part))
    index.delete_doc("d1", keep_version="v2")
    assert index.ids() == {new[0].chunk_id, other[0].chunk_id}
    index.delete_doc("d1")
    assert index.ids() == {other[0].chunk_id}
    index.delete_doc("missing")
    assert index.ids() == {other[0].chunk_id}


def _find(index, text, tokens):
    if hasattr(index, "search") and not isinstance(index, ChromaVectorIndex):
        return [c for c, _ in index.search(text, 10, tokens)]
    return [c for c, _ in index.query(EMB.embed_query(text), 10, tokens)]


def test_relabel_changes_who_can_find_a_chunk(index):
    chunks = make_chunks("d1", "v1", ["salary bands for engineers"], acl=frozenset({"group:hr"}))
    index.upsert(chunks, vectors(chunks))
    hr = Principal("a", frozenset({"hr"})).acl_tokens()
    sales = Principal("b", frozenset({"sales"})).acl_tokens()
    assert [c.chunk_id for c in _find(index, "salary bands", hr)] == [chunks[0].chunk_id]
    assert _find(index, "salary bands", sales) == []
    index.relabel("d1", frozenset({"group:sales"}))
    assert [c.acl for c in _find(index, "salary bands", sales)] == [frozenset({"group:sales"})]
    assert _find(index, "salary bands", hr) == []


def test_chunks_round_trip_with_their_provenance(index):
    chunks = make_chunks("d1", "v1", ["员工每年享有带薪年假", "expense claims within 30 days"])
    index.upsert(chunks, vectors(chunks))
    found = {c.chunk_id: c for c in _find(index, "expense claims within 30 days", {"public"})}
    assert found[chunks[1].chunk_id] == chunks[1]
