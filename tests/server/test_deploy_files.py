"""The deployment files stay true to the code: docker-compose.yml has the services a deployment
needs (validated by Debian's `docker-compose config` where it is installed, structurally always),
the Dockerfile serves the page. (.env.example: tests/unit/test_settings_docs.py.)"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from kb.core.config import Settings
from tests.conftest import REPO

COMPOSE = REPO / "docker-compose.yml"


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text("utf-8"))


def test_compose_has_the_services_of_a_deployment():
    c = compose()
    services = c["services"]
    assert {"chroma", "postgres", "app", "worker", "ollama"} <= set(services)
    assert services["ollama"]["profiles"] == ["ollama"]
    for name in ("chroma", "postgres", "app", "ollama"):
        assert services[name]["healthcheck"]["test"], name
    for name, svc in services.items():
        if "image" in svc and "build" not in svc:
            image, _, tag = svc["image"].rpartition(":")
            assert image and tag and tag != "latest" and re.match(r"\d", tag), (name, tag)
    assert services["chroma"]["image"] == f"chromadb/chroma:{_chromadb_version()}"
    named = set(c["volumes"])
    for name in ("chroma", "postgres"):
        mounts = [v.split(":")[0] for v in services[name]["volumes"]]
        assert any(m in named for m in mounts), f"{name} keeps its data in a named volume"
    for name in ("app", "worker", "api"):
        svc = services[name]
        assert svc["build"] == "." and svc["env_file"] == [".env"]
        env = svc["environment"]
        assert env["KB_CHROMA_URL"] == "http://chroma:8000"
        assert env["KB_DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env[
            "KB_DATABASE_URL"]
        assert svc["depends_on"]["chroma"]["condition"] == "service_healthy"
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert set(env) <= {f"KB_{n.upper()}" for n in Settings.model_fields}
        # deletions reach the Chroma server's files (docs/DEPLOY.md, "Deletion")
        chroma_volume = services["chroma"]["volumes"][0].split(":")[0]
        assert f"{chroma_volume}:{env['KB_CHROMA_SERVER_PATH']}" in svc["volumes"]
    assert "wal_recycle=off" in services["postgres"]["command"]
    assert services["worker"]["command"][:3] == ["kb", "ingest", "--watch"]
    assert services["app"]["command"][:2] == ["kb", "serve"]
    assert services["api"]["command"][:2] == ["kb", "api"]


def _chromadb_version() -> str:
    from importlib.metadata import version

    return version("chromadb")


def test_dockerfile_serves_the_page_and_installs_the_postgres_client():
    text = (REPO / "Dockerfile").read_text("utf-8")
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    assert 'CMD ["kb", "serve", "--address", "0.0.0.0"' in text
    assert "ARG EXTRAS=ui,postgres" in text
    assert "download.pytorch.org/whl/cpu" in text  # torch, when wanted, is the CPU build
    for folder in ("kb", "ingest", "retriever", "assistant", "ui"):
        assert f"COPY {folder} ./{folder}" in text


@pytest.mark.skipif(shutil.which("docker-compose") is None,
                    reason="Debian's docker-compose is not installed")
def test_docker_compose_config_accepts_the_file(tmp_path):
    """`docker-compose config` validates against the compose schema; needs no Docker engine."""
    shutil.copy(COMPOSE, tmp_path / "docker-compose.yml")
    shutil.copy(REPO / ".env.example", tmp_path / ".env")
    proc = subprocess.run(["docker-compose", "config"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    resolved = yaml.safe_load(proc.stdout)
    assert "postgresql://kb:change-me@postgres:5432/kb" == \
        resolved["services"]["worker"]["environment"]["KB_DATABASE_URL"]
    assert resolved["services"]["ollama"]["profiles"] == ["ollama"]  # off unless asked for
    (tmp_path / ".env").write_text("", "utf-8")
    missing = subprocess.run(["docker-compose", "config", "-q"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode != 0 and "POSTGRES_PASSWORD" in missing.stderr
