"""The service layer every front end calls: per-call diagnostics under concurrent users, and
the one access decision for opening passages, documents and original files."""

from __future__ import annotations

import shutil
import threading

import pytest

from kb.app.service import KnowledgeBase
from kb.app.wiring import build
from kb.core.errors import NotFound
from kb.core.types import Principal
from tests.conftest import SAMPLES

PUBLIC = Principal("sam")
HR = Principal("hana", frozenset({"hr"}))


@pytest.fixture
def kb(settings, fake_embedder, tmp_path):
    root = tmp_path / "samples"
    shutil.copytree(SAMPLES, root)
    service = KnowledgeBase(build(settings, embedder_override=fake_embedder))
    assert service.ingest([root]).failed == ()
    yield service
    service.close()


def _doc(kb, folder: str):
    return next(d for d in kb.library() if d.path.startswith(folder + "/") and d.status == "ok")


def test_two_people_searching_at_once_each_get_their_own_timings(kb):
    """Timings used to live on the shared searcher (last_timings): the second search to finish
    overwrote the first one's, so one user saw another's diagnostics."""
    keywords = kb.app.keyword_index
    inner = keywords.search
    both_inside = threading.Barrier(2, timeout=30)

    def search_together(query, k, tokens, *views):  # both searches are inside the index at once
        both_inside.wait()
        return inner(query, k, tokens, *views)

    keywords.search = search_together
    results: dict[str, object] = {}

    def run(name: str, principal: Principal, mode: str) -> None:
        results[name] = kb.search("salary bands annual leave", principal, k=5, mode=mode)

    threads = [threading.Thread(target=run, args=("keyword", PUBLIC, "keyword")),
               threading.Thread(target=run, args=("hybrid", HR, "hybrid"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    kw, hy = results["keyword"], results["hybrid"]
    assert "keyword_ms" in kw.timings and "embed_ms" not in kw.timings and kw.dense_path == ""
    assert {"embed_ms", "dense_ms", "keyword_ms"} <= set(hy.timings) and hy.dense_path
    assert not any(h.chunk.path.startswith("hr/") for h in kw)
    assert any(h.chunk.path.startswith("hr/") for h in hy)


def test_a_restricted_a_deleted_and_a_missing_document_are_the_same_not_found(kb, tmp_path):
    hr_doc = _doc(kb, "hr")
    public_doc = _doc(kb, "en")
    opened = kb.open_document(hr_doc.doc_id, HR)
    assert opened.record.doc_id == hr_doc.doc_id and opened.chunks
    chunk = opened.chunks[0]
    p = kb.open_passage(hr_doc.doc_id, HR, chunk.page, chunk.char_start, chunk.char_end)
    assert p.quote == chunk.text and p.path == hr_doc.path
    assert kb.original_file(hr_doc.doc_id, HR).name == hr_doc.path.rsplit("/", 1)[-1]

    kb.delete(tmp_path / "samples" / public_doc.path)
    cases = [(hr_doc.doc_id, PUBLIC), (public_doc.doc_id, HR), ("0" * 40, HR)]
    messages = set()
    for doc_id, who in cases:
        for call in (lambda: kb.open_document(doc_id, who),
                     lambda: kb.open_passage(doc_id, who, None, 0, 10, "x"),
                     lambda: kb.original_file(doc_id, who)):
            with pytest.raises(NotFound) as err:
                call()
            messages.add(str(err.value))
    assert len(messages) == 1


def test_a_document_gone_from_disk_opens_but_has_no_original(kb, tmp_path):
    doc = _doc(kb, "en")
    (tmp_path / "samples" / doc.path).unlink()
    assert kb.open_document(doc.doc_id, PUBLIC).chunks
    with pytest.raises(NotFound):
        kb.original_file(doc.doc_id, PUBLIC)


def test_readable_documents_are_those_of_the_asker(kb):
    public = {d.path.split("/")[0] for d in kb.readable_documents(PUBLIC)}
    assert "hr" not in public and {"en", "zh"} <= public
    assert "hr" in {d.path.split("/")[0] for d in kb.readable_documents(HR)}
