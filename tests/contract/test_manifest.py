import pytest

from kb.ports import DocRecord
from kb.sqlite import Database
from ingest.manifest import SqliteManifest


def record(doc_id, **kw):
    base = dict(doc_id=doc_id, root="/r", path=f"{doc_id}.md", content_hash="h", fingerprint="f",
                version="v1", acl=frozenset({"public"}), mime="text/markdown", title="T",
                size=10, chunks=2, status="ok")
    base.update(kw)
    return DocRecord(**base)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path):
    if request.param == "postgres":
        yield request.getfixturevalue("pg_db")
        return
    database = Database(tmp_path / "m.sqlite3")
    yield database
    database.close()


def test_put_get_replace_remove(db):
    m = SqliteManifest(db)
    assert m.get("a") is None
    m.put(record("a"))
    m.put(record("b", root="/s", status="failed", version="", error_code="corrupt", error="bad"))
    assert m.get("a") == record("a")
    m.put(record("a", version="v2", acl=frozenset({"group:hr"})))
    assert m.get("a").version == "v2"
    assert [d.doc_id for d in m.docs()] == ["a", "b"]
    assert [d.doc_id for d in m.docs("/s")] == ["b"]
    assert m.current_versions(["a", "b", "zz"]) == {"a": "v2"}
    assert m.current_acl(["a", "b"]) == {"a": frozenset({"group:hr"})}
    m.remove("a")
    assert m.get("a") is None


def test_journal_survives_a_new_connection(db):
    m = SqliteManifest(db)
    m.begin("a")
    m.begin("b")
    m.begin("b")
    m.done("a")
    again = Database(db.path) if db.dialect == "sqlite" else type(db)(db.url)
    assert SqliteManifest(again).pending() == ["b"]
    again.close()


def test_migrations_run_once_and_record_the_version(db):
    m = SqliteManifest(db)
    m.put(record("a"))
    from ingest.manifest import MIGRATIONS

    assert db.migrate("manifest", MIGRATIONS) == 0
    assert db.query("SELECT version FROM schema_versions WHERE component = 'manifest'")[0][0] \
        == len(MIGRATIONS)
    m.record_run("/r", {"added": 1})
    assert m.last_runs()[0]["report"] == {"added": 1}
    assert m.get("a") == record("a")
