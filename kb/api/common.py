"""What every route shares: the service of this app, the caller, the checks of a question."""

from __future__ import annotations

from fastapi import Request

from kb.api.errors import ApiError
from kb.api.identity import require
from kb.app.auth import Identity
from kb.app.service import KnowledgeBase


def service(request: Request) -> KnowledgeBase:
    return request.app.state.kb


def caller(request: Request) -> Identity:
    """The dependency of every route but /openapi.json: 401 unless the caller is known."""
    return require(service(request), request.headers)


def question_text(kb: KnowledgeBase, text: str, what: str = "question") -> str:
    text = text.strip()
    if not text:
        raise ApiError(400, f"empty_{what}", f"the {what} is empty")
    limit = kb.settings.max_query_chars
    if len(text) > limit:
        raise ApiError(400, f"{what}_too_long",
                       f"the {what} has {len(text)} characters; at most {limit} are accepted")
    return text
