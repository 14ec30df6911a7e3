"""The retriever passes langchain-tests' RetrieversIntegrationTests; the assistant is a Runnable
(question or messages in, Answer out, .stream() streams); `retriever | prompt | llm` chains."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_tests.integration_tests import RetrieversIntegrationTests

from kb.core.types import Answer, Principal
from kb.langchain import KnowledgeBaseAssistant, KnowledgeBaseRetriever
from tests.api.conftest import ANSWERABLE, RESTRICTED, RESTRICTED_PHRASES

BOB = Principal("bob")


@pytest.fixture(scope="module")
def kb(api):
    return api.kb


class TestRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _kb(self, kb):
        self._kb_service = kb

    @property
    def retriever_constructor(self) -> type[KnowledgeBaseRetriever]:
        return KnowledgeBaseRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"kb": self._kb_service, "principal": BOB}

    @property
    def retriever_query_example(self) -> str:
        return "annual leave days"


def test_documents_carry_their_provenance(kb):
    docs = KnowledgeBaseRetriever(kb=kb, principal=BOB, k=3).invoke(ANSWERABLE)
    first = docs[0]
    assert first.metadata["path"] == "en/leave_policy.md"
    assert {"doc_id", "page", "section", "char_start", "char_end", "score"} <= set(first.metadata)
    text = kb.open_document(first.metadata["doc_id"], BOB).page_text(first.metadata["page"])
    assert text[first.metadata["char_start"]:first.metadata["char_end"]] == first.page_content


def test_the_retriever_reads_only_what_its_principal_may(kb):
    bob = KnowledgeBaseRetriever(kb=kb, principal=BOB, k=10).invoke(RESTRICTED)
    alice = KnowledgeBaseRetriever(kb=kb, principal=Principal("alice", frozenset({"hr"})),
                                   k=10).invoke(RESTRICTED)
    assert not any(p in d.page_content or p in d.metadata["path"]
                   for d in bob for p in RESTRICTED_PHRASES)
    assert any(d.metadata["path"] == "hr/salary_bands.md" for d in alice)


def test_the_assistant_is_a_runnable(kb):
    assistant = KnowledgeBaseAssistant(kb, BOB)
    answer = assistant.invoke(ANSWERABLE)
    assert isinstance(answer, Answer) and not answer.refused and answer.citations
    events = list(assistant.stream(ANSWERABLE))
    assert events[-1].kind == "answer" and events[-1].answer.text == answer.text
    follow = assistant.invoke([HumanMessage(ANSWERABLE), AIMessage(answer.text),
                               HumanMessage(ANSWERABLE)])
    assert follow.text == answer.text
    assert assistant.batch([ANSWERABLE, {"question": ANSWERABLE}])[1].text == answer.text
    with pytest.raises(ValueError, match="no user message"):
        assistant.invoke([AIMessage("hello")])


def test_retriever_prompt_llm_chain(kb):
    prompt = ChatPromptTemplate.from_template("Context:\n{context}\n\nQuestion: {question}")
    llm = FakeListChatModel(responses=["20 days"])
    seen = {}

    def join(docs: list[Document]) -> str:
        seen["docs"] = docs
        return "\n".join(d.page_content for d in docs)

    retriever = KnowledgeBaseRetriever(kb=kb, principal=BOB, k=2)
    chain = {"context": retriever | join, "question": lambda q: q} | prompt | llm | \
        StrOutputParser()
    assert chain.invoke(ANSWERABLE) == "20 days"
    assert seen["docs"][0].metadata["path"] == "en/leave_policy.md"
