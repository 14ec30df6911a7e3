"""Who is calling: a key acts as its user with its groups and roles; no key, a wrong, malformed,
revoked or expired one all get the same 401 revealing nothing; identity headers count only with
KB_AUTH=header, exactly as the page reads them; the OpenAI `user` field changes nothing."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from kb.api import create_app
from kb.app.auth import CONTENT_OWNER
from kb.app.keys import ApiKeys, key_identity
from kb.app.service import KnowledgeBase
from kb.app.wiring import build
from kb.core.testing.fakes import BagOfWordsEmbeddings
from tests.api.conftest import RESTRICTED, api_settings


def test_a_stored_key_is_only_its_hash(api):
    record, key = api.kb.keys.create("zoe", ["hr", "hr", " "], name="bot", expires_days=30)
    rows = api.kb.app.db.query("SELECT * FROM api_keys WHERE id = ?", (record.id,))
    assert key not in str([tuple(r) for r in rows]) and key.split(".", 1)[1] not in str(
        [tuple(r) for r in rows])
    assert record.groups == ("hr",) and api.kb.keys.check(key) == record
    assert key_identity(record, api.kb.settings).principal.groups == frozenset({"hr"})


def test_every_bad_key_gets_the_same_401(api):
    revoked_rec, revoked = api.kb.keys.create("bob")
    assert api.kb.keys.revoke(revoked_rec.id)
    _, expired = api.kb.keys.create("bob", expires_days=1e-9)
    time.sleep(0.01)
    good = api.keys["bob"]
    wrong_secret = good.split(".")[0] + ".A" + good.split(".")[1][1:]
    cases = [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic Ym9iOmJvYg=="},
             {"Authorization": "Bearer nonsense"}, {"Authorization": f"Bearer {wrong_secret}"},
             {"Authorization": f"Bearer {revoked}"}, {"Authorization": f"Bearer {expired}"},
             {"X-Forwarded-User": "alice", "X-Forwarded-Groups": "hr"}]
    answers = set()
    with api.client(None) as c:
        for headers in cases:
            for method, path, body in (("GET", "/v1/models", None),
                                       ("POST", "/v1/search", {"query": "salary"}),
                                       ("POST", "/mcp", {"jsonrpc": "2.0", "id": 1,
                                                         "method": "tools/list"})):
                r = c.request(method, path, json=body, headers=headers)
                assert r.status_code == 401, (headers, path, r.text)
                assert r.headers["www-authenticate"] == "Bearer"
                answers.add(r.text)
    assert len(answers) == 1 and '"code":"unauthorized"' in answers.pop()


def test_a_key_acts_as_its_user_and_groups_whatever_the_request_says(api):
    msg = {"messages": [{"role": "user", "content": RESTRICTED}], "user": "alice"}
    with api.client("bob", **{"X-Forwarded-User": "alice", "X-Forwarded-Groups": "hr"}) as c:
        assert c.post("/v1/chat/completions", json=msg).json()["kb"]["refused"]
    with api.client("alice") as c:
        assert not c.post("/v1/chat/completions", json=msg).json()["kb"]["refused"]


def test_content_owner_routes_need_the_role(api):
    with api.client("bob") as c:
        for r in (c.post("/v1/ingest", json={"paths": [str(api.corpus)]}),
                  c.get("/v1/jobs/x"), c.delete(f"/v1/documents/{'0' * 40}")):
            assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


@pytest.fixture
def header_kb(tmp_path):
    kb = KnowledgeBase(build(api_settings(tmp_path, auth="header"),
                             embedder_override=BagOfWordsEmbeddings()))
    yield kb
    kb.close()


def test_header_mode_reads_the_proxy_headers_as_the_page_does(header_kb):
    with TestClient(create_app(header_kb, mcp=False)) as c:
        r = c.get("/v1/conversations", headers={"X-Forwarded-User": "alice"})
        assert r.status_code == 200 and r.json() == []
        assert c.get("/v1/conversations").status_code == 401
        assert c.get("/v1/conversations", headers={"X-Forwarded-User": " "}).status_code == 401
        # a key still wins over the headers
        _, key = header_kb.keys.create("bob")
        r = c.post("/v1/ask", headers={"Authorization": f"Bearer {key}",
                                       "X-Forwarded-User": "alice"}, json={"question": "leave"})
        assert r.status_code == 200
    assert header_kb.records.conversations("bob") and not header_kb.records.conversations(
        "alice")


def test_keys_create_list_revoke(tmp_path):
    from kb.core.sqlite import Database

    keys = ApiKeys(Database(tmp_path / "k.sqlite3"))
    rec, key = keys.create("ann", ["content-owner"], "ci")
    assert key.startswith("kb-") and [k.id for k in keys.keys()] == [rec.id]
    assert CONTENT_OWNER in key_identity(keys.check(key), api_settings(tmp_path)).roles
    assert keys.revoke(key) and not keys.revoke(rec.id) and keys.check(key) is None
    with pytest.raises(ValueError):
        keys.create(" ")
    with pytest.raises(ValueError):
        keys.create("ann", expires_days=0)
