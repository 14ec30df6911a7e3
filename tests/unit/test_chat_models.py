"""The `answerer` setting picks the chat model class; building one contacts nothing."""

import pytest

from kb.core.config import Settings
from kb.app.wiring import make_chat_model


def test_extractive_needs_no_model(tmp_path):
    assert make_chat_model(Settings(home=tmp_path)) is None


def test_openai_compatible_server(tmp_path):
    m = make_chat_model(Settings(home=tmp_path, answerer="openai", llm_model="qwen2.5-7b",
                                 llm_base_url="http://127.0.0.1:8000/v1", llm_temperature=0.2))
    assert type(m).__name__ == "ChatOpenAI"
    assert m.model_name == "qwen2.5-7b" and m.openai_api_base == "http://127.0.0.1:8000/v1"
    assert m.temperature == 0.2 and m.streaming is False


def test_ollama_and_azure(tmp_path):
    m = make_chat_model(Settings(home=tmp_path, answerer="ollama", llm_model="qwen2.5:7b"))
    assert type(m).__name__ == "ChatOllama" and m.base_url == "http://127.0.0.1:11434"
    az = make_chat_model(Settings(home=tmp_path, answerer="azure", llm_model="gpt-4o-mini",
                                  azure_endpoint="https://example.openai.azure.com",
                                  llm_api_key="k"))
    assert type(az).__name__ == "AzureChatOpenAI" and az.deployment_name == "gpt-4o-mini"


@pytest.mark.parametrize("update, message", [
    ({"answerer": "openai", "llm_model": "x"}, "KB_LLM_BASE_URL"),
    ({"answerer": "ollama"}, "KB_LLM_MODEL"),
    ({"answerer": "azure", "llm_model": "x"}, "KB_AZURE_ENDPOINT"),
])
def test_incomplete_settings_say_what_is_missing(tmp_path, update, message):
    with pytest.raises(ValueError, match=message):
        make_chat_model(Settings(home=tmp_path, **update))
