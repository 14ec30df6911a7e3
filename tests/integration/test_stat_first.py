"""Stat-first re-ingest: a file whose size and modification time are unchanged is not read."""

from __future__ import annotations

import os
import time

import pytest

from ingest import discover
from tests.helpers import assert_indexes_match_disk

OLD = time.time() - 3600


def write(root, rel, text, mtime=OLD):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def hashes(monkeypatch):
    """The paths discover.scan reads to hash, in order."""
    seen: list[str] = []
    real = discover.hash_file

    def counting(path, *a, **kw):
        seen.append(os.path.basename(path))
        return real(path, *a, **kw)

    monkeypatch.setattr(discover, "hash_file", counting)
    return seen


def run(app, root):
    return app.ingestor().run([str(root)])


def test_unchanged_files_are_not_read_again(app, corpus, hashes):
    for i in range(5):
        write(corpus, f"d{i}.md", f"# Doc {i}\n\n年假 {i} 天。Leave is {i} days.")
    assert run(app, corpus).added == 5
    assert len(hashes) == 5
    hashes.clear()
    r = run(app, corpus)
    assert r.nothing_to_do and r.unchanged == 5
    assert hashes == [], "an unchanged re-ingest read files"


def test_changed_and_touched_files_are_hashed_once(app, corpus, hashes):
    for i in range(3):
        write(corpus, f"d{i}.md", f"# Doc {i}\n\nLeave is {i} days.")
    run(app, corpus)
    write(corpus, "d0.md", "# Doc 0\n\nLeave is 9 days.", mtime=OLD + 10)  # same size, new text
    p = corpus / "d1.md"
    os.utime(p, (OLD + 20, OLD + 20))  # touched, same bytes
    hashes.clear()
    r = run(app, corpus)
    assert (r.updated, r.unchanged) == (1, 2)
    assert sorted(hashes) == ["d0.md", "d1.md"]
    assert_indexes_match_disk(app, corpus)
    hashes.clear()
    assert run(app, corpus).nothing_to_do
    assert hashes == [], "the touched file's new stat was not remembered"


def test_a_file_written_just_now_is_hashed_next_time(app, corpus, hashes):
    """A file changed again within the same timestamp tick as its read must not be missed."""
    # a time ahead of the clock stays "just now" however slowly the run goes
    write(corpus, "fresh.md", "# Fresh\n\nLeave is 1 day.", mtime=time.time() + 600)
    run(app, corpus)
    hashes.clear()
    run(app, corpus)
    assert hashes == ["fresh.md"]


def test_a_failed_file_is_retried_whatever_its_stat(app, corpus):
    write(corpus, "bad.pdf", "not a pdf at all")
    assert [f.code for f in run(app, corpus).failed] == ["corrupt"]
    assert [f.code for f in run(app, corpus).failed] == ["corrupt"]


def test_walk_yields_size_and_mtime_and_skips_links(corpus):
    write(corpus, "a.txt", "abc")
    write(corpus, "sub/b.txt", "abcd")
    os.symlink(corpus / "a.txt", corpus / "link.txt")
    os.symlink(corpus / "sub", corpus / "linkdir")
    found = list(discover.walk(str(corpus)))
    assert [f.rel for f in found] == ["a.txt", "sub/b.txt"]
    assert [f.size for f in found] == [3, 4]
    assert found[0].mtime_ns == os.stat(corpus / "a.txt").st_mtime_ns
