"""The service layer: the use cases every front end calls (the `kb` CLI, the page, and the HTTP
API and MCP server to come). One `KnowledgeBase` per process, shared by every request; it keeps
no per-call state, and every method that reads documents takes the principal it reads for.

Front ends import this module, kb/app's records and sign-in, and the ground's records and
errors; never a role package (tests/unit/test_layers.py)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from kb.app import uploads
from kb.app.documents import NOT_FOUND, OpenedDocument, OpenedPassage, OriginalFile
from kb.app.jobs import IngestJobs
from kb.app.records import StoredTurn, withhold
from kb.app.wiring import App, build
from kb.core.config import Settings
from kb.core.errors import NotFound, QueryTooLong, UploadRefused
from kb.core.types import (
    Answer,
    AnswerEvent,
    DocRecord,
    IngestReport,
    Removal,
    Principal,
    SearchResult,
    Turn,
)

Progress = Callable[[str, int, int, str], None]  # (phase, done, total, path)


class KnowledgeBase:
    def __init__(self, app: App) -> None:
        self.app = app  # the composition root: what the use cases are built from
        # background ingests of the HTTP API: one at a time, with progress (kb/app/jobs.py)
        self.jobs = IngestJobs(lambda paths, dry_run, progress: self.ingest(
            paths, dry_run=dry_run, progress=progress))

    @property
    def settings(self) -> Settings:
        return self.app.settings

    @property
    def records(self):
        """Conversations, feedback and the query log (kb/app/records.py)."""
        return self.app.records

    @property
    def keys(self):
        """The API keys of the HTTP API and MCP server (kb/app/keys.py)."""
        return self.app.keys

    def remember_answer(self, user: str, question: str, answer: Answer, latency_ms: float,
                        conversation_id: str | None = None) -> tuple[str, str]:
        """Keep an answer as the page does: a turn of the user's conversation (a new one
        when none is given) and a query-log entry. Returns (conversation id, turn id);
        PermissionError when the conversation is not the user's."""
        records = self.records
        if conversation_id is None:
            conversation_id = records.start_conversation(user, question)
        turn_id = records.add_turn(user, conversation_id, question, answer)
        records.log_query(user, "ask", question, refused=answer.refused, reason=answer.reason,
                          results=len(answer.hits), latency_ms=latency_ms)
        return conversation_id, turn_id

    # ---------------------------------------------------------------- search and answers
    def search(self, query: str, principal: Principal, k: int | None = None,
               mode: str | None = None) -> SearchResult:
        """The chunks `principal` may read that best match `query`, with this call's timings."""
        self.check_query(query)
        return self.app.searcher().search(query, principal, k=k, mode=mode)

    def check_query(self, text: str) -> None:
        """QueryTooLong when `text` is over `KB_MAX_QUERY_CHARS`, before anything is embedded."""
        if len(text) > self.settings.max_query_chars:
            raise QueryTooLong(len(text), self.settings.max_query_chars)

    def ask(self, question: str, principal: Principal, history: Sequence[Turn] = ()) -> Answer:
        self.check_query(question)
        return self.app.assistant().ask(question, principal, history)

    def stream(self, question: str, principal: Principal,
               history: Sequence[Turn] = ()) -> Iterator[AnswerEvent]:
        """One `hits` event, `delta`s of the answer text, then one final `answer` event
        (QueryTooLong at once, before the first event)."""
        self.check_query(question)
        return self.app.assistant().stream(question, principal, history)

    def warm_up(self, mode: str | None = None) -> None:
        """Load the models and open the stores, so that the first question is not the slow one
        (the page does this as its server process starts: ui/serve.py)."""
        self.app.searcher().warm_up(mode)
        self.app.assistant()  # built once: its refusal model and the keyword term weights
        self.app.lexicon.warm_up()  # the dictionary behind cross-language evidence

    def turns(self, principal: Principal, conversation_id: str) -> list[StoredTurn]:
        """A past conversation of `principal`, as they may see it now: each citation is checked
        again (the document still exists and they may still read it); what fails is withheld
        with its part of the answer, and `withheld` counts it (kb/app/records.py)."""
        shown = []
        for turn in self.records.turns(principal.user, conversation_id):
            readable = {c["n"] for c in turn.citations if self._readable(c["doc_id"], principal)}
            shown.append(withhold(turn, readable))
        return shown

    def _readable(self, doc_id: str, principal: Principal) -> bool:
        try:
            self.app.documents.record(doc_id, principal)
        except NotFound:
            return False
        return True

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

    def original_file(self, doc_id: str, principal: Principal) -> OriginalFile:
        """The original file's ingested bytes, if `principal` may read it and it is still on
        disk unchanged (else NotFound)."""
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

    def upload(self, root: str, sub: str,
               files: Sequence[tuple[str, bytes]]) -> uploads.UploadResult:
        """Write uploaded (name, bytes) files into `sub` of the ingested folder `root`, without
        ingesting them (kb/app/uploads.py: no rule file, no hostile name; UploadRefused per
        file, or for all of them when the folder is refused)."""
        if root not in {d.root for d in self.library()}:
            raise UploadRefused("unknown_root", root, "that folder is not ingested")
        return uploads.save(root, sub, files, self.settings)

    def watch(self, paths: Sequence[str], once: Callable[[], object], stop: threading.Event,
              on_error: Callable[[Exception], None] | None = None) -> int:
        """Call `once` now and whenever the folders change, until `stop` is set."""
        from ingest.watch import watch

        return watch([str(p) for p in paths], once, self.settings.watch_interval, stop,
                     on_error=on_error)

    def delete(self, path: str | os.PathLike) -> Removal:
        """Remove a file or folder from every index and its text from the stores' files."""
        return self.app.ingestor().delete_path(str(path))

    def delete_document(self, doc_id: str) -> Removal:
        """Remove one document (with its attachments) from every index, by its id (NotFound
        when the manifest has no such row)."""
        rec = self.app.manifest.get(doc_id)
        if rec is None:
            raise NotFound(NOT_FOUND)
        return self.delete(os.path.join(rec.root, rec.path))

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
        every question asked instead, adding the answer metrics (kb/app/evaluate.py). Gold
        files `principal` cannot read are reported missing like absent ones: an evaluation
        never tells whether a restricted path exists."""
        from kb.app.evaluate import missing_gold

        readable = {d.path for d in self.readable_documents(principal)}
        return {**self._evaluate(questions, principal, k=k, mode=mode, answers=answers,
                                 misses=misses, per_question=per_question, progress=progress),
                "gold_missing_from_index": missing_gold(questions, readable)}

    def _evaluate(self, questions, principal: Principal, *, k: int, mode: str | None,
                  answers: bool, misses: int, per_question: bool,
                  progress: Callable[[int, int], None] | None) -> dict:
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
