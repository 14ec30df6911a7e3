"""The REST side of the API: search, ask, open a cited passage or the original file, and the
caller's own conversations and feedback. Every document read goes through the one access
decision (kb/app/documents.py): a document the caller may not read, a deleted one and one that
never existed answer the same 404."""

from __future__ import annotations

import mimetypes
import time
from urllib.parse import quote as url_quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from kb.api.common import caller, question_text, service
from kb.api.errors import ApiError, documented
from kb.api.schemas import (
    AskIn,
    AskOut,
    ConversationOut,
    ConversationTurnsOut,
    FeedbackIn,
    FeedbackOut,
    PassageOut,
    SearchIn,
    SearchOut,
)
from kb.app.auth import Identity
from kb.core.errors import NotFound

router = APIRouter(prefix="/v1", tags=["knowledge base"])


def history_of(kb, user: str, conversation_id: str | None):
    if conversation_id is None:
        return ()
    turns = kb.records.turns(user, conversation_id)
    if not turns:  # someone else's conversation and none at all look the same
        raise ApiError(404, "not_found", "no such conversation")
    return tuple(t.as_turn() for t in turns)


@router.post("/search", response_model=SearchOut, responses=documented(400, 401))
def search(req: SearchIn, request: Request, ident: Identity = Depends(caller)) -> dict:
    """What `kb search --json` prints, for the caller."""
    kb = service(request)
    query = question_text(kb, req.query, "query")
    if req.k is not None and req.k > kb.settings.api_max_k:
        raise ApiError(400, "k_too_large", f"k is at most {kb.settings.api_max_k}")
    t0 = time.perf_counter()
    result = kb.search(query, ident.principal, k=req.k, mode=req.mode)
    kb.records.log_query(ident.principal.user, "search", query, results=len(result),
                         latency_ms=(time.perf_counter() - t0) * 1000)
    return result.to_json()


@router.post("/ask", response_model=AskOut, responses=documented(400, 401, 404, 502))
def ask(req: AskIn, request: Request, ident: Identity = Depends(caller)) -> dict:
    """What `kb ask --json` prints, for the caller, kept in their conversation."""
    kb = service(request)
    question = question_text(kb, req.question)
    user = ident.principal.user
    history = history_of(kb, user, req.conversation_id)
    t0 = time.perf_counter()
    answer = kb.ask(question, ident.principal, history)
    conv, turn = kb.remember_answer(user, question, answer, (time.perf_counter() - t0) * 1000,
                                    req.conversation_id)
    return {**answer.to_json(), "conversation_id": conv, "turn_id": turn}


@router.get("/documents/{doc_id}/passage", response_model=PassageOut,
            responses=documented(400, 401, 404))
def passage(doc_id: str, request: Request, start: int = Query(ge=0), end: int = Query(ge=0),
            page: int | None = Query(None, ge=1), quote: str = Query("", max_length=10_000),
            ident: Identity = Depends(caller)) -> dict:
    """The cited span `start`..`end` of the page (omit `page` for unpaged documents) with its
    section and the text around it. With `quote`, a document edited since the citation is
    searched for the quote again."""
    if end < start:
        raise ApiError(400, "invalid_span", "end is before start")
    kb = service(request)
    return kb.open_passage(doc_id, ident.principal, page, start, end, quote).to_json()


@router.get("/documents/{doc_id}/file", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "The original file."}, **documented(401, 404)})
def original(doc_id: str, request: Request, ident: Identity = Depends(caller)):
    """The original file of a document the caller may read: the bytes that were ingested (their
    hash checked against the manifest), never a file swapped in since."""
    f = service(request).original_file(doc_id, ident.principal)
    kind = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
    disposition = "attachment; filename*=UTF-8''" + url_quote(f.name)
    return Response(f.data, media_type=kind, headers={"Content-Disposition": disposition})


@router.get("/conversations", response_model=list[ConversationOut], responses=documented(401))
def conversations(request: Request, limit: int = Query(50, ge=1, le=500),
                  ident: Identity = Depends(caller)) -> list[dict]:
    """The caller's own conversations, latest first."""
    rows = service(request).records.conversations(ident.principal.user, limit=limit)
    return [{"id": c.id, "title": c.title, "created_at": c.created_at,
             "updated_at": c.updated_at} for c in rows]


@router.get("/conversations/{conversation_id}", response_model=ConversationTurnsOut,
            responses=documented(401, 404))
def conversation(conversation_id: str, request: Request,
                 ident: Identity = Depends(caller)) -> dict:
    """The turns of one of the caller's conversations (anyone else's: 404)."""
    turns = service(request).records.turns(ident.principal.user, conversation_id)
    if not turns:
        raise NotFound("no such conversation")
    return {"id": conversation_id, "turns": [
        {"id": t.id, "position": t.position, "question": t.question, "answer": t.answer,
         "refused": t.refused, "reason": t.reason, "standalone_question": t.standalone,
         "citations": list(t.citations), "created_at": t.created_at, "rating": t.rating,
         "comment": t.comment} for t in turns]}


@router.post("/feedback", response_model=FeedbackOut, responses=documented(400, 401, 404))
def feedback(req: FeedbackIn, request: Request, ident: Identity = Depends(caller)) -> dict:
    """Rate one of the caller's answers (the `turn_id` a completion or ask returned)."""
    try:
        service(request).records.set_feedback(ident.principal.user, req.turn_id, req.rating,
                                              req.comment)
    except PermissionError:
        raise NotFound("no such answer") from None
    return {"turn_id": req.turn_id, "rating": req.rating}
