"""API keys on the product database, SQLite and PostgreSQL: only the hash is stored, a key
works until it is revoked or expires, and the check answers the same None for every bad key."""

from __future__ import annotations

import pytest

from kb.app.keys import DAY, ApiKeys
from kb.core.sqlite import Database


class Clock:
    def __init__(self) -> None:
        self.now = 1_699_920_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgres"])
def keys(request, tmp_path):
    clock = Clock()
    if request.param == "postgres":
        yield ApiKeys(request.getfixturevalue("pg_db"), clock=clock), clock
        return
    db = Database(tmp_path / "kb.sqlite3")
    yield ApiKeys(db, clock=clock), clock
    db.close()


def test_round_trip_expiry_and_revocation(keys):
    store, clock = keys
    rec, key = store.create("李雷", ["人力资源", "hr"], name="客服机器人", expires_days=2)
    other, other_key = store.create("bob")
    rows = store.db.query("SELECT key_hash, user_id, groups_json, name FROM api_keys")
    assert all(key not in str(tuple(r)) and other_key not in str(tuple(r)) for r in rows)
    assert store.check(key) == rec and rec.groups == ("hr", "人力资源") and rec.user == "李雷"
    assert store.keys("李雷") == [rec] and len(store.keys()) == 2
    clock.now += 2 * DAY - 1
    assert store.check(key) == rec
    clock.now += 2
    assert store.check(key) is None and store.check(other_key) == other
    assert store.revoke(other.id) and store.check(other_key) is None
    assert store.keys("bob")[0].revoked_at == clock.now
    assert not store.revoke("no-such-id")
    tampered = other_key[:-1] + ("A" if other_key[-1] != "A" else "B")
    for bad in ("", "kb-", tampered, other_key + "x", "Bearer " + other_key):
        assert store.check(bad) is None
