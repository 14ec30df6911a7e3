"""Parsers run in child processes that can be stopped: a per-file timeout and a memory cap.

A parser that hangs, loops or balloons on one hostile file must not take the run with it. Each
worker is a fresh interpreter (`python -m ingest.isolate`, so nothing of the parent's state or
main module is inherited) that loads files one at a time, talking pickles over two pipes. The caller waits for the answer while
watching the clock and the worker's resident memory; past either limit the worker is killed (and
replaced on the next file) and the file fails with `timeout` or `too_large`. The address-space
rlimit inside the worker is a backstop against single huge allocations. Workers live for one
ingest run; `close()` stops them.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from kb.core.errors import IngestError
from ingest.loaders.base import LoadedDoc, LoadOptions

POLL_S = 0.1
ADDRESS_SPACE_FACTOR = 4  # virtual memory is reserved generously (thread stacks, onnxruntime)
ADDRESS_SPACE_EXTRA_MB = 4096


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1048576
    except (OSError, ValueError, IndexError):
        return 0.0


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it does not inherit the
    parent's peak across fork + exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _serve(inbox: Connection, outbox: Connection, memory_mb: int) -> None:  # runs in the child
    import resource

    from ingest import loaders

    limit = (memory_mb * ADDRESS_SPACE_FACTOR + ADDRESS_SPACE_EXTRA_MB) * 1048576
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass
    while True:
        try:
            job = inbox.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        data, name, options = job
        try:
            doc = loaders.load(data, name, options)
            reply = ("ok", doc)
        except IngestError as exc:
            reply = ("err", exc.code, exc.message)
        except MemoryError:
            reply = ("err", "too_large", f"parsing needed more memory than allowed "
                     f"({memory_mb} MB, KB_LOAD_MEMORY_MB)")
        except Exception as exc:  # a parser bug on one file never stops the run
            reply = ("err", "corrupt", f"could not parse the file: {type(exc).__name__}: {exc}")
        peak_mb = peak_rss_mb()
        del data, job
        try:
            outbox.send((*reply, peak_mb))
        except MemoryError:
            outbox.send(("err", "too_large", "the extracted text is too large to hand back", peak_mb))


class _Worker:
    def __init__(self, memory_mb: int) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(
            [package_root, *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ingest.isolate", str(to_child_r), str(from_child_w),
             str(memory_mb)],
            pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, env=env,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.outbox = Connection(to_child_w, readable=False)
        self.inbox = Connection(from_child_r, writable=False)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _close_pipes(self) -> None:
        for conn in (self.outbox, self.inbox):
            try:
                conn.close()
            except OSError:
                pass

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self._close_pipes()

    def stop(self) -> None:
        try:
            self.outbox.send(None)
            self.proc.wait(2)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            self.kill()
        self._close_pipes()


@dataclass
class Limits:
    timeout_s: float = 300.0
    memory_mb: int = 2048


class IsolatedLoader:
    """`load()` is thread-safe: each calling thread borrows a worker process of its own."""

    def __init__(self, limits: Limits, workers: int = 1) -> None:
        self.limits = limits
        self._slots = threading.BoundedSemaphore(max(1, workers))
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._all: list[_Worker] = []
        self.peak_rss_mb = 0.0  # largest resident size a worker reported
        self.killed = 0

    def __enter__(self) -> IsolatedLoader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _borrow(self) -> _Worker:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                worker = _Worker(self.limits.memory_mb)
                with self._lock:
                    self._all.append(worker)
                return worker
            if worker.alive():
                return worker
            worker.kill()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        self.killed += 1
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)

    def load(self, data: bytes, name: str, options: LoadOptions) -> LoadedDoc:
        with self._slots:
            worker = self._borrow()
            try:
                reply = self._run(worker, data, name, options)
            except BaseException:
                self._discard(worker)
                raise
            self._idle.put(worker)
        status, *rest = reply
        self.peak_rss_mb = max(self.peak_rss_mb, rest[-1])
        if status == "ok":
            return rest[0]
        raise IngestError(rest[0], rest[1])

    def _run(self, worker: _Worker, data: bytes, name: str, options: LoadOptions):
        limits = self.limits
        try:
            worker.outbox.send((data, name, options))
        except (OSError, ValueError) as exc:
            raise IngestError("corrupt", f"the parser process failed to start: {exc}") from exc
        deadline = time.monotonic() + limits.timeout_s
        while True:
            if worker.inbox.poll(POLL_S):
                try:
                    return worker.inbox.recv()
                except (EOFError, OSError):
                    pass  # died while answering: reported below
            if not worker.alive():
                code = worker.proc.returncode
                if code == -9:  # killed: the kernel's OOM killer
                    raise IngestError("too_large", "the parser was killed by the system, most "
                                      "likely for lack of memory")
                raise IngestError("corrupt", f"the parser crashed on this file (exit code {code})")
            if _rss_mb(worker.proc.pid) > limits.memory_mb:
                raise IngestError("too_large", f"parsing needed more than {limits.memory_mb} MB "
                                  "of memory and was stopped (KB_LOAD_MEMORY_MB)")
            if time.monotonic() > deadline:
                raise IngestError("timeout", f"parsing took longer than {limits.timeout_s:g} s "
                                  "and was stopped (KB_LOAD_TIMEOUT)")

    def close(self) -> None:
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.stop()
        while not self._idle.empty():
            self._idle.get_nowait()


def _main(argv: list[str]) -> None:
    inbox = Connection(int(argv[0]), writable=False)
    outbox = Connection(int(argv[1]), readable=False)
    os.dup2(2, 1)  # stray prints of parsers go to stderr, never into the protocol
    _serve(inbox, outbox, int(argv[2]))


if __name__ == "__main__":
    _main(sys.argv[1:])
