"""Answer grading of `kb eval --answers` (the ../shared/eval README's rules)."""

from kb.app.evaluate import Outcome, Question, answer_metrics, correct, mentions
from kb.core.types import Answer, Chunk, Citation, Hit


def test_grading_normalises_and_needs_every_component():
    assert correct("Rises to ２０ Days after five years", [["20 days"]])  # NFKC, case, spaces
    assert correct("果期 9-10 月", [["果期9-10月"]])
    assert not correct("15 days", [["20 days"]])
    assert correct("UK and Norway", [["uk"], ["norway", "NO"]])
    assert not correct("UK only", [["uk"], ["norway"]])
    assert not correct("anything", [])
    assert mentions("the answer is Foo", [["foo"]]) and mentions("x foo", ["FOO"])


def _chunk(text, start=0, doc="d"):
    return Chunk(f"{doc}:1", doc, "v", 0, text, None, start, start + len(text), "", "en",
                 frozenset({"public"}), f"{doc}.txt")


def _outcome(qid, answerable, text, refused=False, cited_text=None, withheld=(), groups=()):
    chunk = _chunk(cited_text or "nothing here")
    cites = () if refused or cited_text is None else (
        Citation(1, "d", "d.txt", None, 0, 4, cited_text[:4]),)
    raw = {"answer_groups": [list(g) for g in groups], "withheld_answers": [list(withheld)]}
    q = Question(qid, "q?", answerable, ("d.txt",) if answerable else (), raw=raw,
                 unanswerable_kind="" if answerable else "gold_withheld")
    a = Answer(text, cites, refused, "not_found" if refused else "", (Hit(chunk, 1.0),))
    return Outcome(q, ["d.txt"], 10.0, {}, a, ["d.txt"])


def test_answer_refusal_hallucination_and_citation_precision():
    outs = [
        _outcome("a1", True, '"It is 20 days." [1]', cited_text="It is 20 days.", groups=[["20 days"]]),
        _outcome("a2", True, '"It is 5 days." [1]', cited_text="It is 5 days.", groups=[["9 days"]]),
        _outcome("a3", True, "Not found in the knowledge base.", refused=True, groups=[["x"]]),
        _outcome("u1", False, "Not found in the knowledge base.", refused=True, withheld=["Zed"]),
        _outcome("u2", False, '"Zed did it." [1]', cited_text="Zed did it.", withheld=["zed"]),
    ]
    answer, refusal, citations = answer_metrics(outs)
    assert answer == {"accuracy": round(1 / 3, 4), "accuracy_given_retrieved": round(1 / 3, 4),
                      "retrieved": 3}
    assert refusal["answerable_refused"] == round(1 / 3, 4)
    assert refusal["unanswerable_refused"] == 0.5 and refusal["hallucinated"] == 0.5
    assert refusal["reasons"] == {"not_found": 2}
    assert citations == {"precision": 0.5, "cited": 2, "per_answer": 1.0,
                         "quoted_chars": {"median": 4, "mean": 4.0}}


def test_quoted_characters_count_each_cited_span_once():
    """The answer-length metric: characters the reader is asked to read, a repeated span once."""
    from kb.app.evaluate import quoted_chars

    a = Answer("x", (Citation(1, "d", "d.txt", None, 0, 5, "Hello"),
                     Citation(2, "d", "d.txt", None, 0, 5, "Hello"),
                     Citation(3, "e", "e.txt", None, 0, 3, "abc")), False, "", ())
    assert quoted_chars(a) == 8


def test_history_and_groups_of_a_question():
    """Follow-up questions are asked with their history, and hr questions with group hr."""
    from kb.app.evaluate import asker, history
    from kb.core.types import Principal, Turn

    q = Question("f", "那满二十年呢？", True, raw={"history": ["工作满十年有几天年假？"],
                                                 "requires_groups": ["hr"]})
    assert history(q) == (Turn("工作满十年有几天年假？", ""),)
    assert asker(q, Principal("eval", frozenset({"x"}))) == Principal("eval", frozenset({"x", "hr"}))
    plain = Question("p", "q", True)
    assert history(plain) == () and asker(plain, Principal("eval")) == Principal("eval")


def test_no_answers_leaves_the_slots_empty():
    q = Question("a", "q", True, ("d.txt",))
    assert answer_metrics([Outcome(q, ["d.txt"], 1.0)]) == (None, None, None)
