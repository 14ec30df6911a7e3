"""Hybrid search: dense (Chroma) + keyword (FTS5) candidates, filtered for the asker, fused,
optionally reranked, and grouped so that one document does not flood the top."""

from __future__ import annotations

import time
from collections.abc import Sequence

from kb.core.config import Settings
from kb.core.types import Chunk, Hit, Principal, SearchResult
from retriever.filters import assert_readable, visible
from retriever.fusion import fuse, minmax
from retriever.grouping import limit_per_doc
from retriever.rerank import Reranker, rerank
from retriever.translation import query_views
from kb.core.text import query_scripts

MODES = ("hybrid", "dense", "keyword")


class HybridSearcher:
    """`search()` is safe to call from several threads: it keeps no state of its own; each result
    carries its own timings and dense path."""

    def __init__(self, vectors, keywords, manifest, embedder, settings: Settings,
                 reranker: Reranker | None = None, centering=None, lexicon=None) -> None:
        self.vectors = vectors
        self.centering = centering  # retriever.centering.QueryCentering, or None
        self.lexicon = lexicon  # kb.core.lexicon.Lexicon for keyword query translation, or None
        self.keywords = keywords
        self.manifest = manifest
        self.embedder = embedder
        self.settings = settings
        self.reranker = reranker

    def warm_up(self, mode: str | None = None) -> None:
        """Load the embedding model, the Chinese segmenter and the stores `mode` uses, so that
        the first real search is not the slow one."""
        self.search("warm up 预热", Principal("warm-up"), k=1, mode=mode)

    def query_vector(self, query: str) -> list[float]:
        """The vector the dense side searches with: the query embedded, then centred on its
        language when centring is on."""
        qvec = self.embedder.embed_query(query)
        return qvec if self.centering is None else self.centering.center(query, qvec)

    def search(self, query: str, principal: Principal, k: int | None = None,
               mode: str | None = None) -> SearchResult:
        s = self.settings
        mode = mode or s.search_mode
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}: expected one of {', '.join(MODES)}")
        k = k or s.search_k
        tokens = principal.acl_tokens()
        n = max(s.search_candidates, k * s.max_per_doc)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()

        dense: list[tuple[Chunk, float]] = []
        keyword: list[tuple[Chunk, float]] = []
        dense_path = ""
        if mode in ("hybrid", "dense") and query.strip():
            t = time.perf_counter()
            qvec = self.query_vector(query)
            timings["embed_ms"] = _ms(t)
            t = time.perf_counter()
            neighbours = self.vectors.query(qvec, n, tokens)
            dense, dense_path = list(neighbours), neighbours.path
            timings["dense_ms"] = _ms(t)
        if mode in ("hybrid", "keyword"):
            t = time.perf_counter()
            views = query_views(query, self.lexicon) if self.lexicon is not None else ()
            keyword = self.keywords.search(query, n, tokens, views,
                                           s.keyword_translation_weight)
            timings["keyword_ms"] = _ms(t)

        t = time.perf_counter()
        chunks = {c.chunk_id: c for c, _ in [*dense, *keyword]}
        doc_ids = {c.doc_id for c in chunks.values()}
        allowed = {c.chunk_id for c in visible(
            chunks.values(), tokens, self.manifest.current_versions(doc_ids),
            self.manifest.current_acl(doc_ids))}

        dense = [(c, sc) for c, sc in dense if c.chunk_id in allowed]
        keyword = [(c, sc) for c, sc in keyword if c.chunk_id in allowed]
        timings["filter_ms"] = _ms(t)

        t = time.perf_counter()
        if mode == "hybrid":
            lists = [[(c.chunk_id, sc) for c, sc in lst] for lst in (dense, keyword)]
            fused = fuse(lists, [s.dense_weight, s.keyword_weight], s.fusion, s.rrf_k,
                         ["minmax", s.keyword_scaling])
            if s.fusion == "convex" and s.crosslang_dense_only:
                fused = _dense_only_across_languages(fused, dense, keyword, query, s)
        else:  # one list: its own scores
            fused = {c.chunk_id: sc for c, sc in (dense if mode == "dense" else keyword)}
        signals = _signals(dense, keyword)
        ranked = [Hit(chunks[cid], fused[cid], signals[cid])
                  for cid in sorted(fused, key=lambda cid: (-fused[cid], cid))]
        timings["fuse_ms"] = _ms(t)

        if self.reranker is not None and ranked:
            t = time.perf_counter()
            ranked = rerank(query, limit_per_doc(ranked, s.rerank_depth, s.max_per_doc),
                            self.reranker, s.rerank_depth)
            timings["rerank_ms"] = _ms(t)

        hits = limit_per_doc(ranked, k, s.max_per_doc)
        assert_readable((h.chunk for h in hits), tokens)
        timings["total_ms"] = _ms(t0)
        return SearchResult(tuple(hits), timings, dense_path)


def _dense_only_across_languages(fused, dense, keyword, query: str, s: Settings) -> dict[str, float]:
    """The keyword index can only match words in the query's script, so for a chunk in the
    other one its silence is no evidence. Such a chunk is credited, in proportion to its
    (min-max scaled) dense score, with the best keyword score the query reached on the chunks
    the keyword index could see: dense_weight * d + keyword_weight * d * best_keyword. It can
    therefore never outrank a same-language chunk that is at least as close in the dense list
    and the best keyword match (an earlier rule, (dense_weight + keyword_weight) * d, let a
    near-tie in dense beat the exact same-language passage in mixed corpora). A chunk whose
    keyword score from the translated query (retriever/translation.py) fuses higher keeps that.
    A query with no words at all (only numbers) changes nothing."""
    scripts = query_scripts(query)
    if not scripts:
        return fused
    dense_scaled = minmax({c.chunk_id: sc for c, sc in dense})
    kw = {c.chunk_id: sc for c, sc in keyword}
    if s.keyword_scaling == "minmax":
        kw = minmax(kw)
    best_keyword = max(kw.values(), default=0.0)
    out = dict(fused)
    for c, _ in dense:
        script = "cjk" if c.lang == "zh" else "latin" if c.lang == "en" else None
        if script is not None and script not in scripts:
            d = dense_scaled[c.chunk_id]
            credit = s.dense_weight * d + s.keyword_weight * d * best_keyword
            out[c.chunk_id] = max(credit, fused.get(c.chunk_id, 0.0))
    return out


def _signals(dense: Sequence[tuple[Chunk, float]], keyword: Sequence[tuple[Chunk, float]]):
    """Per chunk id: its dense cosine (to the centred query vector when centring is on) and
    rank, its keyword score and rank, where it has them."""
    out: dict[str, dict[str, float]] = {}
    for name, lst in (("dense", dense), ("keyword", keyword)):
        for rank, (c, score) in enumerate(lst, start=1):
            sig = out.setdefault(c.chunk_id, {})
            sig[name] = float(score)
            sig[f"{name}_rank"] = float(rank)
    return out


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0
