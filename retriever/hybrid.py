"""Hybrid search: dense (Chroma) + keyword (FTS5) candidates, fused, filtered for the asker."""

from __future__ import annotations

import time

from kb.config import Settings
from kb.types import Hit, Principal
from retriever.filters import visible
from retriever.fusion import rrf


class HybridSearcher:
    def __init__(self, vectors, keywords, manifest, embedder, settings: Settings) -> None:
        self.vectors = vectors
        self.keywords = keywords
        self.manifest = manifest
        self.embedder = embedder
        self.settings = settings
        self.last_timings: dict[str, float] = {}

    def search(self, query: str, principal: Principal, k: int | None = None) -> list[Hit]:
        k = k or self.settings.search_k
        tokens = principal.acl_tokens()
        n = max(self.settings.search_candidates, k)
        t0 = time.perf_counter()
        qvec = self.embedder.embed_query(query)
        t1 = time.perf_counter()
        dense = self.vectors.query(qvec, n, tokens)
        t2 = time.perf_counter()
        keyword = self.keywords.search(query, n, tokens)
        t3 = time.perf_counter()
        chunks = {c.chunk_id: c for c, _ in [*dense, *keyword]}
        doc_ids = {c.doc_id for c in chunks.values()}
        allowed = {c.chunk_id for c in visible(
            chunks.values(), tokens, self.manifest.current_versions(doc_ids),
            self.manifest.current_acl(doc_ids))}
        dense_ids = [c.chunk_id for c, _ in dense if c.chunk_id in allowed]
        kw_ids = [c.chunk_id for c, _ in keyword if c.chunk_id in allowed]
        fused = rrf([dense_ids, kw_ids],
                    [self.settings.dense_weight, self.settings.keyword_weight], self.settings.rrf_k)
        dense_score = {c.chunk_id: s for c, s in dense}
        kw_score = {c.chunk_id: s for c, s in keyword}
        ranked = sorted(fused, key=lambda cid: (-fused[cid], cid))[:k]
        t4 = time.perf_counter()
        self.last_timings = {
            "embed_ms": (t1 - t0) * 1000, "dense_ms": (t2 - t1) * 1000,
            "keyword_ms": (t3 - t2) * 1000, "fuse_ms": (t4 - t3) * 1000,
            "total_ms": (t4 - t0) * 1000,
        }
        return [
            Hit(chunks[cid], fused[cid], {k_: v for k_, v in (
                ("dense", dense_score.get(cid)), ("keyword", kw_score.get(cid))) if v is not None})
            for cid in ranked
        ]
