"""Read-side contract of the two search ports, run against the real indexes and the fake.

VectorIndex.query (Chroma, InMemoryIndex) and KeywordIndex.search (FTS5, PostgreSQL,
InMemoryIndex) must agree on what a caller may rely on: best first, at most k, access filtered
inside the index, deletions and relabels visible at once, chunks returned exactly as written, and
nothing a caller cannot read changes what they get. KeywordIndex's other reads (term_weights,
read_chunks) are held to the same rules on both real keyword indexes.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from kb.core.text import query_terms
from kb.core.types import Chunk, Principal
from kb.core.testing.fakes import BagOfWordsEmbeddings, InMemoryIndex
from retriever.bm25 import idf, index_text

PUBLIC = frozenset({"public"})
HR = frozenset({"group:hr"})
EMB = BagOfWordsEmbeddings()


def make_chunk(doc: str, n: int, text: str, acl=PUBLIC, version: str = "v1", **kw) -> Chunk:
    return Chunk(
        chunk_id=Chunk.make_id(doc, version, n), doc_id=doc, version=version, ordinal=n,
        text=text, page=kw.get("page"), char_start=kw.get("start", 0),
        char_end=kw.get("start", 0) + len(text), section=kw.get("section", ""),
        lang=kw.get("lang", "en"), acl=frozenset(acl), path=kw.get("path", f"{doc}.md"),
        title=kw.get("title", ""),
    )


CORPUS = [
    make_chunk("leave", 0, "Full-time employees receive 15 days of paid annual leave per year."),
    make_chunk("leave", 1, "Sick leave needs a medical certificate after three days."),
    make_chunk("vpn", 0, "The VPN requires multi-factor authentication for every login."),
    make_chunk("expenses", 0, "Expense claims are reimbursed with the next payroll.", page=2,
               section="Claims", title="Expenses"),
    make_chunk("zh_leave", 0, "员工累计工作已满1年不满10年的，年休假5天。", lang="zh"),
    make_chunk("zh_sec", 0, "员工密码长度不得少于14位，不同系统不得使用相同密码。", lang="zh"),
    make_chunk("salary", 0, "Salary bands: band L3 pays 76,000 to 98,000 per year.", acl=HR),
    make_chunk("salary", 1, "薪酬等级：L3级年薪范围为76,000至98,000。", acl=HR, lang="zh"),
]


# ------------------------------------------------------------------ fixtures
@pytest.fixture(params=["chroma", "chroma-server", "fake"])
def vectors(request, tmp_path):
    if request.param == "fake":
        return InMemoryIndex()
    from retriever.dense import ChromaVectorIndex, persistent_client

    if request.param == "chroma-server":
        return ChromaVectorIndex(request.getfixturevalue("chroma_client_factory"), "contract")
    return ChromaVectorIndex(lambda: persistent_client(str(tmp_path / "chroma")), "contract")


@pytest.fixture(params=["fts5", "postgres", "fake"])
def keywords(request, tmp_path):
    if request.param == "fake":
        yield InMemoryIndex()
        return
    if request.param == "postgres":
        from retriever.keyword_pg import PgKeywordIndex

        yield PgKeywordIndex(request.getfixturevalue("pg_db"))
        return
    from kb.core.sqlite import Database
    from retriever.keyword import FtsKeywordIndex

    db = Database(tmp_path / "kb.sqlite3")
    yield FtsKeywordIndex(db)
    db.close()


def fill_vectors(index, chunks=CORPUS):
    index.upsert(list(chunks), EMB.embed_documents([c.text for c in chunks]))


def fill_keywords(index, chunks=CORPUS):
    index.upsert(list(chunks), [])


def dense(index, text: str, k: int = 10, tokens=PUBLIC):
    """The index's Neighbours (a sequence of (chunk, score), with the path taken)."""
    return index.query(EMB.embed_query(text), k, tokens)


def ids(results) -> list[str]:
    return [c.chunk_id for c, _ in results]


def docs(results) -> list[str]:
    return [c.doc_id for c, _ in results]


# ------------------------------------------------------------- VectorIndex
class TestVectorIndexContract:
    def test_empty_index_returns_nothing(self, vectors):
        assert list(dense(vectors, "annual leave")) == []

    def test_nearest_first_with_cosine_scores(self, vectors):
        fill_vectors(vectors)
        got = dense(vectors, CORPUS[2].text)
        assert got[0][0].chunk_id == CORPUS[2].chunk_id
        assert got[0][1] == pytest.approx(1.0, abs=1e-4)
        scores = [s for _, s in got]
        assert scores == sorted(scores, reverse=True)
        assert all(-1.0 - 1e-6 <= s <= 1.0 + 1e-6 for s in scores)

    def test_at_most_k(self, vectors):
        fill_vectors(vectors)
        assert len(dense(vectors, "leave", k=2)) == 2
        assert len(dense(vectors, "leave", k=100)) == 6  # every public chunk, no more

    def test_access_filter_inside_the_index(self, vectors):
        fill_vectors(vectors)
        public = dense(vectors, "salary band L3 薪酬等级", k=100)
        assert "salary" not in docs(public)
        hr = dense(vectors, "salary band L3 薪酬等级", k=2, tokens=PUBLIC | HR)
        assert docs(hr) == ["salary", "salary"]
        assert list(dense(vectors, "salary", tokens=frozenset({"group:nobody"}))) == []

    def test_readable_chunks_behind_many_unreadable_neighbours_are_found(self, vectors):
        """The nearest chunks are all restricted: the reader still gets k readable ones."""
        secret = [make_chunk(f"s{i}", 0, f"salary band secret {i} salary", acl=HR)
                  for i in range(12)]
        fill_vectors(vectors, [*CORPUS, *secret])
        got = dense(vectors, "salary band secret", k=2)
        assert len(got) == 2 and all(c.acl & PUBLIC for c, _ in got)
        everyone = dense(vectors, "salary band secret", k=20, tokens=PUBLIC | HR)
        readable = [c.chunk_id for c, _ in everyone if c.acl & PUBLIC][:2]
        assert ids(got) == readable  # the nearest readable ones, in order

    def test_chunks_come_back_exactly_as_written(self, vectors):
        fill_vectors(vectors)
        got = {c.chunk_id: c for c, _ in dense(vectors, "anything", k=100, tokens=PUBLIC | HR)}
        for c in CORPUS:
            assert got[c.chunk_id] == c

    def test_delete_doc_and_keep_version(self, vectors):
        fill_vectors(vectors)
        newer = make_chunk("leave", 0, "Annual leave is 20 days from 2027.", version="v2")
        fill_vectors(vectors, [newer])
        vectors.delete_doc("leave", keep_version="v2")
        assert [c for c in docs(dense(vectors, "annual leave", k=100)) if c == "leave"] == ["leave"]
        assert newer.chunk_id in ids(dense(vectors, "annual leave", k=100))
        vectors.delete_doc("leave")
        assert "leave" not in docs(dense(vectors, "annual leave", k=100))

    def test_relabel_changes_who_finds_it(self, vectors):
        fill_vectors(vectors)
        vectors.relabel("vpn", HR)
        assert "vpn" not in docs(dense(vectors, "VPN authentication", k=100))
        assert docs(dense(vectors, "VPN authentication", k=1, tokens=PUBLIC | HR)) == ["vpn"]

    def test_unreadable_chunks_do_not_change_what_others_get(self, vectors):
        fill_vectors(vectors, [c for c in CORPUS if c.acl == PUBLIC])
        before = dense(vectors, "annual leave days salary", k=3)  # distinct scores
        fill_vectors(vectors, [
            make_chunk(f"secret{i}", 0, "annual leave days salary secret " * (i + 1), acl=HR)
            for i in range(5)])
        after = dense(vectors, "annual leave days salary", k=3)
        assert ids(after) == ids(before)
        assert [s for _, s in after] == pytest.approx([s for _, s in before], abs=1e-5)


# ------------------------------------------------------------ KeywordIndex
class TestKeywordIndexContract:
    def test_empty_index_and_empty_query(self, keywords):
        assert keywords.search("annual leave", 10, PUBLIC) == []
        fill_keywords(keywords)
        assert keywords.search("", 10, PUBLIC) == []
        assert keywords.search("？！。", 10, PUBLIC) == []

    def test_only_chunks_sharing_a_term(self, keywords):
        fill_keywords(keywords)
        got = keywords.search("medical certificate", 10, PUBLIC)
        assert ids(got) == [CORPUS[1].chunk_id]
        assert got[0][1] > 0

    def test_english_is_stemmed(self, keywords):
        fill_keywords(keywords)
        assert docs(keywords.search("certificates", 10, PUBLIC)) == ["leave"]
        assert "expenses" in docs(keywords.search("reimbursing claim", 10, PUBLIC))

    def test_chinese_is_segmented(self, keywords):
        fill_keywords(keywords)
        assert docs(keywords.search("年休假有几天", 10, PUBLIC))[0] == "zh_leave"
        assert docs(keywords.search("密码长度", 10, PUBLIC))[0] == "zh_sec"

    def test_more_shared_terms_rank_higher_best_first(self, keywords):
        fill_keywords(keywords)
        got = keywords.search("annual leave days", 10, PUBLIC)
        assert got[0][0].chunk_id == CORPUS[0].chunk_id
        scores = [s for _, s in got]
        assert scores == sorted(scores, reverse=True)

    def test_at_most_k(self, keywords):
        fill_keywords(keywords)
        assert len(keywords.search("leave days", 1, PUBLIC)) == 1

    def test_access_filter_inside_the_index(self, keywords):
        fill_keywords(keywords)
        assert keywords.search("salary band L3", 10, PUBLIC) == []
        assert keywords.search("薪酬等级", 10, PUBLIC) == []
        assert set(docs(keywords.search("salary band L3 薪酬", 10, PUBLIC | HR))) == {"salary"}

    def test_query_syntax_cannot_be_injected(self, keywords):
        fill_keywords(keywords)
        for q in ['"unbalanced', "leave AND NOT sick", "leave* OR", "NEAR(leave sick)",
                  "col:leave", "'; DROP TABLE kw_chunks; --", "^leave", "(leave"]:
            for c, _ in keywords.search(q, 10, PUBLIC):
                assert c.acl & PUBLIC
        assert docs(keywords.search("leave", 10, PUBLIC))

    def test_chunks_come_back_exactly_as_written(self, keywords):
        fill_keywords(keywords)
        got = {c.chunk_id: c for c, _ in keywords.search(
            "leave VPN expense 年休假 密码 salary 薪酬 payroll", 100, PUBLIC | HR)}
        for c in CORPUS:
            assert got[c.chunk_id] == c

    def test_delete_doc_and_keep_version(self, keywords):
        fill_keywords(keywords)
        newer = make_chunk("leave", 0, "Annual leave is 20 days from 2027.", version="v2")
        fill_keywords(keywords, [newer])
        keywords.delete_doc("leave", keep_version="v2")
        assert ids(keywords.search("leave", 10, PUBLIC)) == [newer.chunk_id]
        keywords.delete_doc("leave")
        assert keywords.search("leave", 10, PUBLIC) == []

    def test_relabel_changes_who_finds_it(self, keywords):
        fill_keywords(keywords)
        keywords.relabel("vpn", HR)
        assert keywords.search("VPN", 10, PUBLIC) == []
        assert docs(keywords.search("VPN", 10, PUBLIC | HR)) == ["vpn"]

    def test_unreadable_chunks_do_not_change_what_others_get(self, keywords):
        """BM25 statistics of restricted chunks must not move a reader's scores or order."""
        fill_keywords(keywords, [c for c in CORPUS if c.acl == PUBLIC])
        query = "annual leave days VPN payroll"
        before = keywords.search(query, 10, PUBLIC)
        fill_keywords(keywords, [
            make_chunk(f"secret{i}", 0, "leave leave days secret memo " * (i + 1), acl=HR)
            for i in range(8)])
        after = keywords.search(query, 10, PUBLIC)
        assert ids(after) == ids(before)
        assert [s for _, s in after] == pytest.approx([s for _, s in before])


@pytest.mark.parametrize("keywords", ["fts5", "postgres"], indirect=True)
class TestKeywordReadsContract:
    """term_weights and read_chunks: visible statistics and access-filtered reads."""

    def test_term_weights_are_idf_over_readable_chunks_only(self, keywords):
        fill_keywords(keywords)
        terms = query_terms("annual leave days VPN salary 年休假 zzzunknown")
        readable = [index_text(c).split() for c in CORPUS if c.acl & PUBLIC]
        df = {t: sum(t in toks for toks in readable) for t in terms}
        expected = {t: idf(len(readable), n) for t, n in df.items()}
        got = keywords.term_weights(terms, PUBLIC)
        assert got == pytest.approx(expected)
        rarest = idf(len(readable), 0)  # df 0 among readable chunks: the rarest possible term
        assert got["zzzunknown"] == got["salari"] == pytest.approx(rarest)
        assert keywords.term_weights(terms, PUBLIC | HR)["salari"] < rarest

    def test_term_weights_are_empty_when_nothing_is_readable(self, keywords):
        assert keywords.term_weights(["leav"], PUBLIC) == {}
        fill_keywords(keywords)
        assert keywords.term_weights(["leav"], frozenset({"group:nobody"})) == {}

    def test_a_restricted_document_does_not_change_another_principal_s_weights(self, keywords):
        fill_keywords(keywords)
        terms = query_terms("annual leave days VPN payroll")
        before = keywords.term_weights(terms, PUBLIC)
        fill_keywords(keywords, [
            make_chunk(f"secret{i}", 0, "annual leave days VPN payroll secret", acl=HR)
            for i in range(8)])
        assert keywords.term_weights(terms, PUBLIC) == pytest.approx(before)
        assert keywords.term_weights(terms, PUBLIC | HR) != pytest.approx(before)

    def test_read_chunks_returns_one_version_in_order(self, keywords):
        fill_keywords(keywords, list(reversed(CORPUS)))
        assert keywords.read_chunks("leave", "v1", PUBLIC) == [CORPUS[0], CORPUS[1]]
        assert keywords.read_chunks("leave", "v2", PUBLIC) == []
        newer = make_chunk("leave", 0, "Annual leave is 20 days from 2027.", version="v2")
        fill_keywords(keywords, [newer])
        assert keywords.read_chunks("leave", "v2", PUBLIC) == [newer]
        assert keywords.read_chunks("leave", "v1", PUBLIC) == [CORPUS[0], CORPUS[1]]
        assert keywords.read_chunks("missing", "v1", PUBLIC) == []

    def test_read_chunks_filters_access_inside_the_read(self, keywords):
        fill_keywords(keywords)
        assert keywords.read_chunks("salary", "v1", PUBLIC) == []
        assert keywords.read_chunks("salary", "v1", frozenset()) == []
        assert keywords.read_chunks("salary", "v1", PUBLIC | HR) == [CORPUS[6], CORPUS[7]]
        keywords.relabel("salary", PUBLIC)
        assert [c.chunk_id for c in keywords.read_chunks("salary", "v1", PUBLIC)] == [
            CORPUS[6].chunk_id, CORPUS[7].chunk_id]
        assert keywords.read_chunks("salary", "v1", HR) == []


def test_principal_tokens_find_their_own_chunks(keywords):
    """A user token written on a chunk is found by that user only."""
    mine = make_chunk("note", 0, "private quarterly memo", acl={"user:alice"})
    fill_keywords(keywords, [*CORPUS, mine])
    alice = Principal("alice").acl_tokens()
    assert docs(keywords.search("quarterly memo", 10, alice)) == ["note"]
    assert keywords.search("quarterly memo", 10, Principal("bob").acl_tokens()) == []
    fill = replace(mine, chunk_id="x")  # a different chunk id, same doc: still only alice
    fill_keywords(keywords, [fill])
    assert keywords.search("quarterly memo", 10, Principal("bob").acl_tokens()) == []


def test_chroma_takes_the_unfiltered_path_when_it_suffices_and_the_where_path_otherwise(tmp_path):
    """Both ways of the real index answer; which one ran is recorded."""
    from retriever.dense import ChromaVectorIndex, persistent_client

    index = ChromaVectorIndex(lambda: persistent_client(str(tmp_path / "c")), "paths", overfetch=2)
    secret = [make_chunk(f"s{i}", 0, f"salary band secret {i} salary", acl=HR) for i in range(12)]
    fill_vectors(index, [*CORPUS, *secret])
    assert dense(index, "annual leave days", k=2).path == "overfetch"
    got = dense(index, "salary band secret", k=2)
    assert got.path == "where" and len(got) == 2
    always = ChromaVectorIndex(lambda: persistent_client(str(tmp_path / "c")), "paths", overfetch=1)
    again = dense(always, "salary band secret", k=2)
    assert ids(again) == ids(got)
    assert again.path == "where"
