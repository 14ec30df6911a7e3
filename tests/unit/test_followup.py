"""Follow-up questions made standalone, with and without a chat model."""

from langchain_core.language_models import FakeListChatModel

from assistant.followup import FollowUps, carry_over, looks_like_follow_up
from kb.core.types import Turn

PREV = Turn("How many days of annual leave do full-time employees get?", "15 days [1]")


def test_follow_up_carries_the_previous_subject():
    out = FollowUps().standalone("And for managers?", [PREV])
    assert out == "How many days of annual leave do full-time employees get for managers?"
    short = FollowUps().standalone("多久需要更换一次？", [Turn("密码最少要几位？", "")])
    assert short.startswith("多久需要更换一次？") and "密码" in short  # no aspect: carried over


def test_a_follow_up_replaces_the_aspect_it_changes():
    """"病假呢？" after "年假有多少天？" became "病假呢？年假天" and was refused."""
    cases = [
        ("年假有多少天？", "病假呢？", "病假有多少天？"),
        ("工作满十年有几天年假？", "那满二十年呢？", "工作满二十年有几天年假？"),
        ("去上海出差，酒店一晚能报多少？", "那去洛阳呢？", "去洛阳出差，酒店一晚能报多少？"),
        ("请假3天以内谁审批？", "超过3天呢？", "请假超过3天谁审批？"),
        ("产假有多少天？", "男员工呢？", "男员工产假有多少天？"),
        ("What is the hotel limit per night in Paris?", "And in Munich?",
         "What is the hotel limit per night in Munich?"),
        ("How many days of annual leave do I get?", "What about sick leave?",
         "How many days of sick leave do I get?"),
        ("How long is parental leave for birth parents?", "What about the other parent?",
         "How long is parental leave for the other parent?"),
        ("Who approves expense claims up to 500 EUR?", "And above that?",
         "Who approves expense claims above 500 EUR?"),
        ("How many days of paid annual leave do full-time employees get?",
         "And after five years?",
         "How many days of paid annual leave do full-time employees get after five years?"),
    ]
    for previous, question, expected in cases:
        assert FollowUps().standalone(question, [Turn(previous, "")]) == expected, question


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
