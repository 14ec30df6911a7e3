"""The official `openai` client and LangChain's ChatOpenAI, pointed at `kb api` by base_url, get
cited answers, streamed answers equal to the plain ones, and refusals."""

from __future__ import annotations

import openai
import pytest

from assistant.language import NOT_FOUND
from tests.api.conftest import ANSWERABLE, UNANSWERABLE


@pytest.fixture
def client(api):
    return openai.OpenAI(base_url=api.url + "/v1", api_key=api.keys["bob"], max_retries=0)


def test_models_lists_the_assistant(client):
    assert [m.id for m in client.models.list()] == ["kb-assistant"]


def test_a_cited_answer(client, api):
    r = client.chat.completions.create(model="kb-assistant",
                                       messages=[{"role": "user", "content": ANSWERABLE}])
    text = r.choices[0].message.content
    extra = r.model_extra
    assert "[1]" in text and not extra["kb"]["refused"]
    assert extra["citations"][0]["path"] == "en/leave_policy.md"
    assert {"n", "doc_id", "page", "char_start", "char_end", "quote"} <= set(extra["citations"][0])
    turns = api.kb.records.turns("bob", extra["kb"]["conversation_id"])
    assert [t.question for t in turns] == [ANSWERABLE] and turns[0].answer == text


def test_streamed_text_equals_the_plain_answer(client):
    messages = [{"role": "user", "content": ANSWERABLE}]
    plain = client.chat.completions.create(model="kb-assistant", messages=messages)
    chunks = list(client.chat.completions.create(model="kb-assistant", messages=messages,
                                                 stream=True))
    assembled = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert assembled == plain.choices[0].message.content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["citations"] == plain.model_extra["citations"]
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1


def test_a_refusal_is_a_normal_completion(client):
    r = client.chat.completions.create(model="kb-assistant",
                                       messages=[{"role": "user", "content": UNANSWERABLE}])
    assert r.choices[0].message.content == NOT_FOUND["en"]
    assert r.model_extra["kb"]["refused"] and r.model_extra["citations"] == []
    streamed = client.chat.completions.create(
        model="kb-assistant", messages=[{"role": "user", "content": UNANSWERABLE}], stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in streamed
                   if c.choices) == r.choices[0].message.content


def test_earlier_turns_are_the_history_of_a_follow_up(client):
    r = client.chat.completions.create(model="kb-assistant", messages=[
        {"role": "system", "content": "Answer from the documents."},
        {"role": "user", "content": ANSWERABLE},
        {"role": "assistant", "content": "Full-time employees get 20 days [1]."},
        {"role": "user", "content": ANSWERABLE},
    ])
    assert not r.model_extra["kb"]["refused"]


def test_a_wrong_key_is_refused_by_the_client(api):
    bad = openai.OpenAI(base_url=api.url + "/v1", api_key="kb-000000000000.nope-nope-nope-nope",
                        max_retries=0)
    with pytest.raises(openai.AuthenticationError) as err:
        bad.models.list()
    assert err.value.body["code"] == "unauthorized"


def test_langchain_chat_openai_with_base_url(api):
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(base_url=api.url + "/v1", api_key=api.keys["bob"], model="kb-assistant",
                     max_retries=0)
    answer = llm.invoke(ANSWERABLE)
    assert "[1]" in answer.content
    assembled = "".join(chunk.content for chunk in llm.stream(ANSWERABLE))
    assert assembled == answer.content
    assert llm.invoke(UNANSWERABLE).content == NOT_FOUND["en"]
