import pytest

from kb.core.types import DocRecord
from kb.core.sqlite import Database
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


def test_a_database_newer_than_the_program_is_refused(db):
    from ingest.manifest import MIGRATIONS

    SqliteManifest(db).put(record("a"))
    with db.tx() as conn:
        conn.execute("UPDATE schema_versions SET version = 99 WHERE component = 'manifest'")
    with pytest.raises(RuntimeError, match="upgrade the program"):
        SqliteManifest(db).get("a")
    assert db.migrate("other", MIGRATIONS) == len(MIGRATIONS)  # versions are per component


def test_a_home_from_before_migrations_adopts_them_unchanged(tmp_path):
    """Homes created with the old CREATE-IF-NOT-EXISTS schema keep their rows."""
    from ingest.manifest import MIGRATIONS
    from kb.core.migrations import render

    path = tmp_path / "old.sqlite3"
    old = Database(path)
    old.script(render(MIGRATIONS[0], "sqlite").replace("{FLOAT}", "REAL"))
    with old.tx() as conn:
        conn.execute("INSERT INTO pending (doc_id, since) VALUES ('x', 1.0)")
    old.close()
    db = Database(path)
    m = SqliteManifest(db)
    assert m.pending() == ["x"]
    assert db.query("SELECT version FROM schema_versions")[0][0] == len(MIGRATIONS)


def test_postgres_parameters_are_translated_outside_quotes_only():
    from kb.core.postgres import translate

    assert translate("SELECT * FROM t WHERE a = ? AND b LIKE 'x?%' AND c = ?") == \
        "SELECT * FROM t WHERE a = %s AND b LIKE 'x?%%' AND c = %s"
    assert translate("SELECT a % 2, \"q?\" FROM t") == "SELECT a %% 2, \"q?\" FROM t"
    assert translate("SELECT a % 2 FROM t", params=False) == "SELECT a % 2 FROM t"


def test_percent_signs_and_question_marks_reach_postgres_intact(pg_db):
    pg_db.script("CREATE TABLE t (a TEXT)")
    with pg_db.tx() as conn:
        conn.execute("INSERT INTO t (a) VALUES (?), ('50% off?')", ("100%",))
    assert [r["a"] for r in pg_db.query("SELECT a FROM t WHERE a LIKE '%\\%%' ORDER BY a")] \
        == ["100%", "50% off?"]
    assert pg_db.query("SELECT count(*) FROM t WHERE a LIKE ?", ("%off?",))[0][0] == 1
    assert pg_db.query("SELECT 7 % 4 AS r")[0]["r"] == 3
