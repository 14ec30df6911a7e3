"""Screenshots of every page at desktop (1280x800) and phone (390x844) width, in headless
Chromium against `kb serve` over data/samples: docs/screenshots/<page>-<width>.png.

    python bench/screenshots.py
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from playwright.sync_api import sync_playwright  # noqa: E402

from kb.core.testing.browser import browser, serve, user_headers  # noqa: E402

OUT = REPO / "docs" / "screenshots"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
ADMIN = user_headers("ada", "admin,hr")


def ask(page, url):
    page.goto(url)
    box = page.get_by_placeholder("Ask a question about the documents")
    box.fill("How many days of paid annual leave do full-time employees get?")
    box.press("Enter")
    page.locator("button", has_text=re.compile(r"^\[1\]")).first.click()
    page.locator("mark.kb-quote").first.wait_for()
    box.fill("Who won the football world cup in 1998?")
    box.press("Enter")
    page.locator("[class*='st-key-kb-refusal']").first.wait_for()


def search(page, url):
    page.goto(url + "/search")
    box = page.get_by_label("Search")
    box.fill("报销 期限")
    box.press("Enter")
    page.locator(".kb-snippet mark").first.wait_for()
    page.get_by_role("button", name="Preview").first.click()
    page.locator("[class*='st-key-kb-preview-search'] mark.kb-quote").wait_for()


def library(page, url):
    page.goto(url + "/library")
    page.get_by_role("button", name="Re-ingest this folder").wait_for()


def insights(page, url):
    page.goto(url + "/insights")
    page.get_by_text("Refusal rate").wait_for()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp), auth="header") as srv, \
            sync_playwright() as p:
        b = browser(p)
        for size, (w, h) in SIZES.items():
            ctx = b.new_context(extra_http_headers=ADMIN, viewport={"width": w, "height": h})
            ctx.set_default_timeout(60_000)
            page = ctx.new_page()
            for name, go in (("ask", ask), ("search", search), ("library", library),
                             ("insights", insights)):
                go(page, srv.url)
                page.wait_for_timeout(800)  # let charts and fonts settle
                path = OUT / f"{name}-{size}.png"
                page.screenshot(path=str(path))
                print(path.relative_to(REPO))
            ctx.close()
        b.close()


if __name__ == "__main__":
    main()
