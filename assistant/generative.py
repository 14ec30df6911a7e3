"""The answerer that writes with a LangChain chat model (any BaseChatModel: ChatOpenAI against
an OpenAI-compatible server, ChatOllama, AzureChatOpenAI, or a fake in tests), streaming. What
it writes is only a draft: the assistant verifies every sentence against the passages."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from assistant.evidence import Evidence
from assistant.passages import Passage
from assistant.prompts import answer_messages

log = logging.getLogger(__name__)


class ChatAnswerer:
    def __init__(self, model) -> None:
        self.model = model  # a langchain_core BaseChatModel

    def stream(self, question: str, passages: Sequence[Passage], evidence: Evidence,
               lang: str) -> Iterator[str]:
        messages = answer_messages(question, passages, lang)
        log.debug("answer prompt: %s", messages)
        for chunk in self.model.stream(messages):
            text = _text(chunk.content)
            if text:
                yield text


def _text(content) -> str:
    """A message chunk's text (content is a string, or a list of parts for some providers)."""
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content or ())
