"""Concurrent search throughput: embedded mode vs server mode, in one run, as ratios.

    python bench/serve.py [--chunks 20000] [--seconds 8] [--clients 1,4,16] [--home DIR]

Both deployments get the same synthetic corpus (bench/query.py's: bilingual Zipf text, 384-d
topic vectors, 80% public chunks), written through the product's own write paths:

* embedded: Chroma PersistentClient + SQLite (FTS5 keyword index, manifest) in this process;
* server: a `chroma run` server and a PostgreSQL cluster, both started here on 127.0.0.1 (the
  test suite's helpers, tests/server/servers.py), reached through KB_CHROMA_URL and
  KB_DATABASE_URL.

For each client count C, C threads of one process (a page process serving C sessions) issue
hybrid searches (k=10, query vectors precomputed: the embedding model's time is excluded, it is
the same in both modes) for `--seconds`; askers alternate between a user without groups and a
user in hr. Reported: queries/s and p50/p95 latency per mode and C, server/embedded ratios, and
each mode's scaling over C=1. Prints one JSON object on stdout; progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the repository first: this folder's ingest.py must not shadow the `ingest` package
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.query import build_store, log, make_queries, pct  # noqa: E402


class LookupEmbedder:
    """Query vectors by query text (thread-safe: nothing changes after construction)."""

    model_id = "bench-precomputed"

    def __init__(self, queries) -> None:
        self.vectors = dict(queries)

    def embed_documents(self, texts):
        raise RuntimeError("the benchmark writes precomputed vectors")

    def embed_query(self, text):
        return self.vectors[text]


def run_clients(searcher, queries, clients: int, seconds: float) -> dict:
    from kb.core.types import Principal

    askers = [Principal("u1"), Principal("u2", frozenset({"hr"}))]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    deadline = 0.0

    def client(n: int) -> None:
        mine = []
        i = n
        start_gate.wait()
        while time.perf_counter() < deadline:
            text, _ = queries[i % len(queries)]
            t = time.perf_counter()
            try:
                searcher.search(text, askers[i % 2], k=10, mode="hybrid")
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(repr(exc))
            mine.append((time.perf_counter() - t) * 1000)
            i += clients
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    deadline = time.perf_counter() + seconds
    began = time.perf_counter()
    start_gate.wait()
    for t in threads:
        t.join()
    took = time.perf_counter() - began
    return {"queries": len(latencies), "qps": round(len(latencies) / took, 1),
            "p50_ms": round(pct(latencies, 50), 1), "p95_ms": round(pct(latencies, 95), 1),
            "errors": len(errors)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chunks", type=int, default=20000)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--clients", default="1,4,16")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--home", default="")
    args = ap.parse_args()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from kb.core.config import Settings
    from kb.core.types import Principal
    from kb.app.wiring import build
    from kb.core.testing import servers

    levels = [int(c) for c in args.clients.split(",")]
    home = Path(args.home or tempfile.mkdtemp(prefix="kb-bench-serve-"))
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "chunks": args.chunks, "seconds_per_level": args.seconds, "modes": {},
    }
    chroma = servers.start_chroma(home / "chroma-server")
    pg = servers.start_postgres()
    try:
        modes = {"embedded": {},
                 "server": {"chroma_url": chroma.url,
                            "database_url": pg.create_database("kb_bench")}}
        for mode, overrides in modes.items():
            log(f"{mode}: writing {args.chunks} chunks")
            t = time.perf_counter()
            kb, texts, topics = build_store(home / mode, args.chunks, **overrides)
            build_s = time.perf_counter() - t
            queries = make_queries(texts, topics, args.queries)
            kb.close()
            # a fresh App, as a page process would start, with the query lookup embedder
            kb = build(Settings(home=home / mode, query_centering=False, **overrides),
                       embedder_override=LookupEmbedder(queries))
            searcher = kb.searcher()
            for text, _ in queries[:20]:  # warm caches and connections
                searcher.search(text, Principal("warm-up"), k=10)
            per = {"build_s": round(build_s, 1),
                   "write_chunks_per_s": round(args.chunks / build_s, 1)}
            for c in levels:
                log(f"{mode}: {c} client(s) for {args.seconds:g}s")
                per[str(c)] = run_clients(searcher, queries, c, args.seconds)
            result["modes"][mode] = per
            kb.close()
    finally:
        chroma.stop()
        pg.stop()
    emb, srv = result["modes"]["embedded"], result["modes"]["server"]
    result["server_over_embedded"] = {
        str(c): {"qps": round(srv[str(c)]["qps"] / emb[str(c)]["qps"], 2),
                 "p95": round(srv[str(c)]["p95_ms"] / emb[str(c)]["p95_ms"], 2)}
        for c in levels}
    result["scaling_over_1_client"] = {
        mode: {str(c): round(per[str(c)]["qps"] / per[str(levels[0])]["qps"], 2) for c in levels}
        for mode, per in result["modes"].items()}
    result["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
