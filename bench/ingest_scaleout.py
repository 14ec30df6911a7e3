"""Scale-out part of bench/ingest.py: 1 vs 2 `kb ingest` workers sharing one sync through the
PostgreSQL work queue, with a Chroma server, a PostgreSQL cluster and the simulated GPU
embeddings server all started here on 127.0.0.1.

Throughput is measured over the writing window (first to last document written, from the
manifest's `ingested_at`), so the ~3 s each worker process spends importing and planning
counts for neither; the wall-clock ratio, start-up included, is printed too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(home: Path, url: str, db_url: str, chroma_url: str, collection: str, batch: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update({"PYTHONPATH": str(ROOT), "KB_HOME": str(home), "KB_EMBEDDING_URL": url,
                "KB_DATABASE_URL": db_url, "KB_CHROMA_URL": chroma_url,
                "KB_COLLECTION": collection, "KB_INGEST_QUEUE": "true",
                "KB_EMBEDDING_BATCH_SIZE": str(batch), "KB_EMBEDDING_CONCURRENCY": "1",
                "ANONYMIZED_TELEMETRY": "False"})
    return env


def _window(db_url: str) -> tuple[int, int, float]:
    import psycopg

    with psycopg.connect(db_url) as conn:
        n, chunks, lo, hi = conn.execute(
            "SELECT COUNT(*), SUM(chunks), MIN(ingested_at), MAX(ingested_at) FROM documents"
            " WHERE status = 'ok'").fetchone()
    return int(n), int(chunks or 0), float(hi - lo)


def bench_scaleout(workdir: Path, files: int, delay: float, batch: int) -> dict:
    from bench.ingest import make_corpus
    from kb.core.testing import servers
    from kb.core.testing.embedding_server import EmbeddingServer

    corpus = workdir / "scaleout-corpus"
    make_corpus(corpus, files)
    pg = servers.start_postgres()
    chroma = servers.start_chroma(workdir / "chroma-data")
    out: dict = {"files": files, "server_delay_s": delay, "batch": batch,
                 "requests_in_flight_per_worker": 1}
    try:
        with EmbeddingServer(dim=384, delay=delay) as server:
            for workers in (1, 2):
                db_url = pg.create_database(f"scale{workers}")
                env = [_env(workdir / f"scale-home-{workers}-{i}", server.url, db_url,
                            chroma.url, f"scale{workers}", batch) for i in range(workers)]
                t = time.perf_counter()
                procs = [subprocess.Popen(
                    [sys.executable, "-m", "kb.cli", "ingest", str(corpus), "--json"], env=e,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for e in env]
                reports = []
                for p in procs:
                    o, err = p.communicate(timeout=900)
                    if p.returncode != 0:
                        raise RuntimeError(f"worker failed: {err[-2000:]}")
                    reports.append(json.loads(o))
                wall = time.perf_counter() - t
                docs, chunks, window = _window(db_url)
                out[f"{workers}_workers"] = {
                    "wall_s": round(wall, 2), "docs": docs, "chunks": chunks,
                    "write_window_s": round(window, 2),
                    "chunks_per_s": round(chunks / window, 2),
                    "docs_by_worker": [r["added"] + r["updated"] for r in reports],
                    "failed": sum(len(r["failed"]) for r in reports)}
        one, two = out["1_workers"], out["2_workers"]
        out["two_over_one"] = round(two["chunks_per_s"] / one["chunks_per_s"], 2)
        out["two_over_one_wall"] = round(one["wall_s"] / two["wall_s"], 2)
    finally:
        chroma.stop()
        pg.stop()
    return out
