"""Identity and roles from settings, headers and OpenID Connect claims."""

from __future__ import annotations

import tomllib

import pytest

from kb.app.auth import ADMIN, CONTENT_OWNER, resolve, streamlit_secrets, write_streamlit_secrets
from kb.core.config import Settings

HEADERS = {"X-Forwarded-User": "mei", "X-Forwarded-Groups": "hr, content-owner"}


def test_none_mode_is_the_local_user_with_every_role_and_ignores_headers(tmp_path):
    s = Settings(home=tmp_path, local_user="me", local_groups="finance")
    who = resolve(s, HEADERS, {"is_logged_in": True, "email": "x@y"})
    assert who.principal.user == "me" and who.principal.groups == {"finance"}
    assert who.roles == {ADMIN, CONTENT_OWNER}


def test_header_mode_trusts_the_proxy_headers_case_insensitively(tmp_path):
    s = Settings(home=tmp_path, auth="header")
    who = resolve(s, {k.lower(): v for k, v in HEADERS.items()}, {})
    assert who.principal.user == "mei"
    assert who.principal.groups == {"hr", "content-owner"}
    assert who.roles == {CONTENT_OWNER}
    assert "group:hr" in who.principal.acl_tokens()


def test_header_mode_without_a_user_header_is_nobody(tmp_path):
    s = Settings(home=tmp_path, auth="header")
    assert not resolve(s, {"X-Forwarded-Groups": "admin"}, {}).signed_in


def test_headers_are_refused_in_oidc_mode(tmp_path):
    s = Settings(home=tmp_path, auth="oidc")
    assert not resolve(s, HEADERS, {"is_logged_in": False}).signed_in
    who = resolve(s, HEADERS, {"is_logged_in": True, "email": "li@corp", "groups": ["admin"]})
    assert who.principal.user == "li@corp" and who.roles == {ADMIN, CONTENT_OWNER}


def test_role_groups_and_groups_claim_are_settings(tmp_path):
    s = Settings(home=tmp_path, auth="oidc", admin_groups="kb-admins", oidc_groups_claim="roles")
    who = resolve(s, {}, {"is_logged_in": True, "sub": "u1", "roles": "kb-admins", "groups": ["admin"]})
    assert who.principal.groups == {"kb-admins"} and who.has(ADMIN)


def test_streamlit_secrets_for_oidc(tmp_path):
    s = Settings(home=tmp_path, auth="oidc", oidc_issuer="http://127.0.0.1:9/", oidc_client_id="kb",
                 oidc_client_secret='s"x', serve_port=8600)
    auth = tomllib.loads(streamlit_secrets(s))["auth"]
    assert auth["server_metadata_url"] == "http://127.0.0.1:9/.well-known/openid-configuration"
    assert auth["redirect_uri"] == "http://127.0.0.1:8600/oauth2callback"
    assert auth["client_secret"] == 's"x' and len(auth["cookie_secret"]) >= 32
    assert tomllib.loads(streamlit_secrets(s))["auth"]["cookie_secret"] == auth["cookie_secret"]
    path = write_streamlit_secrets(s)
    assert path.stat().st_mode & 0o077 == 0


def test_oidc_without_a_client_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="KB_OIDC_ISSUER"):
        streamlit_secrets(Settings(home=tmp_path, auth="oidc"))
