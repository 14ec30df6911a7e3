"""Small pure parts of retrieval: query terms, BM25 scoring, fusion, grouping, highlighting,
reranking."""

from __future__ import annotations

import pytest

from kb.core.types import Chunk, Hit
from retriever.bm25 import K1, idf, score_pool, term_weights, weights
from retriever.fusion import convex, fuse, minmax, rrf
from retriever.keyword import fts_query
from retriever.grouping import doc_ranking, limit_per_doc
from kb.core.highlight import mark, snippet, term_spans
from retriever.rerank import Reranker, rerank
from kb.core.text import fold, query_terms, tokenize


def chunk(cid: str, doc: str = "d1", text: str = "text", acl=("public",)) -> Chunk:
    return Chunk(chunk_id=cid, doc_id=doc, version="v", ordinal=0, text=text, page=None,
                 char_start=0, char_end=len(text), section="", lang="en", acl=frozenset(acl))


# ---------------------------------------------------------------- query terms
def test_query_terms_drop_stopwords_and_question_words():
    assert query_terms("What is the annual leave policy?") == ["annual", "leav", "polici"]
    assert "什么" not in query_terms("矮菜豆是什么类型的豆类？")
    assert "的" not in query_terms("矮菜豆是什么类型的豆类？")
    assert "豆类" in query_terms("矮菜豆是什么类型的豆类？")
    # the words jieba makes of a question ("how long", "how many days") are question words too
    assert query_terms("试用期多长时间？") == ["试用", "试用期", "时间"]
    assert query_terms("婚假有几天？") == ["婚假"]
    assert query_terms("How many sick days do I get?") == ["sick", "day"]


def test_query_terms_keep_stopwords_when_nothing_else_is_left():
    assert query_terms("to be or not to be") == ["to", "be", "or", "not"]


def test_query_terms_are_distinct_and_ordered():
    assert query_terms("leave leave policy leave") == ["leav", "polici"]


def test_accents_fold_like_fts5():
    assert fold("Beyoncé") == "Beyonce"
    assert tokenize("Frédéric Chopin") == tokenize("Frederic chopin")
    assert fold("北京") == "北京"


def test_mixed_language_query_keeps_both_sides():
    terms = query_terms("VPN 密码长度 policy")
    assert "vpn" in terms and "polici" in terms and "密码" in terms


# ------------------------------------------------------------------ BM25 parts
def test_fts_query_quotes_every_term_once():
    assert fts_query(["a", 'say "hi"', "a"]) == '"a" OR "say ""hi"""'
    assert fts_query(["x", "y"], every=True) == '"x" AND "y"'


def test_weights_leave_out_terms_no_readable_chunk_contains():
    assert weights(["leav", "vpn", "zzz"], 10, {"leav": 2, "vpn": 0}) == {"leav": idf(10, 2)}
    assert weights(["leav"], 0, {}) == {}


def test_term_weights_weigh_an_unknown_term_as_the_rarest():
    assert term_weights(["leav", "zzz"], 10, {"leav": 2}) == {"leav": idf(10, 2), "zzz": idf(10, 0)}
    assert term_weights(["leav"], 0, {}) == {}
    assert idf(10, 10) > 0 and idf(10, 1) > idf(10, 5)


def test_score_pool_is_bm25_over_the_ceiling():
    wts = {"leav": 2.0, "day": 1.0}
    pool = [{"rowid": 1, "tokens": "leav leav day", "n_tokens": 3},
            {"rowid": 2, "tokens": "day other words", "n_tokens": 3},
            {"rowid": 3, "tokens": "nothing", "n_tokens": 1}]
    scored = {rowid: s for s, rowid in score_pool(pool, wts, avgdl=3.0)}
    ceiling = 3.0 * (K1 + 1.0)
    assert scored[2] == pytest.approx(1.0 * (K1 + 1.0) / (1 + K1) / ceiling)
    assert 1.0 > scored[1] > scored[2] > scored[3] == 0.0


# --------------------------------------------------------------------- fusion
def test_rrf_rewards_agreement():
    scores = rrf([["a", "b", "c"], ["b", "a", "d"]], [1.0, 1.0], k=60)
    assert scores["a"] == pytest.approx(scores["b"])
    assert scores["a"] > scores["c"] > 0 and scores["c"] == pytest.approx(scores["d"])


def test_rrf_weights():
    scores = rrf([["a"], ["b"]], [2.0, 1.0], k=1)
    assert scores == {"a": 1.0, "b": 0.5}


def test_minmax_scales_to_unit_interval_and_handles_ties():
    assert minmax({"a": 3.0, "b": 1.0, "c": 2.0}) == {"a": 1.0, "b": 0.0, "c": 0.5}
    assert minmax({"a": 0.4, "b": 0.4}) == {"a": 1.0, "b": 1.0}
    assert minmax({}) == {}


def test_convex_combines_scaled_scores():
    out = convex([{"a": 0.9, "b": 0.5}, {"b": 10.0, "c": 2.0}], [0.5, 0.5])
    assert out == pytest.approx({"a": 0.5, "b": 0.5, "c": 0.0})


def test_fuse_dispatches_and_rejects_unknown_methods():
    lists = [[("a", 0.9), ("b", 0.1)], [("b", 5.0)]]
    assert fuse(lists, [1, 1], "rrf", 60) == rrf([["a", "b"], ["b"]], [1, 1], 60)
    assert fuse(lists, [1, 1], "convex") == convex([{"a": 0.9, "b": 0.1}, {"b": 5.0}], [1, 1])
    with pytest.raises(ValueError, match="unknown fusion"):
        fuse(lists, [1, 1], "borda")


# ------------------------------------------------------------------- grouping
def test_limit_per_doc_keeps_order_and_caps_each_document():
    hits = [Hit(chunk(f"c{i}", doc), 1.0 - i / 10) for i, doc in
            enumerate(["A", "A", "A", "B", "A", "C"])]
    got = limit_per_doc(hits, k=10, per_doc=2)
    assert [h.chunk.chunk_id for h in got] == ["c0", "c1", "c3", "c5"]
    assert [h.chunk.chunk_id for h in limit_per_doc(hits, k=2, per_doc=1)] == ["c0", "c3"]
    assert doc_ranking(got) == ["A", "B", "C"]


# ---------------------------------------------------------------- highlighting
def test_term_spans_match_stemmed_english_and_segmented_chinese():
    text = "Employees receive 15 days of paid annual leave. 年休假5天。"
    spans = term_spans(text, "How many leave days? 年休假")
    words = {text[s:e] for s, e in spans}
    assert {"leave", "days", "年休假"} <= words
    assert "of" not in words


def test_snippet_windows_around_the_terms_and_marks_them():
    text = "Intro sentence. " * 30 + "The VPN requires multi-factor authentication. " + "Tail. " * 30
    snip, spans = snippet(text, "VPN authentication", width=120)
    assert len(snip) <= 125 and snip.startswith("…") and snip.endswith("…")
    marked = mark(snip, spans, "[", "]")
    assert "[VPN]" in marked and "[authentication]" in marked


# ------------------------------------------------------------------- reranking
class ReverseAlphabet:
    """A fake reranker: prefers passages whose text sorts last."""

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def score(self, query, passages):
        self.seen.append(list(passages))
        return [float(ord(p[0])) for p in passages]


def test_fake_reranker_satisfies_the_protocol():
    assert isinstance(ReverseAlphabet(), Reranker)


def test_rerank_reorders_only_the_head_and_records_the_signal():
    hits = [Hit(chunk(f"c{i}", text=t), 1.0) for i, t in enumerate(["a", "c", "b", "z"])]
    fake = ReverseAlphabet()
    got = rerank("q", hits, fake, depth=3)
    assert [h.chunk.text for h in got] == ["c", "b", "a", "z"]
    assert fake.seen == [["a", "c", "b"]]
    assert got[0].signals["rerank"] == float(ord("c")) and "rerank" not in got[3].signals


def test_rerank_refuses_a_wrong_number_of_scores():
    class Broken:
        def score(self, query, passages):
            return [1.0]

    with pytest.raises(ValueError, match="1 scores for 2"):
        rerank("q", [Hit(chunk("a"), 1), Hit(chunk("b"), 1)], Broken(), depth=5)
