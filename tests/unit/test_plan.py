"""The plan is a pure comparison of found files with manifest rows: no filesystem here."""

from __future__ import annotations

from ingest import attachments
from ingest.acl import parse_rules
from ingest.discover import Found, FoundFile
from ingest.plan import make_plan
from kb.core.types import DocRecord, FileError

ROOT = "/corpus"
FP = "fp-1"
RULES = parse_rules({"rules": [{"path": "hr/**", "groups": ["hr"]}]}, ["public"])
PUBLIC = frozenset({"public"})
HR = frozenset({"group:hr"})
MB = 1024 * 1024


def file(rel: str, size: int = 100) -> FoundFile:
    return FoundFile(f"{ROOT}/{rel}", rel, f"id:{rel}", size)


def row(rel: str, content_hash: str = "h1", fingerprint: str = FP, acl=PUBLIC,
        status: str = "ok", doc_id: str = "") -> DocRecord:
    return DocRecord(
        doc_id=doc_id or f"id:{rel}", root=ROOT, path=rel, content_hash=content_hash,
        fingerprint=fingerprint, version=f"v-{content_hash}" if status == "ok" else "",
        acl=acl, mime="text/markdown", title=rel, size=100, chunks=1 if status == "ok" else 0,
        status=status, error_code="" if status == "ok" else "corrupt",
    )


def plan_of(found, existing, fp=FP, max_file_mb=1.0):
    return make_plan(ROOT, "", found, existing, fp, RULES, max_file_mb)


def summary(plan):
    return {
        "add": [(f.rel, h) for f, h in plan.add],
        "update": [(f.rel, h, old.path) for f, h, old in plan.update],
        "retry": [(f.rel, h, old.path) for f, h, old in plan.retry],
        "relabel": [(old.path, acl) for old, acl in plan.relabel],
        "unchanged": [d.path for d in plan.unchanged],
        "delete": [d.path for d in plan.delete],
        "failed": [(e.path, e.code) for e in plan.failed],
    }


def only(**lists):
    empty = dict.fromkeys(("add", "update", "retry", "relabel", "unchanged", "delete", "failed"), [])
    return {**empty, **lists}


def test_a_new_file_is_added():
    plan = plan_of([Found(file("a.md"), "h1")], [])
    assert summary(plan) == only(add=[("a.md", "h1")])
    assert plan.root == ROOT and plan.subtree == "" and plan.rules is RULES
    assert [(f.rel, h, old) for f, h, old in plan.work()] == [("a.md", "h1", None)]


def test_a_changed_hash_is_an_update():
    plan = plan_of([Found(file("a.md"), "h2")], [row("a.md", "h1")])
    assert summary(plan) == only(update=[("a.md", "h2", "a.md")])


def test_a_fingerprint_change_is_an_update_of_every_row():
    plan = plan_of([Found(file("a.md"), "h1")], [row("a.md", "h1")], fp="fp-2")
    assert summary(plan) == only(update=[("a.md", "h1", "a.md")])


def test_a_file_that_failed_before_is_retried_even_when_unchanged():
    plan = plan_of([Found(file("a.md"), "h1")], [row("a.md", "h1", status="failed")])
    assert summary(plan) == only(retry=[("a.md", "h1", "a.md")])
    assert plan.report().added == 1


def test_only_the_acl_changed_is_a_relabel_without_reembedding():
    plan = plan_of([Found(file("hr/pay.md"), "h1")], [row("hr/pay.md", "h1", acl=PUBLIC)])
    assert summary(plan) == only(relabel=[("hr/pay.md", HR)])
    assert plan.work() == []


def test_a_row_missing_from_the_files_found_is_deleted():
    plan = plan_of([Found(file("a.md"), "h1")], [row("a.md", "h1"), row("gone.md")])
    assert summary(plan) == only(unchanged=["a.md"], delete=["gone.md"])


def test_an_oversize_file_fails_too_large_and_its_searchable_row_is_deleted():
    big = file("big.pdf", size=3 * MB)
    plan = plan_of([Found(big)], [row("big.pdf")], max_file_mb=2.0)
    assert summary(plan) == only(failed=[("big.pdf", "too_large")], delete=["big.pdf"])
    assert plan.failed[0].error == "the file is 3.0 MB, over the limit of 2 MB (KB_MAX_FILE_MB)"


def test_an_oversize_file_with_a_failed_row_keeps_that_row():
    plan = plan_of([Found(file("big.pdf", size=3 * MB))], [row("big.pdf", status="failed")])
    assert summary(plan) == only(failed=[("big.pdf", "too_large")])


def test_an_unreadable_file_fails_and_its_searchable_row_is_deleted():
    plan = plan_of([Found(file("a.md"), unreadable="Permission denied")], [row("a.md")])
    assert summary(plan) == only(failed=[("a.md", "unreadable")], delete=["a.md"])
    assert plan.failed == [FileError("a.md", "unreadable", "cannot read the file: Permission denied")]


def test_an_unchanged_file_is_unchanged():
    plan = plan_of([Found(file("a.md"), "h1"), Found(file("hr/pay.md"), "h2")],
                   [row("a.md", "h1"), row("hr/pay.md", "h2", acl=HR)])
    assert summary(plan) == only(unchanged=["a.md", "hr/pay.md"])
    assert plan.report().unchanged == 2 and plan.report().dry_run


def attachment(parent: str, name: str, acl=PUBLIC) -> DocRecord:
    child = attachments.child_file(file(parent), name, 10)
    return row(child.rel, acl=acl, doc_id=child.doc_id)


def test_attachments_follow_their_parent():
    kept = plan_of([Found(file("mail.eml"), "h1")],
                   [row("mail.eml", "h1"), attachment("mail.eml", "a.pdf")])
    assert summary(kept) == only(unchanged=["mail.eml", "mail.eml#a.pdf"])
    relabeled = plan_of([Found(file("hr/mail.eml"), "h1")],
                        [row("hr/mail.eml", "h1"), attachment("hr/mail.eml", "a.pdf")])
    assert summary(relabeled) == only(relabel=[("hr/mail.eml", HR), ("hr/mail.eml#a.pdf", HR)])
    changed = plan_of([Found(file("mail.eml"), "h2")],
                      [row("mail.eml", "h1"), attachment("mail.eml", "a.pdf")])
    assert summary(changed) == only(update=[("mail.eml", "h2", "mail.eml")],
                                    delete=["mail.eml#a.pdf"])
