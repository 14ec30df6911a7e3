"""Ingest jobs for front ends that cannot wait for an ingest to finish (the HTTP API): one runs
at a time in a background thread, with its progress and, at the end, its report or its error.

One at a time in this process; across processes the ingest's own writers' lock still holds, so
a job started while `kb ingest` runs ends `failed` with the lock's message."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kb.core.errors import IngestLocked
from kb.core.types import IngestReport

KEEP = 50  # finished jobs remembered


@dataclass(frozen=True)
class Job:
    id: str
    paths: tuple[str, ...]
    dry_run: bool
    status: str = "queued"  # queued | running | done | failed
    phase: str = ""
    done: int = 0
    total: int = 0
    current: str = ""
    report: IngestReport | None = None
    error: str = ""
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "paths": list(self.paths), "dry_run": self.dry_run,
                "status": self.status,
                "progress": {"phase": self.phase, "done": self.done, "total": self.total,
                             "path": self.current},
                "report": self.report.to_json() if self.report else None,
                "error": self.error or None, "created_at": self.created_at,
                "finished_at": self.finished_at}


Run = Callable[[Sequence[str], bool, Callable[[str, int, int, str], None]], IngestReport]


class IngestJobs:
    def __init__(self, run: Run) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}

    def start(self, paths: Sequence[str], dry_run: bool = False) -> Job:
        """Start a job now, or raise IngestLocked while another one runs."""
        with self._lock:
            if any(j.status in ("queued", "running") for j in self._jobs.values()):
                raise IngestLocked("another ingest job is running; try again when it is done")
            job = Job(uuid.uuid4().hex, tuple(paths), dry_run)
            self._jobs[job.id] = job
            finished = [j for j in self._jobs.values() if j.finished_at is not None]
            for old in sorted(finished, key=lambda j: j.finished_at)[:-KEEP]:
                del self._jobs[old.id]
        threading.Thread(target=self._work, args=(job.id,), name=f"ingest-{job.id[:8]}",
                         daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def wait(self, job_id: str, timeout: float = 60.0) -> Job | None:
        """The job once it has finished (or as it is when `timeout` runs out)."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if job is None or job.finished_at is not None or time.monotonic() > deadline:
                return job
            time.sleep(0.05)

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            self._jobs[job_id] = replace(self._jobs[job_id], **changes)

    def _work(self, job_id: str) -> None:
        job = self.get(job_id)
        self._update(job_id, status="running")

        def progress(phase: str, done: int, total: int, path: str) -> None:
            self._update(job_id, phase=phase, done=done, total=total, current=path)

        try:
            report = self._run(job.paths, job.dry_run, progress)
        except Exception as exc:  # noqa: BLE001 - the job reports it; the server keeps serving
            self._update(job_id, status="failed", error=str(exc) or type(exc).__name__,
                         finished_at=time.time())
            return
        self._update(job_id, status="done", report=report, finished_at=time.time())
