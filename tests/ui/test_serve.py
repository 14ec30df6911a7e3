"""`kb serve`: the Streamlit command it runs (no usage statistics, the configured address)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request

from typer.testing import CliRunner

from kb.cli import app


def run_serve(monkeypatch, *args, **env):
    calls = []
    monkeypatch.setattr(os, "execve", lambda exe, cmd, env: calls.append((cmd, env)))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    result = CliRunner().invoke(app, ["serve", *args])
    return result, calls


def flag(cmd, name):
    return cmd[cmd.index(name) + 1]


def test_serve_binds_the_configured_address_without_usage_stats(monkeypatch, tmp_path):
    result, [(cmd, env)] = run_serve(monkeypatch, KB_HOME=str(tmp_path),
                                     KB_SERVE_ADDRESS="10.0.0.5", KB_SERVE_PORT="8600")
    assert result.exit_code == 0
    assert flag(cmd, "--server.address") == "10.0.0.5" and flag(cmd, "--server.port") == "8600"
    assert flag(cmd, "--browser.gatherUsageStats") == "false"
    assert flag(cmd, "--server.headless") == "true" and "--secrets.files" not in cmd
    result, [(cmd, _)] = run_serve(monkeypatch, "--port", "9000", "--address", "127.0.0.1")
    assert flag(cmd, "--server.port") == "9000" and flag(cmd, "--server.address") == "127.0.0.1"


def test_serve_writes_the_oidc_secrets(monkeypatch, tmp_path):
    result, [(cmd, _)] = run_serve(
        monkeypatch, KB_HOME=str(tmp_path), KB_AUTH="oidc", KB_OIDC_ISSUER="http://127.0.0.1:9",
        KB_OIDC_CLIENT_ID="kb", KB_OIDC_CLIENT_SECRET="s")
    assert result.exit_code == 0
    auth = tomllib.loads(open(flag(cmd, "--secrets.files"), encoding="utf-8").read())["auth"]
    assert auth["client_id"] == "kb" and auth["redirect_uri"].endswith(":8501/oauth2callback")


def test_serve_refuses_oidc_without_a_client(monkeypatch, tmp_path):
    result, calls = run_serve(monkeypatch, KB_HOME=str(tmp_path), KB_AUTH="oidc")
    assert result.exit_code == 2 and calls == [] and "KB_OIDC_CLIENT_ID" in result.output


def test_stopping_kb_serve_stops_the_page(tmp_path):
    """`kb serve` becomes the Streamlit server: terminating it frees the port (no orphan)."""
    from tests.conftest import REPO

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/_stcore/health"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                assert urllib.request.urlopen(url, timeout=2).read() == b"ok"
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    with socket.socket() as s:  # nothing listens on the port any more
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_serve_runs_streamlit_through_the_warm_up_launcher(monkeypatch, tmp_path):
    """`kb serve` used to exec Streamlit directly: models loaded on the first question."""
    result, [(cmd, env)] = run_serve(monkeypatch, KB_HOME=str(tmp_path))
    assert result.exit_code == 0
    assert cmd[1:5] == ["-m", "ui.serve", "run", cmd[4]] and cmd[4].endswith("ui/app.py")
    from tests.conftest import REPO

    assert str(REPO) in env["PYTHONPATH"].split(os.pathsep)


def test_the_page_uses_the_service_warmed_before_the_server_started(page_env):
    """The service ui/serve.py warms is the one the page scripts get (built once, warm)."""
    import ui.state
    from tests.ui.conftest import page

    app = page_env(real_assistant=True)
    built, warmed = [], []
    make = ui.state.make_app

    def counting_make():
        kb = make()
        built.append(kb)
        real = kb.warm_up
        kb.warm_up = lambda mode=None: (warmed.append(mode), real(mode))
        return kb

    ui.state.make_app = counting_make
    try:
        ui.state.warm_up()  # what ui/serve.py does before Streamlit listens
        at = page()
        assert not at.exception
        assert len(built) == 1 and warmed == [None]
        assert {"searcher", "assistant"} <= set(app._cache)  # built by the warm-up
    finally:
        ui.state.make_app = make
