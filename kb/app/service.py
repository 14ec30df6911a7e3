"""The service layer: the use cases every front end calls (the `kb` CLI, the page, and the HTTP
API and MCP server to come). One `KnowledgeBase` per process, shared by every request; it keeps
no per-call state, and every method that reads documents takes the principal it reads for.

Front ends import this module, kb/app's records and sign-in, and the ground's records and
errors; never a role package (tests/unit/test_layers.py)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from kb.app.documents import OpenedDocument, OpenedPassage
from kb.app.wiring import App, build
from kb.core.config import Settings
from kb.core.types import (
    Answer,
    AnswerEvent,
    DocRecord,
    IngestReport,
    Principal,
    SearchResult,
    Turn,
)

Progress = Callable[[str, int, int, str], None]  # (phase, done, total, path)


class KnowledgeBase:
    def __init__(self, app: App) -> None:
        self.app = app  # the composition root: what the use cases are built from

    @property
    def settings(self) -> Settings:
        return self.app.settings

    @property
    def records(self):
        """Conversations, feedback and the query log (kb/app/records.py)."""
        return self.app.records

    # ---------------------------------------------------------------- search and answers
    def search(self, query: str, principal: Principal, k: int | None = None,
               mode: str | None = None) -> SearchResult:
        """The chunks `principal` may read that best match `query`, with this call's timings."""
        return self.app.searcher().search(query, principal, k=k, mode=mode)

    def ask(self, question: str, principal: Principal, history: Sequence[Turn] = ()) -> Answer:
        return self.app.assistant().ask(question, principal, history)

    def stream(self, question: str, principal: Principal,
               history: Sequence[Turn] = ()) -> Iterator[AnswerEvent]:
        """One `hits` event, `delta`s of the answer text, then one final `answer` event."""
        return self.app.assistant().stream(question, principal, history)

    def warm_up(self, mode: str | None = None) -> None:
        """Load the models and open the stores, so that the first question is not the slow one
        (the page does this as its server process starts: ui/serve.py)."""
        self.app.searcher().warm_up(mode)
        self.app.assistant()  # built once: its refusal model and the keyword term weights

    # ---------------------------------------------------------------- documents
    def readable_documents(self, principal: Principal) -> list[DocRecord]:
        return self.app.documents.readable(principal)

    def open_document(self, doc_id: str, principal: Principal) -> OpenedDocument:
        """The document's record and text, if `principal` may read it (else NotFound)."""
        return self.app.documents.open(doc_id, principal)

    def open_passage(self, doc_id: str, principal: Principal, page: int | None, start: int,
                     end: int, quote: str = "") -> OpenedPassage:
        """A cited span in its context, if `principal` may read the document (else NotFound)."""
        return self.app.documents.passage(doc_id, principal, page, start, end, quote)

    def original_file(self, doc_id: str, principal: Principal) -> Path:
        """The original file, if `principal` may read it and it is still on disk (else
        NotFound)."""
        return self.app.documents.file(doc_id, principal)

    # ---------------------------------------------------------------- the library
    def library(self) -> list[DocRecord]:
        """Every manifest row, searchable or failed (content owners: Library, `kb status`)."""
        return self.app.manifest.docs()

    def pending(self) -> set[str]:
        """Documents being written right now (or left by a crash until the next run)."""
        return set(self.app.manifest.pending())

    def last_runs(self, limit: int = 20) -> list[dict]:
        return self.app.manifest.last_runs(limit)

    def status(self) -> dict[str, Any]:
        """What `kb status --json` prints: every file with its status, and the last runs."""
        docs = self.library()
        files = [
            {"root": d.root, "path": d.path,
             "status": "searchable" if d.status == "ok" else "failed",
             "chunks": d.chunks, "error_code": d.error_code or None, "error": d.error or None,
             "groups": sorted(d.acl), "ingested_at": d.ingested_at}
            for d in docs
        ]
        ok = [d for d in docs if d.status == "ok"]
        return {
            "documents": len(ok), "failed": len(docs) - len(ok),
            "chunks": sum(d.chunks for d in ok), "roots": sorted({d.root for d in docs}),
            "files": files, "last_runs": self.last_runs(5),
        }

    # ---------------------------------------------------------------- writing
    def ingest(self, paths: Sequence[str | os.PathLike], dry_run: bool = False,
               progress: Progress | None = None) -> IngestReport:
        """Sync folders or files into every index (IngestLocked when another ingest runs)."""
        return self.app.ingestor().run([str(p) for p in paths], dry_run=dry_run,
                                       progress=progress)

    def watch(self, paths: Sequence[str], once: Callable[[], object], stop: threading.Event,
              on_error: Callable[[Exception], None] | None = None) -> int:
        """Call `once` now and whenever the folders change, until `stop` is set."""
        from ingest.watch import watch

        return watch([str(p) for p in paths], once, self.settings.watch_interval, stop,
                     on_error=on_error)

    def delete(self, path: str | os.PathLike) -> int:
        """Remove a file or folder from every index; returns how many documents."""
        return self.app.ingestor().delete_path(str(path))

    def reindex_keywords(self) -> int:
        return self.app.keyword_index.rebuild()

    # ---------------------------------------------------------------- evaluation
    def known_paths(self) -> set[str]:
        return {d.path for d in self.library() if d.status == "ok"}

    def evaluate(self, questions, principal: Principal, *, k: int = 10,
                 mode: str | None = None, answers: bool = False, misses: int = 0,
                 per_question: bool = False,
                 progress: Callable[[int, int], None] | None = None) -> dict:
        """`kb eval`: retrieval metrics of `questions` searched as `principal`; with `answers`,
        every question asked instead, adding the answer metrics (kb/app/evaluate.py)."""
        from kb.app.evaluate import evaluate, evaluate_answers

        s = self.settings
        mode = mode or s.search_mode
        if answers:
            if mode != s.search_mode:
                raise ValueError("--answers uses the configured search mode (KB_SEARCH_MODE); "
                                 "drop --mode")
            return evaluate_answers(
                self, questions, principal, k=s.search_k, misses=misses, progress=progress,
                per_question=per_question, answer_k=s.answer_k, mode=mode)
        return evaluate(self, questions, principal, k=k, mode=mode, misses=misses,
                        progress=progress, per_question=per_question)

    def close(self) -> None:
        self.app.close()


def open_knowledge_base(settings: Settings | None = None, **overrides: Any) -> KnowledgeBase:
    """The service for one process, built from settings (overrides: see kb.app.wiring.App)."""
    return KnowledgeBase(build(settings, **overrides))
