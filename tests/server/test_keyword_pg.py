"""What is particular to the PostgreSQL keyword index: lexemes stored exactly as our tokenizer
made them (Chinese words from jieba, stemmed English), queries that cannot break the tsquery
syntax, and the access filter inside the one SQL statement that proposes candidates."""

from __future__ import annotations

import pytest

from kb.core.types import Chunk
from retriever.keyword_pg import PgKeywordIndex, tsquery
from kb.core.text import tokenize


def chunk(doc: str, text: str, acl=frozenset({"public"})) -> Chunk:
    return Chunk(chunk_id=Chunk.make_id(doc, "v1", 0), doc_id=doc, version="v1", ordinal=0,
                 text=text, page=None, char_start=0, char_end=len(text), section="", lang="zh",
                 acl=acl, path=f"{doc}.md", title="")


@pytest.fixture
def index(pg_db):
    idx = PgKeywordIndex(pg_db)
    idx.upsert([
        chunk("leave", "员工累计工作已满1年不满10年的，年休假5天。"),
        chunk("vpn", "Employees' VPN logins require multi-factor authentication."),
        chunk("pay", "薪酬等级：L3级年薪范围为76,000至98,000。", frozenset({"group:hr"})),
    ])
    return idx


def test_lexemes_are_the_tokenizer_s_tokens_verbatim(index, pg_db):
    text = "员工累计工作已满1年不满10年的，年休假5天。"
    row = pg_db.query("SELECT tsv::text AS tsv, tokens FROM kw_chunks WHERE doc_id = 'leave'")[0]
    assert row["tokens"].split() == tokenize(f"\n\n{text}")
    lexemes = {lex.strip("'") for lex in row["tsv"].split()}
    assert lexemes == set(row["tokens"].split())
    assert "年休假" in lexemes


def test_chinese_and_english_queries_find_their_chunks(index):
    assert [c.doc_id for c, _ in index.search("年休假有几天", 5, {"public"})] == ["leave"]
    assert [c.doc_id for c, _ in index.search("VPN authentication", 5, {"public"})] == ["vpn"]


@pytest.mark.parametrize("query", ["employees' vpn", "a\\b & c | !d", "'", "(年薪) <-> :*"])
def test_no_query_breaks_the_tsquery(index, query):
    index.search(query, 5, {"public", "group:hr"})  # no syntax error, whatever it finds


def test_tsquery_quotes_every_term():
    assert tsquery(["a", "it's"]) == "'a' | 'it''s'"
    assert tsquery(["x", "y\\\\"], every=True) == "'x' & 'y\\\\\\\\'"


def test_the_candidate_query_filters_access_inside_the_sql(index, pg_db):
    assert index.search("年薪 L3", 5, {"public"}) == []
    assert [c.doc_id for c, _ in index.search("年薪 L3", 5, {"group:hr"})] == ["pay"]
    rows = index.candidates(tokenize("年薪"), False, ["public"], 10)
    assert rows == []  # not proposed at all, not dropped afterwards
    assert len(index.candidates(tokenize("年薪"), False, ["group:hr"], 10)) == 1
