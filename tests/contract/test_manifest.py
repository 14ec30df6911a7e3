from kb.ports import DocRecord
from kb.sqlite import Database
from ingest.manifest import SqliteManifest


def record(doc_id, **kw):
    base = dict(doc_id=doc_id, root="/r", path=f"{doc_id}.md", content_hash="h", fingerprint="f",
                version="v1", acl=frozenset({"public"}), mime="text/markdown", title="T",
                size=10, chunks=2, status="ok")
    base.update(kw)
    return DocRecord(**base)


def test_put_get_replace_remove(tmp_path):
    m = SqliteManifest(Database(tmp_path / "m.sqlite3"))
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


def test_journal_survives_a_new_connection(tmp_path):
    path = tmp_path / "m.sqlite3"
    m = SqliteManifest(Database(path))
    m.begin("a")
    m.begin("b")
    m.done("a")
    assert SqliteManifest(Database(path)).pending() == ["b"]
