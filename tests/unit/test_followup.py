"""Follow-up questions made standalone, with and without a chat model."""

from langchain_core.language_models import FakeListChatModel

from assistant.followup import FollowUps, carry_over, looks_like_follow_up
from kb.core.types import Turn

PREV = Turn("How many days of annual leave do full-time employees get?", "15 days [1]")


def test_follow_up_carries_the_previous_subject():
    out = FollowUps().standalone("And for managers?", [PREV])
    assert out.startswith("And for managers?")
    assert "annual" in out and "leave" in out and "days" in out


def test_standalone_question_is_left_alone():
    q = "How many days of sick leave do part-time employees get?"
    assert not looks_like_follow_up(q)
    assert FollowUps().standalone(q, [PREV]) == q
    assert FollowUps().standalone("And for managers?", []) == "And for managers?"


def test_chinese_follow_up():
    out = carry_over("那经理呢？", "全职员工的年休假有几天？")
    assert out.startswith("那经理呢？") and "年休假" in out


def test_chat_model_rewrites_with_the_conversation():
    model = FakeListChatModel(responses=["How many days of annual leave do managers get?"])
    out = FollowUps(model).standalone("And for managers?", [PREV])
    assert out == "How many days of annual leave do managers get?"
