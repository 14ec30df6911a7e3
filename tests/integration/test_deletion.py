"""Deletion removes the text from every store under KB_HOME (issue 15, finding 7): after `kb
delete` and after "Delete my history", a unique sentinel occurs in no file, in no encoding."""

from __future__ import annotations

import hashlib
import json
import os

from typer.testing import CliRunner

from kb.app.service import KnowledgeBase
from kb.cli import app as cli
from kb.core.types import Principal

SENTINEL = "Qzxv7Sentinel"  # one token for every tokenizer, found in any case


def occurrences(home) -> dict[str, int]:
    return occurrences_of(SENTINEL, home)


def occurrences_of(sentinel: str, home) -> dict[str, int]:
    """{file: times `sentinel` occurs} for every file under `home` (UTF-8, UTF-16, any case)."""
    needles = [sentinel.lower().encode(), sentinel.lower().encode("utf-16-le")]
    found = {}
    for folder, _, files in os.walk(home):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                data = f.read().lower()
            n = sum(data.count(needle) for needle in needles)
            if n:
                found[os.path.relpath(path, home)] = n
    return found


def test_kb_delete_leaves_no_trace_of_the_text_in_any_file(app, settings, corpus):
    """The Chroma queue, the FTS5 segments, the SQLite WAL and the embedding cache all kept
    the deleted text (or a vector keyed by its hash) after `kb delete`."""
    secret = corpus / "secret.md"
    secret.write_text(f"# Plans\n\nThe codename is {SENTINEL} for the merger.\n", "utf-8")
    (corpus / "public.md").write_text("Annual leave is fifteen days.\n", "utf-8")
    kb = KnowledgeBase(app)
    assert kb.ingest([corpus]).failed == ()
    assert occurrences(settings.home)  # the probe sees the text while it is there
    hits = kb.search(SENTINEL, Principal("u"), mode="keyword").hits
    assert hits and SENTINEL in hits[0].chunk.text
    from ingest.chunking import context_text

    keys = [hashlib.sha256(context_text(h.chunk.title, h.chunk.section, h.chunk.text)
                           .encode()).hexdigest() for h in hits]

    result = CliRunner().invoke(cli, ["delete", str(secret), "--json"], obj=kb)
    assert result.exit_code == 0, result.output
    removed = json.loads(result.output)
    assert (removed["deleted"], removed["chunks"], removed["paths"]) == (1, 1, ["secret.md"])
    assert removed["purged"]["cached_vectors"] == 1
    assert removed["purged"]["chroma_queue_records"] >= 1

    assert occurrences(settings.home) == {}  # while the process still has everything open
    cache = app.embedder.db.query("SELECT key FROM vectors")
    assert not {r["key"] for r in cache} & set(keys)
    assert len(cache) == 1  # the public chunk's vector stays cached
    assert kb.search("annual leave", Principal("u"), mode="keyword").hits
    kb.close()
    assert occurrences(settings.home) == {}


def test_an_edit_that_removes_text_leaves_no_trace_of_it(app, settings, corpus):
    """An edit deletes the old version's chunks: their text stayed in the same places."""
    doc = corpus / "plan.md"
    doc.write_text(f"The codename is {SENTINEL}.\n", "utf-8")
    kb = KnowledgeBase(app)
    kb.ingest([corpus])
    doc.write_text("The codename was dropped.\n", "utf-8")
    assert kb.ingest([corpus]).updated == 1
    assert occurrences(settings.home) == {}
    kb.close()


def test_delete_my_history_leaves_no_trace_in_any_file(app, settings, corpus):
    """Deleted conversations stayed readable in the SQLite WAL and in freed pages."""
    (corpus / "public.md").write_text("Annual leave is fifteen days.\n", "utf-8")
    kb = KnowledgeBase(app)
    kb.ingest([corpus])
    records = app.records
    conv = records.start_conversation("mallory", f"{SENTINEL} and leave")
    records.add_turn("mallory", conv, f"Does {SENTINEL} get leave?", kb.ask(
        f"Does {SENTINEL} get annual leave?", Principal("mallory")))
    records.log_query("mallory", "ask", f"{SENTINEL} leave")
    assert occurrences(settings.home)
    assert records.delete_user("mallory") > 0
    assert occurrences(settings.home) == {}
    kb.close()
    assert occurrences(settings.home) == {}
