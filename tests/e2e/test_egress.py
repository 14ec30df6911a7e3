"""Nothing leaves the machine: ingest (parser children and OCR included), search, ask, eval and
the page with a browser session, every Python process audited (tests/e2e/egress_audit: a
`sys.addaudithook` in each process through sitecustomize), and every request of the browser
intercepted. Any connect()/sendto() to a non-loopback address, or any name lookup, fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from kb.core.testing import formatgen
from kb.core.testing.browser import CHROMIUM, _wait_healthy, browser, free_port, kb_env
from tests.conftest import REPO, SAMPLES

pytestmark = pytest.mark.slow

AUDIT = Path(__file__).resolve().parent / "egress_audit"
EVIL = "198.51.100.7"  # TEST-NET-2: an outside address
HOSTILE = (f"# ![pixel](http://{EVIL}/pixel.png) Parking policy\n\n"
           f"## [Re-enter your password](http://tracker.invalid/login)\n\n"
           f"Parking permits cost 30 euros per month. <img src=\"http://{EVIL}/i.png\">\n"
           f"See www.tracker.invalid and https://{EVIL}/x for details.\n")


def _hostile_elements(page) -> tuple[bool, list[str]]:
    """(the hostile title or heading is on the page as text, every link or image address of
    the page that points outside 127.0.0.1)."""
    body = page.inner_text("body")
    urls = page.evaluate("""() => [...document.querySelectorAll('[src], [href], [srcset]')]
        .flatMap(e => [e.getAttribute('src'), e.getAttribute('href'), e.getAttribute('srcset')])
        .filter(Boolean).map(u => new URL(u, document.baseURI).href)""")
    outside = [u for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss")
               and urlparse(u).hostname != "127.0.0.1"]
    return ("Re-enter your password" in body or "Parking policy" in body, outside)


class Audited:
    def __init__(self, work: Path) -> None:
        self.work, self.root, self.home = work, work / "samples", work / "home"
        self.log, self.seen = work / "egress.jsonl", work / "seen.jsonl"
        self.env = kb_env(self.home)
        self.env.update(PYTHONPATH=os.pathsep.join([str(AUDIT), self.env["PYTHONPATH"]]),
                        EGRESS_AUDIT_LOG=str(self.log), EGRESS_SEEN_LOG=str(self.seen))

    def kb(self, *args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "kb.cli", *args], env=self.env,
                              cwd=self.work, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr
        return proc

    def violations(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text("utf-8").splitlines()]

    def processes(self) -> list[str]:
        return [" ".join(json.loads(line)["argv"])
                for line in self.seen.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def audited(tmp_path_factory) -> Audited:
    a = Audited(tmp_path_factory.mktemp("egress"))
    shutil.copytree(SAMPLES, a.root)
    (a.root / "en" / "parking.md").write_text(HOSTILE, encoding="utf-8")
    (a.root / "en" / "scan.png").write_bytes(formatgen.png_bytes(
        ["Visitors sign in at the front desk.", "Badges are returned at the exit."],
        formatgen.cjk_font()))
    report = json.loads(a.kb("ingest", str(a.root), "--json").stdout)
    assert report["added"] == 11 and report["failed"] == [], report
    return a


def test_ingest_search_ask_and_eval_make_no_outside_connection(audited):
    a = audited
    a.kb("search", "parking permits", "--json")
    a.kb("ask", "How much do parking permits cost per month?", "--json")
    a.kb("eval", str(REPO / "tests" / "data" / "samples_questions.jsonl"), "--answers", "--json")
    seen = a.processes()
    assert any("ingest.isolate" in p for p in seen), seen  # the hook ran in the parser children
    assert sum("kb.cli" in p for p in seen) >= 4
    assert a.violations() == []
    status = json.loads(a.kb("status", "--json").stdout)
    assert any(f["path"] == "en/scan.png" and f["status"] == "searchable"
               for f in status["files"])  # OCR ran, in an audited process


def test_the_page_in_a_browser_makes_no_outside_request(audited):
    """The page shows hostile documents (an image URL in a title, a link in a heading): neither
    the server nor the browser reaches anything but 127.0.0.1."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no {CHROMIUM}: apt-get install chromium (.ci/apt-packages.txt lists it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    a = audited
    port = free_port()
    log = open(a.work / "serve.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--port", str(port),
                               "--address", "127.0.0.1"], env=a.env, cwd=a.work, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    url, requested, sockets = f"http://127.0.0.1:{port}", [], []

    def intercept(route):
        requested.append(route.request.url)
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    try:
        _wait_healthy(url, server)
        shown: list = []

        def drive() -> None:  # its own thread: sync Playwright refuses a thread with a running
            # asyncio loop, which other tests' async fixtures may leave behind in the main one
            with sync_api.sync_playwright() as p:
                b = browser(p)
                ctx = b.new_context()
                ctx.set_default_timeout(60_000)
                ctx.route("**/*", intercept)
                page = ctx.new_page()
                page.on("websocket", lambda ws: sockets.append(ws.url))
                page.goto(url)
                box = page.get_by_placeholder("Ask a question about the documents")
                box.fill("How much do parking permits cost per month?")
                box.press("Enter")
                page.locator("button", has_text="parking.md").first.click()
                page.locator("mark.kb-quote").first.wait_for()
                page.wait_for_load_state("networkidle")
                shown.append(_hostile_elements(page))
                page.goto(url + "/search")
                search = page.get_by_label("Search")
                search.fill("parking permits")
                search.press("Enter")
                page.get_by_text("Parking policy").first.wait_for()
                page.get_by_role("button", name="Preview").first.click()
                page.locator("[class*='st-key-kb-preview-search'] mark.kb-quote").wait_for()
                page.wait_for_load_state("networkidle")
                shown.append(_hostile_elements(page))
                page.goto(url + "/library")
                page.get_by_role("button", name="Re-ingest this folder").wait_for()
                page.wait_for_load_state("networkidle")
                shown.append(_hostile_elements(page))
                b.close()

        errors: list[BaseException] = []
        worker = threading.Thread(target=lambda: _capture(drive, errors))
        worker.start()
        worker.join(600)
        if errors:
            raise errors[0]
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    # the hostile strings are on the page (as text), in no image, link or frame
    assert [texts for texts, _ in shown[:2]] == [True, True] and [u for _, u in shown] == [[], [], []]
    outside = [u for u in requested + sockets if urlparse(u).hostname != "127.0.0.1"]
    assert requested and sockets and outside == []
    # the page server process was audited (kb serve runs Streamlit through ui/serve.py)
    assert any("ui/app.py" in p for p in a.processes())
    assert a.violations() == []


def _capture(fn, errors: list) -> None:
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
        errors.append(exc)
