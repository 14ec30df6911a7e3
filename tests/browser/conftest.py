"""Browser tests: Debian's chromium driven by Playwright against `kb serve` on 127.0.0.1."""

from __future__ import annotations

import os

import pytest

from kb.core.testing.browser import CHROMIUM, browser, serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no {CHROMIUM}: apt-get install chromium (.ci/apt-packages.txt lists it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = browser(p)
        yield b
        b.close()


@pytest.fixture(scope="module")
def header_server(tmp_path_factory):
    """One server per module, users set by the proxy headers (KB_AUTH=header)."""
    with serve(tmp_path_factory.mktemp("serve"), auth="header") as srv:
        yield srv


@pytest.fixture
def open_page(chromium):
    contexts = []

    def open_(url: str, headers: dict[str, str] | None = None, width: int = 1280,
              height: int = 800):
        ctx = chromium.new_context(extra_http_headers=headers or {},
                                   viewport={"width": width, "height": height})
        ctx.set_default_timeout(60_000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.goto(url)
        return page

    yield open_
    for ctx in contexts:
        ctx.close()
