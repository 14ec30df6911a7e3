"""LangChain on the service layer: the knowledge base as a `BaseRetriever` for one principal,
and the assistant as a Runnable, so `retriever | prompt | llm` chains and LangServe-style
hosting use the same search, the same access decision and the same answers as the page.

    retriever = KnowledgeBaseRetriever(kb=kb, principal=Principal("alice", frozenset({"hr"})))
    docs = retriever.invoke("How many days of annual leave?")   # Documents with provenance
    answer = KnowledgeBaseAssistant(kb=kb, principal=...).invoke("...")  # an Answer
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.messages import BaseMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import ConfigDict

from kb.app.service import KnowledgeBase
from kb.core.types import Answer, AnswerEvent, Hit, Principal, Turn


def document(hit: Hit, rank: int) -> Document:
    """A hit as a LangChain Document: the chunk's text, and where it is."""
    c = hit.chunk
    return Document(page_content=c.text, id=c.chunk_id, metadata={
        "doc_id": c.doc_id, "path": c.path, "title": c.title, "page": c.page,
        "section": c.section, "char_start": c.char_start, "char_end": c.char_end,
        "chunk_id": c.chunk_id, "lang": c.lang, "score": hit.score, "rank": rank})


class KnowledgeBaseRetriever(BaseRetriever):
    """The passages `principal` may read that best match a query, best first. `k` (here or in
    `invoke(query, k=...)`) is the number of documents; `mode` hybrid, dense or keyword."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kb: KnowledgeBase
    principal: Principal
    k: int | None = None
    mode: Literal["hybrid", "dense", "keyword"] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None) -> list[Document]:
        result = self.kb.search(query, self.principal, k=k or self.k, mode=self.mode)
        return [document(h, rank) for rank, h in enumerate(result, start=1)]


Question = str | dict[str, Any] | Sequence[BaseMessage | dict[str, Any] | tuple[str, str]]


def _role_text(message: BaseMessage | dict[str, Any] | tuple[str, str]) -> tuple[str, str]:
    if isinstance(message, BaseMessage):
        role = {"human": "user", "ai": "assistant"}.get(message.type, message.type)
        return role, message.text if isinstance(message.text, str) else message.text()
    if isinstance(message, tuple):
        role, text = message
        return {"human": "user", "ai": "assistant"}.get(role, role), str(text)
    return str(message.get("role", "")), str(message.get("content", ""))


def question_and_history(value: Question) -> tuple[str, tuple[Turn, ...]]:
    """A question string, {"question": ..., "history": [Turn...]} or chat messages (the last
    user message is the question, earlier user/assistant pairs the history)."""
    if isinstance(value, str):
        return value, ()
    if isinstance(value, dict):
        if "question" not in value:
            raise ValueError("a dict input needs a 'question'")
        return str(value["question"]), tuple(value.get("history", ()))
    messages = [_role_text(m) for m in value]
    users = [i for i, (role, _) in enumerate(messages) if role == "user"]
    if not users:
        raise ValueError("the messages have no user message")
    turns, pending = [], None
    for role, text in messages[:users[-1]]:
        if role == "user":
            pending = text
        elif role == "assistant" and pending is not None:
            turns.append(Turn(pending, text))
            pending = None
    return messages[users[-1]][1], tuple(turns)


class KnowledgeBaseAssistant(Runnable[Question, Answer]):
    """The assistant as a Runnable for one principal: a question (or messages) in, an `Answer`
    (text with [n] markers, citations, refused, reason) out. `.stream()` yields the service's
    events: `hits`, the answer's `delta`s, then one `answer` event carrying the Answer."""

    def __init__(self, kb: KnowledgeBase, principal: Principal) -> None:
        self.kb = kb
        self.principal = principal

    @property
    def InputType(self) -> Any:  # noqa: N802 - LangChain's name
        return Question

    @property
    def OutputType(self) -> Any:  # noqa: N802 - LangChain's name
        return Answer

    def _ask(self, value: Question) -> Answer:
        question, history = question_and_history(value)
        return self.kb.ask(question, self.principal, history)

    def invoke(self, input: Question, config: RunnableConfig | None = None,
               **kwargs: Any) -> Answer:
        return self._call_with_config(self._ask, input, config)

    def stream(self, input: Question, config: RunnableConfig | None = None,
               **kwargs: Any) -> Iterator[AnswerEvent]:  # type: ignore[override]
        question, history = question_and_history(input)
        yield from self.kb.stream(question, self.principal, history)
