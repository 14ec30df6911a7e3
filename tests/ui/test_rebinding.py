"""DNS rebinding against a real `kb serve` (KB_AUTH=none, the `make run` default): a WebSocket
under a foreign Host and Origin was served as the local user, Library page included."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from typer.testing import CliRunner

from kb.cli import app
from kb.core.testing.browser import free_port
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def handshake(port: int, host: str, origin: str) -> str:
    """The status line the page answers a WebSocket upgrade of /_stcore/stream with."""
    request = (f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Protocol: streamlit\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request.encode())
        return s.recv(4096).split(b"\r\n", 1)[0].decode()


@pytest.fixture(scope="module")
def page_port(tmp_path_factory):
    home = tmp_path_factory.mktemp("rebind")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_HOME=str(home / "home"), PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--port", str(port)],
                            cwd=home, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.5)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_rebound_host_gets_no_websocket(page_port):
    """evil.example resolving to 127.0.0.1: same-origin for the browser, not ours."""
    evil = f"evil.example:{page_port}"
    assert " 101 " not in handshake(page_port, evil, f"http://{evil}") + " "
    assert " 101 " not in handshake(page_port, f"127.0.0.1:{page_port}", f"http://{evil}") + " "


def test_the_page_still_answers_its_own_names(page_port):
    for host in (f"127.0.0.1:{page_port}", f"localhost:{page_port}"):
        assert handshake(page_port, host, f"http://{host}").split()[1] == "101"


def test_allowed_hosts_come_from_the_setting(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(os, "execve", lambda exe, cmd, env: calls.append(cmd))
    monkeypatch.setenv("KB_HOME", str(tmp_path))
    monkeypatch.setenv("KB_ALLOWED_HOSTS", "kb.example.com, *.corp.example")
    assert CliRunner().invoke(app, ["serve"]).exit_code == 0
    cmd = calls[0]
    hosts = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--server.allowedHosts"]
    assert hosts == ["kb.example.com", "*.corp.example"]
    monkeypatch.delenv("KB_ALLOWED_HOSTS")
    assert CliRunner().invoke(app, ["serve", "--address", "10.0.0.5"]).exit_code == 0
    cmd = calls[1]
    hosts = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--server.allowedHosts"]
    assert hosts == ["localhost", "127.0.0.1", "::1", "10.0.0.5"]
