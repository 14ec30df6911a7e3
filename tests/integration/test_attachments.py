"""Mail attachments become documents of their own (`mail.eml#file.pdf`) that follow their mail:
unchanged with it, relabelled with it, replaced when it changes, deleted with it."""

from __future__ import annotations

import pytest

from kb.core.testing import formatgen
from kb.core.testing.docgen import pdf_bytes


@pytest.fixture
def pipeline(settings):
    from ingest.manifest import SqliteManifest
    from ingest.pipeline import Ingestor
    from kb.core.sqlite import Database
    from kb.core.testing.fakes import BagOfWordsEmbeddings, InMemoryIndex

    index = InMemoryIndex()
    db = Database(settings.db_path)
    manifest = SqliteManifest(db)
    yield Ingestor(settings, manifest, [index], index, BagOfWordsEmbeddings()), manifest, index
    db.close()


def _mail(path, attachments):
    return formatgen.write_eml(path, "Offer 录用通知", "Offer attached. 请查收附件。", attachments)


def _paths(index):
    return {c.path for c in index.chunks.values()}


def test_attachments_follow_their_mail(pipeline, corpus):
    ingestor, manifest, index = pipeline
    (corpus / "mail").mkdir()
    (corpus / "acl.yaml").write_text("rules:\n  - path: 'mail/**'\n    groups: [hr]\n")
    inner = formatgen.write_eml(corpus / "inner.tmp", "Forwarded", "forwarded body text", [])
    mail = _mail(corpus / "mail" / "offer.eml", [
        ("offer.pdf", pdf_bytes([["Salary 30000 per month"], ["Start date 1 March"]]), "application/pdf"),
        ("fwd.eml", inner.read_bytes(), "message/rfc822"),
        ("secret.pdf", b"%PDF-1.4 broken", "application/pdf"),
    ])
    inner.unlink()

    report = ingestor.run([corpus])
    assert report.added == 3  # the mail, the PDF, the forwarded mail
    assert [(f.path, f.code) for f in report.failed] == [("mail/offer.eml#secret.pdf", "corrupt")]
    assert _paths(index) == {"mail/offer.eml", "mail/offer.eml#offer.pdf", "mail/offer.eml#fwd.eml"}
    pdf_chunks = [c for c in index.chunks.values() if c.path == "mail/offer.eml#offer.pdf"]
    assert {c.page for c in pdf_chunks} == {1, 2}
    assert all(c.acl == frozenset({"group:hr"}) for c in index.chunks.values())  # the mail's ACL
    ids = {d.path: d.doc_id for d in manifest.docs()}
    assert len(set(ids.values())) == len(ids) == 4

    again = ingestor.run([corpus])
    assert (again.added, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 4)
    assert not again.failed

    (corpus / "acl.yaml").write_text("rules:\n  - path: 'mail/**'\n    groups: [legal]\n")
    relabeled = ingestor.run([corpus])
    assert relabeled.relabeled == 4 and relabeled.added == 0
    assert all(c.acl == frozenset({"group:legal"}) for c in index.chunks.values())

    _mail(mail, [("offer.pdf", pdf_bytes([["Salary 32000 per month"]]), "application/pdf")])
    changed = ingestor.run([corpus])
    assert not changed.failed
    assert _paths(index) == {"mail/offer.eml", "mail/offer.eml#offer.pdf"}
    assert any("32000" in c.text for c in index.chunks.values())
    assert not any("30000" in c.text for c in index.chunks.values())
    assert {d.path for d in manifest.docs()} == {"mail/offer.eml", "mail/offer.eml#offer.pdf"}

    assert ingestor.delete_path(mail).documents == 2
    assert _paths(index) == set() and manifest.docs() == []

    ingestor.run([corpus])
    mail.unlink()
    gone = ingestor.run([corpus])
    assert gone.deleted == 2 and _paths(index) == set()


def test_a_real_file_with_a_hash_in_its_name_is_not_an_attachment(pipeline, corpus):
    ingestor, manifest, index = pipeline
    (corpus / "notes.eml#draft.txt").write_text("a file name with a hash sign", encoding="utf-8")
    _mail(corpus / "notes.eml", [("draft.txt", b"the attachment", "text/plain")])
    report = ingestor.run([corpus])
    assert report.added == 3 and not report.failed
    paths = [d.path for d in manifest.docs()]
    assert sorted(paths) == ["notes.eml", "notes.eml#draft.txt", "notes.eml#draft.txt"]
    again = ingestor.run([corpus])
    assert (again.added, again.deleted, again.unchanged) == (0, 0, 3)
