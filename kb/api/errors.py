"""Errors of the HTTP API: JSON in OpenAI's shape, `{"error": {"code", "message", "type"}}`, with
a stable `code` for machines. Every expected failure of the service layer maps to one status
and one code here; nothing else decides an error's status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb.core.errors import AccessViolation, AnswererFailed, IngestLocked, NotFound

log = logging.getLogger(__name__)
MAX_BODY = 1_000_000  # bytes: a question is at most a few thousand characters
UNAUTHORIZED = "a valid API key is required: Authorization: Bearer <key>"
TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
         404: "not_found_error", 405: "invalid_request_error", 409: "conflict_error",
         413: "invalid_request_error", 500: "server_error", 502: "server_error"}


class ErrorDetail(BaseModel):
    code: str
    message: str
    type: str


class ErrorBody(BaseModel):
    """Every error the API answers."""

    error: ErrorDetail


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def body(status: int, code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message, "type": TYPES.get(status, "error")}}


def respond(status: int, code: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body(status, code, message), status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> tuple[str, str]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return "invalid_json", "the request body is not valid JSON"
    parts = []
    for e in errors[:5]:
        where = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
        if e.get("type") == "extra_forbidden":
            parts.append(f"{where}: unknown field")
        else:
            parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return "invalid_request", "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError):
        return respond(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        code, message = _validation_message(exc)
        return respond(400, code, message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return respond(exc.status_code, code, str(exc.detail))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return respond(404, "not_found", str(exc))

    @app.exception_handler(IngestLocked)
    async def _locked(request: Request, exc: IngestLocked):
        return respond(409, "ingest_running", str(exc))

    @app.exception_handler(AnswererFailed)
    async def _answerer(request: Request, exc: AnswererFailed):
        return respond(502, "answerer_failed", str(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        # a misconfigured chat model, a store that went away: logged by the server, and the
        # caller gets JSON like every other error (never a traceback)
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return respond(500, "internal_error", "the server failed to answer; see its log")

    @app.exception_handler(AccessViolation)
    async def _violation(request: Request, exc: AccessViolation):
        return respond(500, "access_check_failed", "the access check refused its own results; "
                       "nothing was shown")


class BodyLimit:
    """ASGI middleware: a request body over MAX_BODY bytes gets a 413 before it is read."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            length = dict(scope.get("headers", [])).get(b"content-length", b"0")
            if not length.isdigit() or int(length) > MAX_BODY:
                await respond(413, "body_too_large", f"the request body is over {MAX_BODY} "
                              "bytes")(scope, receive, send)
                return
        await self.app(scope, receive, send)


def documented(*statuses: int) -> dict:
    """The `responses=` of a route: the error statuses it may answer, all with ErrorBody (every
    route may also answer 413, a body over MAX_BODY, and 500, a failure of the server)."""
    return {s: {"model": ErrorBody, "description": TYPES.get(s, "error")}
            for s in sorted({*statuses, 413, 500})}
