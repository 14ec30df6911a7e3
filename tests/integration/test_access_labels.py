"""Access labels belong to the documents, wherever an ingest starts (issue 15, findings 1, 3)."""

from __future__ import annotations

import pytest

from kb.core.errors import AclConfigError
from kb.core.types import Principal

HR_RULES = "rules:\n  - path: 'hr/**'\n    groups: [hr]\n"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def labels(app):
    return {d.path: d.acl for d in app.manifest.docs()}


def searchable_by(app, who: Principal, query: str) -> set[str]:
    return {h.chunk.path for h in app.searcher().search(query, who)}


def test_a_sub_folder_ingested_alone_keeps_the_rules_above_it(app, corpus):
    """`kb ingest corpus/hr` on a fresh home ignored corpus/acl.yaml and stored HR as public."""
    write(corpus / "acl.yaml", HR_RULES)
    write(corpus / "hr/salaries.md", "Salary bands for engineers are secret.")
    app.ingestor().run([str(corpus / "hr")])
    assert labels(app) == {"salaries.md": {"group:hr"}}
    assert not {p for p in searchable_by(app, Principal("eve"), "salary bands") if "salaries" in p}


def test_one_file_ingested_alone_keeps_the_rules_above_it(app, corpus):
    """One HR file ingested by itself on a fresh home was stored as public."""
    write(corpus / "acl.yaml", HR_RULES)
    f = write(corpus / "hr/salaries.md", "Salary bands for engineers are secret.")
    app.ingestor().run([str(f)])
    assert labels(app) == {"salaries.md": {"group:hr"}}


def test_ingesting_the_parent_of_a_known_root_keeps_its_nested_rules(app, corpus):
    """Ingesting the parent of an ingested root re-added its files as public."""
    write(corpus / "hr/acl.yaml", "default: [hr]\n")
    write(corpus / "hr/salaries.md", "Salary bands for engineers are secret.")
    write(corpus / "handbook.md", "Everyone gets a laptop.")
    app.ingestor().run([str(corpus / "hr")])
    assert labels(app) == {"salaries.md": {"group:hr"}}
    report = app.ingestor().run([str(corpus)])
    assert labels(app) == {"hr/salaries.md": {"group:hr"}, "handbook.md": {"public"}}
    assert report.relabeled == 0
    assert not {p for p in searchable_by(app, Principal("eve"), "salary bands") if "salaries" in p}
    assert "hr/salaries.md" in searchable_by(app, Principal("bob", frozenset({"hr"})), "salary bands")


def test_a_nested_rules_file_refines_and_the_parents_rules_still_hold(app, corpus):
    """The nearest file with a matching rule decides; a parent's rule is never dropped."""
    write(corpus / "acl.yaml", HR_RULES + "  - path: '**/*.xlsx'\n    groups: [finance]\n")
    write(corpus / "hr/acl.yaml", "rules:\n  - path: 'secret/**'\n    users: [alice]\n")
    write(corpus / "hr/secret/a.md", "Alice only.")
    write(corpus / "hr/b.md", "HR only.")
    app.ingestor().run([str(corpus / "hr")])
    assert labels(app) == {"secret/a.md": {"user:alice"}, "b.md": {"group:hr"}}


def test_a_relabel_that_comes_with_an_edit_is_reported(app, corpus):
    """A document re-written with new labels was counted as updated only, not relabelled."""
    f = write(corpus / "hr/salaries.md", "Salary bands for engineers.")
    app.ingestor().run([str(corpus)])
    write(corpus / "acl.yaml", HR_RULES)
    f.write_text("Salary bands for engineers, revised.", encoding="utf-8")
    report = app.ingestor().run([str(corpus)])
    assert (report.updated, report.relabeled) == (1, 1)
    assert report.to_json()["relabeled"] == 1


def test_a_newline_in_a_name_does_not_escape_a_double_star_rule(app, corpus):
    """`hr/pay⏎roll.md` came out public: the glob's `.*` did not match a newline."""
    write(corpus / "acl.yaml", HR_RULES + "  - path: \"x\\ny/**\"\n    groups: [ops]\n")
    write(corpus / "hr/pay\nroll.md", "Payroll runs on the 25th.")
    write(corpus / "hr/a\nb/c.md", "Nested payroll notes.")
    write(corpus / "x\ny/z.md", "Ops runbook.")
    app.ingestor().run([str(corpus)])
    assert labels(app) == {"hr/pay\nroll.md": {"group:hr"}, "hr/a\nb/c.md": {"group:hr"},
                           "x\ny/z.md": {"group:ops"}}


def test_a_dot_slash_rule_matches_what_it_says(app, corpus):
    """A rule like `./legal/**` silently matched nothing."""
    write(corpus / "acl.yaml", "rules:\n  - path: './legal/**'\n    groups: [legal]\n")
    write(corpus / "legal/nda.md", "The NDA template.")
    app.ingestor().run([str(corpus)])
    assert labels(app) == {"legal/nda.md": {"group:legal"}}


@pytest.mark.parametrize("glob", ["../legal/**", "legal/../hr/**", "legal/./x.md", "./"])
def test_a_rule_that_cannot_match_is_refused_before_anything_is_written(app, corpus, glob):
    """Globs with `.`/`..` parts matched nothing in silence; now the ingest refuses them."""
    write(corpus / "acl.yaml", f"rules:\n  - path: '{glob}'\n    groups: [legal]\n")
    write(corpus / "legal/nda.md", "The NDA template.")
    with pytest.raises(AclConfigError, match="rule 1"):
        app.ingestor().run([str(corpus)])
    assert app.manifest.docs() == []
