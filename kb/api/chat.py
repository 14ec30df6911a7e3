"""OpenAI's chat completions on the assistant: `POST /v1/chat/completions` (JSON or server-sent
events in OpenAI's chunk format) and `GET /v1/models`. The content of the one choice is the
answer with its `[n]` markers; `citations` and `kb` (refused, reason, standalone question, where
the turn was kept) ride along. A refusal is a normal completion whose content is the "not found"
sentence."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator, Sequence

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from kb.api.common import caller, question_text, service
from kb.api.errors import ApiError, body, documented
from kb.api.schemas import MODEL_ID, ChatIn, ChatMessage, ChatOut, ModelsOut
from kb.app.auth import Identity
from kb.app.service import KnowledgeBase
from kb.core.errors import AccessViolation, AnswererFailed
from kb.core.types import Answer, Turn

router = APIRouter(prefix="/v1", tags=["openai"])

SSE = {"model": ChatOut, "content": {"text/event-stream": {"schema": {"type": "string"}}},
       "description": "A chat completion; with `stream: true` server-sent events of "
       "`chat.completion.chunk` objects ending with `data: [DONE]`."}


def conversation(messages: Sequence[ChatMessage]) -> tuple[str, tuple[Turn, ...]]:
    """(the question: the last user message, the history: earlier user/assistant pairs)."""
    last = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last is None:
        raise ApiError(400, "no_user_message", "messages has no message with role 'user'")
    turns, pending = [], None
    for m in messages[:last]:
        if m.role == "user":
            pending = m.text()
        elif m.role == "assistant" and pending is not None:
            turns.append(Turn(pending, m.text()))
            pending = None
    return messages[last].text(), tuple(turns)


def _tokens(text: str) -> int:
    return len(text.split()) + sum(1 for ch in text if ord(ch) > 0x2E7F)


def _kb_fields(answer: Answer, conv: str, turn: str) -> dict:
    return {"refused": answer.refused, "reason": answer.reason,
            "standalone_question": answer.standalone_question, "conversation_id": conv,
            "turn_id": turn}


def completion(answer: Answer, model: str, question: str, conv: str, turn: str) -> dict:
    prompt, done = _tokens(question), _tokens(answer.text)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion",
        "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": done,
                  "total_tokens": prompt + done},
        "citations": [c.to_json() for c in answer.citations],
        "kb": _kb_fields(answer, conv, turn),
    }


@router.get("/models", response_model=ModelsOut, responses=documented(401))
def models(ident: Identity = Depends(caller)) -> dict:
    """The one model: the knowledge base's assistant (clients that check the list work)."""
    return {"object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "kb"}]}


@router.post("/chat/completions", responses={200: SSE, **documented(400, 401, 404, 502)})
def chat_completions(req: ChatIn, request: Request, ident: Identity = Depends(caller)):
    """Answer the last user message from the documents the caller may read."""
    kb = service(request)
    question, history = conversation(req.messages)
    question = question_text(kb, question)
    if req.conversation_id is not None:
        _own_conversation(kb, ident.principal.user, req.conversation_id)
    if req.stream:
        return StreamingResponse(_events(kb, ident, req, question, history),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})
    t0 = time.perf_counter()
    answer = kb.ask(question, ident.principal, history)
    conv, turn = kb.remember_answer(ident.principal.user, question, answer,
                                    (time.perf_counter() - t0) * 1000, req.conversation_id)
    return ChatOut.model_validate(completion(answer, req.model, question, conv, turn))


def _own_conversation(kb: KnowledgeBase, user: str, conversation_id: str) -> None:
    if not kb.records.turns(user, conversation_id):  # someone else's, or none: the same 404
        raise ApiError(404, "not_found", "no such conversation")


def _sse(obj: dict) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


def pieces(text: str) -> list[str]:
    """The answer cut after each sentence end or line break: the streamed chunks."""
    return [p for p in re.split(r"(?<=[。！？；.!?\n])", text) if p]


def _events(kb: KnowledgeBase, ident: Identity, req: ChatIn, question: str,
            history: tuple[Turn, ...]) -> Iterator[str]:
    """The answer as `chat.completion.chunk`s: the role at once, the verified answer's text
    sentence by sentence, then one last chunk with `finish_reason`, the citations and `kb`.

    What is streamed is the verified answer, never the answerer's draft: verification may
    drop a chat model's unsupported sentence and renumbers the citations, and a bot posting
    what it receives cannot take a sentence back. So the assembled text always equals the
    non-streamed content."""
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def chunk(delta: dict, finish: str | None = None, **extra) -> str:
        return _sse({"id": cid, "object": "chat.completion.chunk", "created": created,
                     "model": req.model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                     **extra})

    yield chunk({"role": "assistant", "content": ""})
    t0, answer = time.perf_counter(), None
    try:
        for event in kb.stream(question, ident.principal, history):
            if event.kind == "answer":
                answer = event.answer
    except AnswererFailed as exc:
        yield _sse(body(502, "answerer_failed", str(exc)))
        yield "data: [DONE]\n\n"
        return
    except AccessViolation:
        yield _sse(body(500, "access_check_failed", "nothing was shown"))
        yield "data: [DONE]\n\n"
        return
    assert answer is not None, "the assistant's stream ended without an answer"
    for piece in pieces(answer.text):
        yield chunk({"content": piece})
    conv, turn = kb.remember_answer(ident.principal.user, question, answer,
                                    (time.perf_counter() - t0) * 1000, req.conversation_id)
    extra = {"citations": [c.to_json() for c in answer.citations],
             "kb": _kb_fields(answer, conv, turn)}
    if req.stream_options and req.stream_options.include_usage:
        prompt, done = _tokens(question), _tokens(answer.text)
        extra["usage"] = {"prompt_tokens": prompt, "completion_tokens": done,
                          "total_tokens": prompt + done}
    yield chunk({}, "stop", **extra)
    yield "data: [DONE]\n\n"
