"""API keys: who is calling the HTTP API and the MCP server over HTTP.

A key is `kb-<id>.<secret>`, shown once when it is created. Only the sha256 of the whole key is
stored, in the product database (SQLite or PostgreSQL, through kb/core/migrations like
kb/app/records.py), with the user and groups it acts as, a name, an optional expiry and a
revocation time. A key acts as its user with its groups and the roles those groups give
(kb/app/auth.py `roles_for`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass

from kb.app.auth import Identity, roles_for
from kb.core.config import Settings
from kb.core.ports import Database
from kb.core.types import Principal

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id VARCHAR(32) PRIMARY KEY,
    key_hash VARCHAR(64) NOT NULL,
    user_id VARCHAR(256) NOT NULL,
    groups_json TEXT NOT NULL,
    name VARCHAR(200) NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION,
    revoked_at DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS api_keys_user ON api_keys(user_id);
"""

DAY = 86400.0
PREFIX = "kb-"
_KEY = re.compile(r"^kb-([0-9a-f]{12})\.([A-Za-z0-9_-]{20,100})$")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its secret."""

    id: str
    user: str
    groups: tuple[str, ...]
    name: str
    created_at: float
    expires_at: float | None
    revoked_at: float | None

    def active(self, now: float) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def to_json(self) -> dict:
        return {"id": self.id, "user": self.user, "groups": list(self.groups), "name": self.name,
                "created_at": self.created_at, "expires_at": self.expires_at,
                "revoked_at": self.revoked_at}


def _row(r) -> ApiKey:
    return ApiKey(r["id"], r["user_id"], tuple(json.loads(r["groups_json"])), r["name"],
                  r["created_at"], r["expires_at"], r["revoked_at"])


class ApiKeys:
    """Create, list, revoke and check keys. Every check reads the database: a revoked key stops
    working at once, in every process."""

    def __init__(self, db: Database, clock=time.time) -> None:
        self.db = db
        self.clock = clock
        self._ready = False

    def _init(self) -> None:
        if not self._ready:
            self.db.migrate("api_keys", [SCHEMA])
            self._ready = True

    def create(self, user: str, groups: Iterable[str] = (), name: str = "",
               expires_days: float | None = None) -> tuple[ApiKey, str]:
        """A new key for `user`: its record and the key itself (never stored, never shown
        again)."""
        self._init()
        user = user.strip()
        if not user:
            raise ValueError("a key needs a user")
        if expires_days is not None and expires_days <= 0:
            raise ValueError("--expires is a number of days above 0")
        clean = tuple(sorted({g.strip() for g in groups if g.strip()}))
        key_id = secrets.token_hex(6)
        key = f"{PREFIX}{key_id}.{secrets.token_urlsafe(32)}"
        now = self.clock()
        expires = None if expires_days is None else now + expires_days * DAY
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO api_keys (id, key_hash, user_id, groups_json, name, created_at, "
                "expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                (key_id, _hash(key), user, json.dumps(clean, ensure_ascii=False),
                 name.strip()[:200], now, expires))
        return ApiKey(key_id, user, clean, name.strip()[:200], now, expires, None), key

    def keys(self, user: str | None = None) -> list[ApiKey]:
        self._init()
        if user is None:
            rows = self.db.query("SELECT * FROM api_keys ORDER BY created_at, id")
        else:
            rows = self.db.query("SELECT * FROM api_keys WHERE user_id = ? "
                                 "ORDER BY created_at, id", (user,))
        return [_row(r) for r in rows]

    def revoke(self, key_id: str) -> bool:
        """Revoke a key by its id (or the whole key); False when there is no such active key."""
        self._init()
        m = _KEY.match(key_id.strip())
        key_id = m.group(1) if m else key_id.strip()
        with self.db.tx() as conn:
            n = conn.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND "
                             "revoked_at IS NULL", (self.clock(), key_id)).rowcount
        return n > 0

    def check(self, key: str) -> ApiKey | None:
        """The active key record for a presented key, or None (unknown, wrong, revoked or
        expired: the caller answers all four the same)."""
        m = _KEY.match(key.strip())
        if not m:
            return None
        self._init()
        rows = self.db.query("SELECT * FROM api_keys WHERE id = ?", (m.group(1),))
        if not rows or not hmac.compare_digest(rows[0]["key_hash"], _hash(key.strip())):
            return None
        rec = _row(rows[0])
        return rec if rec.active(self.clock()) else None


def key_identity(record: ApiKey, settings: Settings) -> Identity:
    """A key acts as its user, with its groups and the roles they give."""
    groups = frozenset(record.groups)
    return Identity(Principal(record.user, groups), roles_for(groups, settings), record.user)
