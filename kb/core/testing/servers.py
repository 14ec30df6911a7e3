"""Real servers for the server-mode tests, started on 127.0.0.1 by the tests themselves: a
`chroma run` subprocess and a throw-away PostgreSQL cluster (initdb + pg_ctl)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chroma_cli() -> str | None:
    here = Path(sys.executable).with_name("chroma")
    return str(here) if here.exists() else shutil.which("chroma")


@dataclass
class ChromaServer:
    url: str
    process: subprocess.Popen
    path: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_chroma(path: Path) -> ChromaServer:
    cli = chroma_cli()
    if cli is None:
        raise RuntimeError("the `chroma` command (package chromadb) is not installed")
    port = free_port()
    log = open(path.parent / f"chroma-{port}.log", "wb")
    proc = subprocess.Popen(
        [cli, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma run exited with {proc.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(url + "/api/v2/heartbeat", timeout=2) as r:
                if r.status == 200:
                    return ChromaServer(url, proc, path)
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"chroma run did not answer within 60 s; see {log.name}")


def pg_bin() -> Path | None:
    for d in PG_BIN_DIRS:
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


@dataclass
class PostgresServer:
    bindir: Path
    datadir: Path
    port: int
    as_user: str | None

    @property
    def url(self) -> str:
        return f"postgresql://kb@127.0.0.1:{self.port}/postgres"

    def run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True)

    def create_database(self, name: str) -> str:
        """A fresh database on this cluster; returns its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://kb@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        try:
            self.run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate",
                     "-w", "stop")
        finally:
            shutil.rmtree(self.datadir.parent, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """initdb into a fresh folder and start on 127.0.0.1 (as the `postgres` user when we are
    root: the server refuses to run as root). Trust authentication, superuser `kb`."""
    bindir = pg_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    as_user = None
    base = Path(tempfile.mkdtemp(prefix="kb-pg-"))
    if os.geteuid() == 0:
        import pwd

        for name in ("postgres", "nobody"):
            try:
                pw = pwd.getpwnam(name)
            except KeyError:
                continue
            as_user = name
            os.chown(base, pw.pw_uid, pw.pw_gid)
            break
        else:
            raise RuntimeError("running as root and no unprivileged user to run PostgreSQL")
    os.chmod(base, 0o755)
    server = PostgresServer(bindir, base / "data", free_port(), as_user)
    server.run(str(bindir / "initdb"), "-D", str(server.datadir), "-U", "kb", "-A", "trust",
               "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
    opts = (f"-c listen_addresses=127.0.0.1 -c port={server.port} -c unix_socket_directories="
            f"{base} -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200 -c wal_recycle=off")  # as docs/DEPLOY.md asks, for purging
    server.run(str(bindir / "pg_ctl"), "-D", str(server.datadir), "-o", opts,
               "-l", str(base / "server.log"), "-w", "-t", "60", "start")
    return server
