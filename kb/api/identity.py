"""Who is calling: `Authorization: Bearer <key>` (kb/app/keys.py), or, with `KB_AUTH=header`
only, the identity headers of the trusted proxy exactly as the page reads them
(kb/app/auth.py `header_identity`). No key, a wrong, revoked or expired one: the same 401."""

from __future__ import annotations

from collections.abc import Mapping

from kb.api.errors import UNAUTHORIZED, ApiError
from kb.app.auth import CONTENT_OWNER, Identity, header_identity
from kb.app.keys import key_identity
from kb.app.service import KnowledgeBase


def bearer(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def identify(kb: KnowledgeBase, headers: Mapping[str, str]) -> Identity | None:
    """The caller's identity, or None (the caller answers 401)."""
    token = bearer(headers)
    if token is not None:
        record = kb.keys.check(token) if token else None
        return key_identity(record, kb.settings) if record else None
    if kb.settings.auth == "header":
        try:
            ident = header_identity(kb.settings, headers)
        except ValueError:  # a header the proxy should not have passed: refused
            return None
        return ident if ident.signed_in else None
    return None


def require(kb: KnowledgeBase, headers: Mapping[str, str]) -> Identity:
    ident = identify(kb, headers)
    if ident is None:
        raise ApiError(401, "unauthorized", UNAUTHORIZED)
    return ident


def require_owner(ident: Identity) -> None:
    if not ident.has(CONTENT_OWNER):
        raise ApiError(403, "forbidden", "this needs the content-owner role")
