import pytest

from ingest.acl import glob_to_regex, load_rules, parse_rules
from kb.core.errors import AclConfigError
from kb.core.types import Principal


def test_globs_match_paths_under_the_root():
    assert glob_to_regex("hr/**").match("hr/a/b.pdf")
    assert glob_to_regex("hr/").match("hr/x.md")
    assert not glob_to_regex("hr/*").match("hr/a/b.pdf")
    assert glob_to_regex("**/*.xlsx").match("finance/q1/plan.xlsx")
    assert glob_to_regex("**/*.xlsx").match("plan.xlsx")
    assert not glob_to_regex("*.md").match("sub/readme.md")
    assert glob_to_regex("人事/*.docx").match("人事/薪酬.docx")


def test_first_matching_rule_wins_and_default_applies(tmp_path):
    f = tmp_path / "acl.yaml"
    f.write_text("rules:\n  - path: 'hr/secret/**'\n    users: [alice]\n"
                 "  - path: 'hr/**'\n    groups: [hr, managers]\n", encoding="utf-8")
    rules = load_rules(f, ["public"])
    assert rules.tokens_for("hr/secret/x.md") == {"user:alice"}
    assert rules.tokens_for("hr/x.md") == {"group:hr", "group:managers"}
    assert rules.tokens_for("en/leave.md") == {"public"}


def test_tokens_are_written_and_queried_by_one_formatter(tmp_path):
    rules = parse_rules({"rules": [{"path": "hr/**", "groups": ["hr"]}]}, ["public"])
    hr = Principal("bob", frozenset({"hr"}))
    other = Principal("eve", frozenset({"sales"}))
    assert rules.tokens_for("hr/a.md") & hr.acl_tokens()
    assert not rules.tokens_for("hr/a.md") & other.acl_tokens()
    assert rules.tokens_for("a.md") & other.acl_tokens()


def test_missing_file_gives_the_configured_default(tmp_path):
    assert load_rules(tmp_path / "none.yaml", ["staff"]).tokens_for("a") == {"group:staff"}


@pytest.mark.parametrize("text", [
    "rules: [{groups: [hr]}]",
    "rules: [{path: 'a/**'}]",
    "rules: [{path: 'a/**', groups: hr}]",
    "- not a mapping",
    "rules: [unclosed",
])
def test_bad_rules_are_clear_errors(tmp_path, text):
    f = tmp_path / "acl.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(AclConfigError, match="acl.yaml"):
        load_rules(f, ["public"])
