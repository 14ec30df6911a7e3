"""The Model Context Protocol server (the official `mcp` SDK): tools `search`, `ask` and
`open_passage` on the service layer, so an agent can cite a page and a character span.

Two transports: stdio (`kb mcp`, acting as the user and groups it was started for, like the
CLI) and streamable HTTP at `/mcp` of `kb api`, where every request carries a bearer key
(kb/api/identity.py) and acts as that key's user. Results are the records' own JSON; the same
access decision and the same records (query log, conversations) as the page and the API."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from kb.api.identity import identify
from kb.app.auth import Identity
from kb.app.service import KnowledgeBase
from kb.core.errors import AnswererFailed, NotFound

INSTRUCTIONS = (
    "A private knowledge base of company documents (Chinese and English). `search` finds "
    "passages, `ask` answers a question with numbered citations or says the knowledge base does "
    "not contain the answer, `open_passage` shows a cited span (doc_id, page, char_start, "
    "char_end from a citation) in its context. Quote and cite; never invent.")


def _clean(kb: KnowledgeBase, text: str, what: str) -> str:
    text = text.strip()
    if not text:
        raise ToolError(f"the {what} is empty")
    if len(text) > kb.settings.max_query_chars:
        raise ToolError(f"the {what} has {len(text)} characters; at most "
                        f"{kb.settings.max_query_chars} are accepted")
    return text


def build_server(kb: KnowledgeBase, local: Identity | None = None) -> MCPServer:
    """The MCP server of `kb`. `local` is who a request without HTTP headers (stdio) acts as;
    None (the HTTP server) refuses such requests."""
    server = MCPServer("kb", instructions=INSTRUCTIONS, version="0.1.0")

    def who(ctx: Context) -> Identity:
        headers: Mapping[str, str] | None = ctx.headers
        if headers is None:
            if local is None:
                raise ToolError("unauthorized")
            return local
        ident = identify(kb, headers)
        if ident is None:
            raise ToolError("unauthorized")
        return ident

    @server.tool()
    async def search(query: str, ctx: Context, k: int = 5) -> dict[str, Any]:
        """Search the documents you may read. Returns the best passages with doc_id, path,
        page, section, char_start/char_end and text."""
        ident = who(ctx)
        query = _clean(kb, query, "query")
        if not 1 <= k <= kb.settings.api_max_k:
            raise ToolError(f"k is between 1 and {kb.settings.api_max_k}")

        def run() -> dict[str, Any]:
            t0 = time.perf_counter()
            result = kb.search(query, ident.principal, k=k)
            kb.records.log_query(ident.principal.user, "search", query, results=len(result),
                                 latency_ms=(time.perf_counter() - t0) * 1000)
            return result.to_json()

        return await anyio.to_thread.run_sync(run)

    @server.tool()
    async def ask(question: str, ctx: Context) -> dict[str, Any]:
        """Answer a question from the documents you may read: the answer text with [n]
        markers, its citations (doc_id, path, page, section, char_start, char_end, quote), or
        `refused: true` with the "not found" sentence."""
        ident = who(ctx)
        question = _clean(kb, question, "question")

        def run() -> dict[str, Any]:
            t0 = time.perf_counter()
            answer = kb.ask(question, ident.principal)
            conv, turn = kb.remember_answer(ident.principal.user, question, answer,
                                            (time.perf_counter() - t0) * 1000)
            out = answer.to_json()
            out.pop("hits")
            return {**out, "conversation_id": conv, "turn_id": turn}

        try:
            return await anyio.to_thread.run_sync(run)
        except AnswererFailed as exc:
            raise ToolError(str(exc)) from None

    @server.tool()
    async def open_passage(doc_id: str, start: int, end: int, ctx: Context,
                           page: int | None = None, quote: str = "") -> dict[str, Any]:
        """Open a cited span of a document: its path, title, page, section and the text
        before, the quote itself and the text after."""
        ident = who(ctx)
        if start < 0 or end < start:
            raise ToolError("start and end are character offsets, 0 <= start <= end")
        try:
            opened = await anyio.to_thread.run_sync(
                lambda: kb.open_passage(doc_id, ident.principal, page, start, end, quote))
        except NotFound as exc:
            raise ToolError(str(exc)) from None
        return opened.to_json()

    return server


def run_stdio(kb: KnowledgeBase, identity: Identity) -> None:
    """Serve over stdin/stdout until the client closes them (`kb mcp`)."""
    anyio.run(build_server(kb, identity).run_stdio_async)
