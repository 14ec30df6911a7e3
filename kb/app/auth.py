"""Who is using the page, and what they may do: one Identity per request, from settings.

Three modes (`KB_AUTH`):
- `none`: one local user (`KB_LOCAL_USER`, `KB_LOCAL_GROUPS`) holding every role; for trying the
  product on one's own machine.
- `header`: a reverse proxy that authenticated the user sets `X-Forwarded-User` and
  `X-Forwarded-Groups` (names are settings). Only in this mode are these headers read; the proxy
  must replace (not append to) any copies the client sent, and the page must be reachable only
  through the proxy. Each header must arrive exactly once: two copies (a proxy that appends), or
  a user header holding a comma (two copies folded into one), sign nobody in. Values are UTF-8
  bytes (人事 as E4 BA BA E4 BA 8B); servers that decode header bytes as Latin-1, as Starlette
  and tornado do, are undone here.
- `oidc`: Streamlit's built-in OpenID Connect login (`st.login`); groups come from a claim.

Roles come from groups: `KB_CONTENT_OWNER_GROUPS` -> content-owner, `KB_ADMIN_GROUPS` -> admin
(which implies content-owner). Access to documents always goes through `Identity.principal`.
"""

from __future__ import annotations

import secrets as _secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.core.config import Settings
from kb.core.types import Principal

CONTENT_OWNER = "content-owner"
ADMIN = "admin"


@dataclass(frozen=True)
class Identity:
    """A signed-in user (principal is None when nobody is signed in)."""

    principal: Principal | None
    roles: frozenset[str] = frozenset()
    name: str = ""
    problem: str = ""  # why nobody is signed in, when the request itself was refused

    @property
    def signed_in(self) -> bool:
        return self.principal is not None

    def has(self, role: str) -> bool:
        return role in self.roles


ANONYMOUS = Identity(None)


def split_groups(value: object) -> frozenset[str]:
    """Groups from a header value ("a, b") or a claim (a list or a string)."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        items: Iterable[Any] = value.replace(";", ",").split(",")
    elif isinstance(value, Iterable):
        items = value
    else:
        items = [value]
    return frozenset(str(g).strip() for g in items if str(g).strip())


def roles_for(groups: Iterable[str], settings: Settings) -> frozenset[str]:
    groups = set(groups)
    roles = set()
    if groups & set(settings.admin_groups):
        roles.update({ADMIN, CONTENT_OWNER})
    if groups & set(settings.content_owner_groups):
        roles.add(CONTENT_OWNER)
    return frozenset(roles)


def _identity(user: str, groups: frozenset[str], settings: Settings, name: str = "") -> Identity:
    return Identity(Principal(user, groups), roles_for(groups, settings), name or user)


def local_identity(settings: Settings) -> Identity:
    groups = frozenset(settings.local_groups)
    return Identity(Principal(settings.local_user, groups), frozenset({ADMIN, CONTENT_OWNER}),
                    settings.local_user)


def header_values(headers: Mapping[str, Any], name: str) -> list[str]:
    """Every copy of header `name` (any case), as sent: from a multi-dict (Streamlit's
    `get_all`, Starlette's `getlist`, tornado's `get_list`) or a mapping of strings or lists."""
    for method in ("get_all", "getlist", "get_list"):
        every = getattr(headers, method, None)
        if callable(every):
            return [str(v) for v in every(name)]
    out: list[str] = []
    for key, value in headers.items():
        if key.lower() == name.lower():
            out += [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    return out


def from_wire(value: str) -> str:
    """A header value as the proxy meant it: UTF-8 bytes that the server decoded as Latin-1 are
    decoded again; a value that is not such a string is kept as it is."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def header_identity(settings: Settings, headers: Mapping[str, Any]) -> Identity:
    """The user the proxy names, or nobody: no user header, or a refusal (`problem`) when a
    header came more than once or the user header holds a list."""
    users = header_values(headers, settings.user_header)
    groups = header_values(headers, settings.groups_header)
    for name, values in ((settings.user_header, users), (settings.groups_header, groups)):
        if len(values) > 1:
            return Identity(None, problem=f"the {name} header came {len(values)} times")
    user = from_wire(users[0]).strip() if users else ""
    if not user:
        return ANONYMOUS
    if "," in user or any(ord(ch) < 32 for ch in user):
        return Identity(None, problem=f"the {settings.user_header} header names more than one "
                        "user")
    return _identity(user, split_groups(from_wire(groups[0]) if groups else None), settings)


def oidc_identity(settings: Settings, claims: Mapping[str, Any]) -> Identity:
    if not claims.get("is_logged_in"):
        return ANONYMOUS
    user = str(claims.get("email") or claims.get("preferred_username") or claims.get("sub") or "")
    if not user:
        return ANONYMOUS
    groups = split_groups(claims.get(settings.oidc_groups_claim))
    return _identity(user, groups, settings, str(claims.get("name") or user))


def resolve(settings: Settings, headers: Mapping[str, Any], claims: Mapping[str, Any]) -> Identity:
    """The identity of one request. Headers count only in `header` mode, claims only in `oidc`."""
    if settings.auth == "header":
        return header_identity(settings, headers)
    if settings.auth == "oidc":
        return oidc_identity(settings, claims)
    return local_identity(settings)


# ------------------------------------------------------------------ where the page answers
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def page_hosts(settings: Settings) -> list[str]:
    """The Host names the page answers to (`KB_ALLOWED_HOSTS`, else the loopback names and the
    bound address): a page reached under any other name (DNS rebinding) is not served."""
    if settings.allowed_hosts:
        return list(settings.allowed_hosts)
    hosts = list(LOOPBACK_HOSTS)
    if settings.serve_address not in ("0.0.0.0", "::", "", *hosts):
        hosts.append(settings.serve_address)
    return hosts


# ------------------------------------------------------------------ Streamlit's [auth] secrets
def redirect_uri(settings: Settings) -> str:
    return settings.oidc_redirect_uri or (
        f"http://{settings.serve_address}:{settings.serve_port}/oauth2callback")


def cookie_secret(settings: Settings) -> str:
    """The configured secret, or one generated once and kept (0600) in the home directory."""
    if settings.oidc_cookie_secret:
        return settings.oidc_cookie_secret
    path = Path(settings.home) / "cookie_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_secrets.token_urlsafe(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def streamlit_secrets(settings: Settings) -> str:
    """The `[auth]` section of a Streamlit secrets.toml for `oidc` mode."""
    missing = [n for n in ("oidc_issuer", "oidc_client_id", "oidc_client_secret")
               if not getattr(settings, n)]
    if missing:
        raise ValueError("KB_AUTH=oidc needs " + ", ".join(f"KB_{n.upper()}" for n in missing))
    metadata = settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"
    lines = [
        "[auth]",
        f"redirect_uri = {_toml_str(redirect_uri(settings))}",
        f"cookie_secret = {_toml_str(cookie_secret(settings))}",
        f"client_id = {_toml_str(settings.oidc_client_id)}",
        f"client_secret = {_toml_str(settings.oidc_client_secret)}",
        f"server_metadata_url = {_toml_str(metadata)}",
        'client_kwargs = { scope = "openid profile email" }',
    ]
    return "\n".join(lines) + "\n"


def write_streamlit_secrets(settings: Settings) -> Path:
    path = Path(settings.home) / "streamlit" / "secrets.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(streamlit_secrets(settings), encoding="utf-8")
    path.chmod(0o600)
    return path
