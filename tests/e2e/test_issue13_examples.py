"""The examples at the top of issue 13, asked of data/samples with the real model and the
shipped refusal models, in process: each one as a user saw it go wrong, and what it gets now."""

from __future__ import annotations

import pytest

from kb.app.service import KnowledgeBase
from kb.app.wiring import build
from kb.core.config import Settings
from kb.core.types import Principal, Turn
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    app = build(Settings(home=tmp_path_factory.mktemp("issue13") / "home"))
    base = KnowledgeBase(app)
    assert base.ingest([SAMPLES]).failed == ()
    yield base
    base.close()


def ask(kb, question, history=()):
    return kb.ask(question, Principal("local"), history=history)


def test_who_is_the_ceo_is_refused(kb):
    """Was answered with "This policy applies to all full-time and part-time employees"."""
    assert ask(kb, "Who is the CEO of the company?").refused


def test_a_taxi_reimbursement_is_not_answered_with_chinese_approval_limits(kb):
    """Was answered with the Chinese sentence about approval limits in yuan."""
    a = ask(kb, "How do I get reimbursed for a taxi ride?")
    assert a.refused or "taxi" in a.text.lower()
    assert "5000" not in a.text


def test_the_hotel_limit_is_found_for_a_chinese_question(kb):
    """出差住酒店的标准是多少？ was refused though both expense policies state the hotel limits."""
    a = ask(kb, "出差住酒店的标准是多少？")
    assert not a.refused
    assert ("600元" in a.text) or ("150 EUR" in a.text)


def test_piaoju_finds_the_invoice_rule(kb):
    """报销需要提供什么票据？ was refused though the policy says 须提供正规发票 (票据 / 发票)."""
    a = ask(kb, "报销需要提供什么票据？")
    assert not a.refused and "发票" in a.text


def test_a_follow_up_replaces_the_aspect_it_changes(kb):
    """病假呢？ after 年假有多少天？ became "病假呢？年假天" and was refused."""
    a = ask(kb, "病假呢？", history=[Turn("年假有多少天？", "")])
    assert a.standalone_question == "病假有多少天？"


def test_the_per_diem_is_quoted_alone(kb):
    """The heading, the list number and the alcohol sentence were quoted with the answer."""
    a = ask(kb, "What's the per diem abroad?")
    assert not a.refused and "60 EUR abroad" in a.text
    assert "Alcohol" not in a.text and "Meals and per diem\n" not in a.text
    assert len(a.citations) == 1
