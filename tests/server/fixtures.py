"""Fixtures for server mode, loaded by tests/conftest.py: one `chroma run` and one PostgreSQL
cluster per test session (started on first use, on 127.0.0.1), a fresh database or a clean
Chroma server per test. They skip only when the server programs are not installed."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest

from kb.core.testing import servers

_names = itertools.count(1)


@pytest.fixture(scope="session")
def chroma_server():
    if servers.chroma_cli() is None:
        pytest.skip("the `chroma` command is not installed")
    server = servers.start_chroma(Path(tempfile.mkdtemp(prefix="kb-chroma-")) / "data")
    yield server
    server.stop()


@pytest.fixture
def chroma_client_factory(chroma_server):
    """A factory of clients of the session's server, emptied of collections first."""
    from retriever.dense import http_client

    client = http_client(chroma_server.url)
    for col in client.list_collections():
        client.delete_collection(col if isinstance(col, str) else col.name)
    return lambda: client


@pytest.fixture(scope="session")
def postgres_server():
    if servers.pg_bin() is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    server = servers.start_postgres()
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres_server):
    """The URL of a new, empty database."""
    return postgres_server.create_database(f"kb_test_{next(_names)}")


@pytest.fixture
def pg_db(pg_url):
    from kb.core.postgres import PostgresDatabase

    db = PostgresDatabase(pg_url)
    yield db
    db.close()


@pytest.fixture(params=["embedded", "server"])
def backend(request):
    """Settings for one deployment, by name of a store set: {} (Chroma on disk + SQLite under
    `home`) or a real Chroma server + a new PostgreSQL database, distinct per name."""
    if request.param == "embedded":
        return lambda name: {}
    return request.getfixturevalue("server_stores")


@pytest.fixture
def server_stores(chroma_server, postgres_server):
    """`backend`'s server flavour alone."""

    def make(name: str) -> dict:
        n = next(_names)
        return {"chroma_url": chroma_server.url,
                "database_url": postgres_server.create_database(f"kb_{name}_{n}"),
                "collection": f"kb_{name}_{n}"}

    return make
