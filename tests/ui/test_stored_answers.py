"""Past answers are re-checked when shown (finding 6 of issue 15): a quote of a document the
user may no longer read, or that was deleted, is withheld with a note."""

from __future__ import annotations

from kb.app.records import StoredTurn, withhold
from kb.app.service import KnowledgeBase
from kb.core.types import Principal
from tests.ui.conftest import page
from tests.ui.test_pages import HR, texts

HANNAH = Principal("hannah", frozenset({"hr"}))
SALARY = "What is the salary band for level L3?"


def _cite(n: int) -> dict:
    return {"n": n, "doc_id": f"d{n}", "path": f"p{n}.md", "page": None, "section": "",
            "char_start": 0, "char_end": 1, "quote": "q"}


def test_withhold_drops_what_cites_an_unreadable_source():
    turn = StoredTurn("t", "c", 0, "q?", "Leave is 15 days [1]. Pay is 5000 [2]. Both [1][2].",
                      False, "", (_cite(1), _cite(2)), 0.0)
    shown = withhold(turn, {1})
    assert shown.answer == "Leave is 15 days [1]." and [c["n"] for c in shown.citations] == [1]
    assert shown.withheld == 1 and withhold(turn, {1, 2}) is turn
    assert withhold(turn, set()).answer == "" and withhold(turn, set()).withheld == 2


def _asked(page_env) -> tuple[KnowledgeBase, str]:
    kb = KnowledgeBase(page_env("header", headers=HR))
    answer = kb.ask(SALARY, HANNAH)
    assert not answer.refused and "salary_bands" in answer.citations[0].path
    conv = kb.records.start_conversation("hannah", SALARY)
    kb.records.add_turn("hannah", conv, SALARY, answer)
    return kb, conv


def test_a_relabelled_source_is_withheld_from_the_stored_answer(page_env, samples):
    """A past conversation still showed quotes of a document the user may no longer read."""
    kb, conv = _asked(page_env)
    quoted = kb.turns(HANNAH, conv)[0].answer
    assert quoted and kb.turns(HANNAH, conv)[0].withheld == 0
    (samples / "acl.yaml").write_text('rules:\n  - path: "hr/**"\n    groups: [hr-leads]\n')
    kb.ingest([samples])
    [turn] = kb.turns(HANNAH, conv)
    assert turn.answer == "" and turn.citations == () and turn.withheld == 1
    assert turn.to_json()["withheld"] == 1
    assert kb.records.turns("hannah", conv)[0].answer == quoted  # the record itself is kept


def test_a_deleted_source_is_withheld_on_the_page(page_env, samples):
    """A past conversation still showed quotes of a deleted document."""
    kb, conv = _asked(page_env)
    quoted = kb.turns(HANNAH, conv)[0].answer
    kb.delete(samples / "hr" / "salary_bands.md")
    at = page()
    at.session_state["conversation"] = conv
    at = at.run()
    assert not at.exception and "no longer readable by you" in texts(at)
    assert quoted not in texts(at) and not [b for b in at.button
                                            if b.key and b.key.startswith("kb-cite-")]
