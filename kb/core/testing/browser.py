"""Start the real product for browser tests, screenshots and the page benchmark: ingest a copy of
data/samples with `kb ingest`, then `kb serve` on 127.0.0.1 at a free port, in a child process."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]  # the repository: kb/core/testing/ is three down
CHROMIUM = os.environ.get("KB_TEST_CHROMIUM", "/usr/bin/chromium")


@dataclass
class Server:
    url: str
    home: Path
    root: Path
    env: dict[str, str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kb_env(home: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update({"KB_HOME": str(home), "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
                "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", "")})
    env.update({f"KB_{k.upper()}": v for k, v in settings.items()})
    return env


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"kb serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("kb serve did not become healthy")


@contextlib.contextmanager
def serve(workdir: Path, plain_streamlit: bool = False, **settings: str) -> Iterator[Server]:
    """`plain_streamlit`: start `streamlit run ui/app.py` itself, as `kb serve` did before it
    warmed the models up (the baseline of bench/page.py)."""
    root = workdir / "samples"
    if not root.exists():
        shutil.copytree(REPO / "data" / "samples", root)
    home = workdir / "home"
    env = kb_env(home, **settings)
    kb = [sys.executable, "-m", "kb.cli"]
    subprocess.run([*kb, "ingest", str(root), "--json"], env=env, cwd=workdir, check=True,
                   capture_output=True)
    port = int(settings.get("serve_port") or free_port())
    log = open(workdir / "serve.log", "wb")
    cmd = ([sys.executable, "-m", "streamlit", "run", str(REPO / "ui" / "app.py"),
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false"]
           if plain_streamlit else [*kb, "serve", "--port", str(port), "--address", "127.0.0.1"])
    proc = subprocess.Popen(cmd,
                            env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield Server(url, home, root, env)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=["--no-sandbox", "--disable-dev-shm-usage"])


def user_headers(user: str, groups: str) -> dict[str, str]:
    return {"X-Forwarded-User": user, "X-Forwarded-Groups": groups}
