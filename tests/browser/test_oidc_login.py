"""KB_AUTH=oidc end to end: Streamlit's login against a local OpenID Connect provider
(oidc-provider-mock on 127.0.0.1) whose user carries a groups claim."""

from __future__ import annotations

import pytest

from kb.core.testing.browser import free_port, serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def provider():
    mock = pytest.importorskip("oidc_provider_mock")
    from oidc_provider_mock._storage import User

    users = [User(sub="hannah", claims={"email": "hannah@corp.example", "name": "Hannah",
                                        "groups": ["hr", "content-owner"]})]
    with mock.run_server_in_thread(port=free_port(), user_claims=users) as server:
        yield f"http://127.0.0.1:{server.server_port}"


def test_sign_in_with_oidc_maps_the_groups_claim_to_access_and_roles(provider, open_page,
                                                                      tmp_path):
    port = free_port()
    with serve(tmp_path, auth="oidc", oidc_issuer=provider, oidc_client_id="kb-page",
               oidc_client_secret="not-a-secret", serve_port=str(port),
               oidc_redirect_uri=f"http://127.0.0.1:{port}/oauth2callback") as srv:
        assert srv.url.endswith(f":{port}")
        page = open_page(srv.url, {"X-Forwarded-User": "mallory", "X-Forwarded-Groups": "admin"})
        page.get_by_text("Please sign in").wait_for()
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="hannah").click()  # the provider's one-click user
        page.get_by_text("Signed in as Hannah").wait_for()
        assert "hr" in page.get_by_text("Signed in as Hannah").inner_text()
        assert page.get_by_role("link", name="Library").count() == 1
        assert page.get_by_role("link", name="Insights").count() == 0  # headers were ignored
        box = page.get_by_placeholder("Ask a question about the documents")
        box.fill("What is the salary band for level L3?")
        box.press("Enter")
        page.locator("button", has_text="hr/salary_bands.md").first.wait_for()
