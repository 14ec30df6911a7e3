"""The HTTP API (`kb api`): an OpenAI-compatible chat endpoint, REST for search, answers,
passages, files, ingest jobs and the caller's conversations, and the MCP server at `/mcp`; all
on the service layer (kb/app/service.py), every request as the caller its bearer key names."""

from __future__ import annotations

from contextlib import asynccontextmanager

from typing import Literal

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.datastructures import Headers
from starlette.routing import Route

from kb.api import admin, chat, errors, routes
from kb.api.identity import identify
from kb.app.service import KnowledgeBase

VERSION = "0.1.0"


class Health(BaseModel):
    status: Literal["ok"]


class KeyRequired:
    """ASGI wrapper of the MCP endpoint: a request without a valid key gets the API's 401."""

    def __init__(self, app, kb: KnowledgeBase) -> None:
        self.app, self.kb = app, kb

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            if identify(self.kb, Headers(scope=scope)) is None:  # as the routes see them
                await errors.respond(401, "unauthorized", errors.UNAUTHORIZED)(scope, receive,
                                                                               send)
                return
        await self.app(scope, receive, send)


def create_app(kb: KnowledgeBase, mcp: bool = True) -> FastAPI:
    """The ASGI app of `kb`, with the MCP server at /mcp unless `mcp` is False."""
    server = None
    if mcp:
        from kb.mcp import build_server

        server = build_server(kb)
        mcp_app = server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True,
                                             host=kb.settings.api_address)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if server is None:
            yield
            return
        async with server.session_manager.run():
            yield

    app = FastAPI(title="kb: private knowledge assistant", version=VERSION, lifespan=lifespan,
                  description=__doc__, docs_url=None, redoc_url=None)
    app.state.kb = kb
    errors.install(app)
    app.add_middleware(errors.BodyLimit)

    @app.get("/health", tags=["service"], response_model=Health)
    def health() -> dict:
        """Liveness for load balancers and compose health checks: no key, nothing revealed."""
        return {"status": "ok"}

    app.include_router(chat.router)
    app.include_router(routes.router)
    app.include_router(admin.router)
    if server is not None:
        endpoint = next(r for r in mcp_app.routes if getattr(r, "path", "") == "/mcp").endpoint
        app.router.routes.append(Route("/mcp", endpoint=KeyRequired(endpoint, kb),
                                       methods=["GET", "POST", "DELETE"],
                                       include_in_schema=False))
    _openapi(app)
    return app


def _openapi(app: FastAPI) -> None:
    """FastAPI documents request validation errors as 422; ours are 400 with ErrorBody."""
    make = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = make()
        for item in schema.get("paths", {}).values():
            for op in item.values():
                responses = op.get("responses", {})
                responses.pop("422", None)
                if "401" in responses:
                    op.setdefault("security", [{"bearer": []}])
        components = schema.setdefault("components", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.get("schemas", {}).pop(name, None)
        components.setdefault("securitySchemes", {})["bearer"] = {
            "type": "http", "scheme": "bearer", "description": "An API key (`kb keys create`)."}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
