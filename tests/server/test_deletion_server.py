"""Deletion in server mode (issue 15, finding 7): after `kb delete` and after "Delete my history",
a unique sentinel occurs in no file of the Chroma server's data directory, of the PostgreSQL
cluster (tables, indexes, WAL) or of KB_HOME. Both servers are the tests' own, on 127.0.0.1,
configured as docs/DEPLOY.md asks (`wal_recycle = off`; the Chroma server's directory reachable
through `chroma_server_path`)."""

from __future__ import annotations

import json
import uuid

import pytest
from typer.testing import CliRunner

from kb.app.service import KnowledgeBase
from kb.app.wiring import build
from kb.cli import app as cli
from kb.core.config import Settings
from kb.core.testing.fakes import BagOfWordsEmbeddings
from kb.core.types import Principal
from tests.integration.test_deletion import occurrences_of

pytestmark = pytest.mark.slow


@pytest.fixture
def sentinel():
    return "Qzx" + uuid.uuid4().hex[:10]  # the servers are shared by the session's tests


@pytest.fixture
def server_app(tmp_path, server_stores, chroma_server):
    settings = Settings(home=tmp_path / "kbhome", chunk_size=200, chunk_overlap=40,
                        chroma_server_path=str(chroma_server.path), **server_stores("purge"))
    app = build(settings, embedder_override=BagOfWordsEmbeddings())
    yield app
    app.close()


def traces(sentinel, app, chroma_server, postgres_server) -> dict[str, dict[str, int]]:
    return {name: found for name, found in (
        ("chroma server", occurrences_of(sentinel, chroma_server.path)),
        ("postgresql", occurrences_of(sentinel, postgres_server.datadir)),
        ("home", occurrences_of(sentinel, app.settings.home))) if found}


def test_kb_delete_leaves_no_trace_in_the_servers_files(tmp_path, server_app, sentinel,
                                                       chroma_server, postgres_server):
    """Before: PostgreSQL kept the chunk as a dead tuple, in its GIN index and in the WAL;
    the Chroma server's write-ahead queue kept the chunk text."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    secret = corpus / "secret.md"
    secret.write_text(f"# Plans\n\nThe codename is {sentinel} for the merger.\n", "utf-8")
    (corpus / "public.md").write_text("Annual leave is fifteen days.\n", "utf-8")
    kb = KnowledgeBase(server_app)
    assert kb.ingest([corpus]).failed == ()
    assert kb.search(sentinel, Principal("u"), mode="keyword").hits
    server_app.db.script("CHECKPOINT")  # what the server does by itself: the pages reach the files
    seen = traces(sentinel, server_app, chroma_server, postgres_server)
    assert {"chroma server", "postgresql"} <= set(seen), seen  # the probe sees the text first

    result = CliRunner().invoke(cli, ["delete", str(secret), "--json"], obj=kb)
    assert result.exit_code == 0, result.output
    removed = json.loads(result.output)
    assert removed["deleted"] == 1 and removed["chunks"] == 1
    assert removed["purged"]["chroma_queue_records"] >= 1
    assert removed["purged"]["postgres_tables_vacuumed"] >= 3
    assert removed["purged"]["postgres_wal_rotated"] == 1

    assert traces(sentinel, server_app, chroma_server, postgres_server) == {}
    assert not kb.search(sentinel, Principal("u"), mode="keyword").hits
    assert kb.search("annual leave", Principal("u"), mode="hybrid").hits  # the rest still works


def test_delete_my_history_leaves_no_trace_in_postgresql(tmp_path, server_app, sentinel,
                                                        chroma_server, postgres_server):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "public.md").write_text("Annual leave is fifteen days.\n", "utf-8")
    kb = KnowledgeBase(server_app)
    kb.ingest([corpus])
    records = server_app.records
    conv = records.start_conversation("mallory", f"{sentinel} and leave")
    records.add_turn("mallory", conv, f"Does {sentinel} get leave?",
                     kb.ask(f"Does {sentinel} get annual leave?", Principal("mallory")))
    records.log_query("mallory", "ask", f"{sentinel} leave")
    server_app.db.script("CHECKPOINT")
    assert "postgresql" in traces(sentinel, server_app, chroma_server, postgres_server)
    assert records.delete_user("mallory") > 0
    assert traces(sentinel, server_app, chroma_server, postgres_server) == {}


def test_plain_vacuum_and_off_are_what_the_setting_says(pg_url):
    """'vacuum' vacuums without rotating the WAL, 'off' does nothing, a typo is refused."""
    from kb.core.postgres import PostgresDatabase

    for purge, expected in (("vacuum", (True, 0)), ("off", (False, 0))):
        db = PostgresDatabase(pg_url, 2, purge)
        db.script("CREATE TABLE IF NOT EXISTS t (x text)")
        done = db.checkpoint()
        assert (done["postgres_tables_vacuumed"] > 0, done["postgres_wal_rotated"]) == expected
        db.close()
    with pytest.raises(ValueError, match="purge='fulll'"):
        PostgresDatabase(pg_url, 2, "fulll")
