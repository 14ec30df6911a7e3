"""Language-centred query vectors, language shares, and cross-language fusion."""

from __future__ import annotations

import numpy as np
import pytest

from kb.core.config import Settings
from kb.core.sqlite import Database
from kb.core.types import Chunk, Principal
from retriever.centering import QueryCentering
from retriever.fusion import convex
from retriever.hybrid import HybridSearcher
from kb.core.text import cjk_share, query_scripts
from kb.core.testing.fakes import BagOfWordsEmbeddings, InMemoryIndex


class CountingEmbeddings(BagOfWordsEmbeddings):
    def __init__(self) -> None:
        super().__init__()
        self.queries = 0

    def embed_query(self, text):
        self.queries += 1
        return super().embed_query(text)


PROBES = {"zh": ("年假有几天？", "报销需要什么？"), "en": ("How many days of leave?", "Who approves?")}


def test_cjk_share_counts_characters_against_words():
    assert cjk_share("年休假") == 1.0 and cjk_share("annual leave") == 0.0
    assert cjk_share("VPN 密码长度 policy") == pytest.approx(4 / 6)
    assert cjk_share("2024 ？") == 0.0


def test_query_scripts():
    assert query_scripts("What is the VPN policy?") == {"latin"}
    assert query_scripts("如何连接公司的VPN？") == {"cjk", "latin"}
    assert query_scripts("年休假有几天") == {"cjk"}
    assert query_scripts("2024") == set()


def test_means_are_computed_once_and_kept_in_the_database(tmp_path):
    db = Database(tmp_path / "cache.sqlite3")
    emb = CountingEmbeddings()
    first = QueryCentering(emb, db, "m1", PROBES)
    mean = first.mean("zh")
    assert emb.queries == 2
    expected = np.mean([emb._vec(q) for q in PROBES["zh"]], axis=0)
    assert np.allclose(mean, expected, atol=1e-6)
    second = QueryCentering(emb, db, "m1", PROBES)
    assert np.allclose(second.mean("zh"), mean) and emb.queries == 2  # read back, not embedded
    other_model = QueryCentering(emb, db, "m2", PROBES)
    other_model.mean("zh")
    assert emb.queries == 4
    changed = QueryCentering(emb, db, "m1", {**PROBES, "zh": ("另一个问题？",)})
    changed.mean("zh")
    assert emb.queries == 5  # other probe questions, other mean
    db.close()


def test_center_subtracts_the_language_mean_and_normalises():
    emb = BagOfWordsEmbeddings()
    c = QueryCentering(emb, None, "m", PROBES)
    q = "How many days of annual leave?"
    v = np.asarray(c.center(q, emb.embed_query(q)))
    raw = np.asarray(emb.embed_query(q)) - c.mean("en")
    assert np.linalg.norm(v) == pytest.approx(1.0)
    assert np.allclose(v, raw / np.linalg.norm(raw))
    mixed = "VPN 密码长度 policy"
    m = np.asarray(c.center(mixed, emb.embed_query(mixed)))
    share = cjk_share(mixed)
    want = np.asarray(emb.embed_query(mixed)) - (share * c.mean("zh") + (1 - share) * c.mean("en"))
    assert np.allclose(m, want / np.linalg.norm(want))


def test_a_query_equal_to_the_mean_is_left_alone():
    emb = BagOfWordsEmbeddings()
    c = QueryCentering(emb, None, "m", {"zh": ("年假",), "en": ("leave",)})
    v = emb.embed_query("leave")
    assert c.center("leave", v) == pytest.approx(v)


def test_convex_without_scaling_keeps_scores():
    out = convex([{"a": 0.9, "b": 0.5}, {"b": 0.3, "c": 0.1}], [1.0, 2.0], ["minmax", "none"])
    assert out == pytest.approx({"a": 1.0, "b": 0.6, "c": 0.2})
    with pytest.raises(ValueError, match="unknown scaling"):
        convex([{"a": 1.0}], [1.0], ["zscore"])


class _Manifest:
    def __init__(self, chunks):
        self.chunks = chunks

    def current_versions(self, doc_ids):
        return {c.doc_id: c.version for c in self.chunks if c.doc_id in set(doc_ids)}

    def current_acl(self, doc_ids):
        return {c.doc_id: c.acl for c in self.chunks if c.doc_id in set(doc_ids)}


def _chunk(doc, text, lang):
    return Chunk(chunk_id=f"{doc}:v:0", doc_id=doc, version="v", ordinal=0, text=text, page=None,
                 char_start=0, char_end=len(text), section="", lang=lang,
                 acl=frozenset({"public"}), path=f"{doc}.md")


def test_chunks_in_a_script_the_query_lacks_get_keyword_credit_from_their_dense_standing():
    """An English question: the Chinese chunk cannot match its words, so its silence on the
    keyword side must not count against it; it is credited with the best keyword score the
    query reached, scaled by its dense standing."""
    chunks = [_chunk("en1", "remote work policy days per week office", "en"),
              _chunk("en2", "remote desktop software for the office", "en"),
              _chunk("zh1", "远程办公 每周 最多 三天", "zh")]
    index = InMemoryIndex()
    vectors = {"en1": [0.6, 0.8, 0.0], "en2": [0.0, 0.6, 0.8], "zh1": [1.0, 0.0, 0.0]}
    index.upsert(chunks, [vectors[c.doc_id] for c in chunks])

    class Emb:
        def embed_query(self, text):
            return [1.0, 0.0, 0.0]

    settings = Settings(dense_weight=1.0, keyword_weight=2.0, keyword_scaling="none")
    searcher = HybridSearcher(index, index, _Manifest(chunks), Emb(), settings)
    hits = searcher.search("remote work office", Principal("u"), k=3)
    by_doc = {h.chunk.doc_id: h for h in hits}
    best_keyword = searcher.search("remote work office", Principal("u"), k=3, mode="keyword")[0]
    assert best_keyword.score > 0
    # its min-max dense score is 1: 1 * 1 + 2 * 1 * (the best keyword score the query reached)
    assert by_doc["zh1"].score == pytest.approx(1.0 + 2.0 * best_keyword.score)
    off = HybridSearcher(index, index, _Manifest(chunks), Emb(),
                         settings.model_copy(update={"crosslang_dense_only": False}))
    assert {h.chunk.doc_id: h.score for h in off.search("remote work office", Principal("u"), k=3)
            }["zh1"] == pytest.approx(1.0)


def test_a_query_of_numbers_only_keeps_keyword_evidence_everywhere():
    from retriever.hybrid import _dense_only_across_languages

    c = _chunk("zh1", "2024年", "zh")
    fused = {"zh1:v:0": 0.7}
    assert _dense_only_across_languages(fused, [(c, 0.9)], [], "2024", Settings()) == fused
    assert _dense_only_across_languages(fused, [(c, 0.9)], [], "year 2024", Settings()) != fused


def test_a_near_tie_in_dense_does_not_lift_the_other_language_above_the_exact_passage():
    """Mixed corpus, parallel policies: the same-language passage that is the best keyword
    match and (barely) the best dense match stays first."""
    chunks = [_chunk("zh1", "年休假 五天 十天", "zh"), _chunk("en1", "public holidays calendar", "en"),
              _chunk("zh2", "病假 证明", "zh")]
    index = InMemoryIndex()
    vectors = {"zh1": [1.0, 0.0, 0.0], "en1": [0.99, 0.141, 0.0], "zh2": [0.0, 1.0, 0.0]}
    index.upsert(chunks, [vectors[c.doc_id] for c in chunks])

    class Emb:
        def embed_query(self, text):
            return [1.0, 0.0, 0.0]

    settings = Settings(dense_weight=1.0, keyword_weight=2.0, keyword_scaling="none")
    hits = HybridSearcher(index, index, _Manifest(chunks), Emb(), settings).search(
        "年休假有几天", Principal("u"), k=3)
    assert [h.chunk.doc_id for h in hits][:2] == ["zh1", "en1"]


def test_chinese_numbers_that_count_something_are_read_as_digits():
    """"那满二十年呢？" asks about the policy's "已满20年的": the question and the passage
    must share the number's term, whichever way each writes it."""
    from kb.core.text import arabic_numerals

    cases = {"工作满二十年有几天年假？": "工作满20年有几天年假？", "十五天": "15天",
             "两个人": "2个人", "二〇二四年": "2024年", "一百零五元": "105元",
             "三十五岁": "35岁", "统一规定": "统一规定", "一些": "一些", "十分重要": "十分重要"}
    assert {k: arabic_numerals(k) for k in cases} == cases
    from assistant.passages import text_terms

    assert "20" in text_terms("已满二十年的，年休假15天。") & text_terms("已满20年的")
