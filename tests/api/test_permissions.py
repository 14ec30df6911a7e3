"""Permissions through every endpoint and tool, with the leak probes of
tests/integration/test_permission_leaks.py: no restricted phrase or path ever reaches a caller
who may not read it; a restricted document and a nonexistent one answer identically; one key
never sees another user's history."""

from __future__ import annotations

import json

import anyio
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from kb.app.service import KnowledgeBase
from kb.app.wiring import build
from kb.core.testing.fakes import BagOfWordsEmbeddings
from tests.api.conftest import Api, api_settings
from tests.integration.test_permission_leaks import (
    PRINCIPALS,
    RESTRICTED,
    make_corpus,
    probe_queries,
    readable,
)

# distinctive words of each restricted document (its path prefix decides who may read it)
SECRETS = {
    "finance/q3_forecast.md": ["Nightingale", "Bluewater", "FIN-7731", "夜莺", "蓝水"],
    "finance/payroll_audit.txt": ["Zephyr", "PAY-4420", "duplicate payments"],
    "hr/layoffs_2026.md": ["Lisbon", "140 positions", "里斯本", "Severance"],
    "hr/salary_bands.md": ["76,000", "98,000", "Salary Bands"],
    "legal/litigation.md": ["Orchid", "Falcon", "兰花", "猎鹰"],
    "exec/board_minutes.md": ["Copperleaf", "48 dollars", "铜叶"],
}
ABSENT_DOC = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def leak_api(tmp_path_factory):
    from kb.api.server import start_in_thread

    tmp = tmp_path_factory.mktemp("leaks")
    root = make_corpus(tmp / "corpus")
    kb = KnowledgeBase(build(api_settings(tmp), embedder_override=BagOfWordsEmbeddings()))
    report = kb.ingest([root])
    assert not report.failed and report.added == 14
    keys = {p.user: kb.keys.create(p.user, p.groups)[1] for p in PRINCIPALS}
    running = start_in_thread(kb)
    yield Api(running.url, kb, keys, root, tmp / "home")
    running.stop()
    kb.close()


def forbidden_words(principal) -> list[str]:
    return [w for rel, words in SECRETS.items() if not readable(rel, principal) for w in words]


def assert_clean(payload, principal, query: str = "") -> None:
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k != "kb"}
        payload.pop("standalone_question", None)
    text = json.dumps(payload, ensure_ascii=False).replace(json.dumps(query)[1:-1], "")
    for word in forbidden_words(principal):
        assert word not in text, f"{principal.user} saw {word!r} for {query!r}"
    for rel in SECRETS:
        if not readable(rel, principal):
            assert rel not in text, f"{principal.user} saw {rel} for {query!r}"


def doc_ids(api) -> dict[str, str]:
    return {d.path: d.doc_id for d in api.kb.library()}


def test_search_never_leaks(leak_api):
    queries = probe_queries()
    checked = restricted_seen = 0
    for p in PRINCIPALS:
        with leak_api.client(p.user) as c:
            for q in queries:
                r = c.post("/v1/search", json={"query": q, "k": 10})
                assert r.status_code == 200, r.text
                hits = r.json()["hits"]
                assert all(readable(h["path"], p) for h in hits), (p, q)
                assert_clean(r.json(), p, q)
                checked += len(hits)
                restricted_seen += sum(h["path"] in SECRETS for h in hits)
    assert checked > len(PRINCIPALS) * len(queries) * 3
    assert restricted_seen > 100  # the probes do find the documents for their readers


def test_answers_never_leak_through_ask_chat_and_stream(leak_api):
    titles = [t.splitlines()[0].strip("# ") for t in RESTRICTED.values()]
    queries = titles + ["What is the salary range of band L3 per year?",
                        "夜莺计划预计使季度收入增长多少？", "Who sued the company over the Falcon sensor?"]
    answered = 0
    for p in PRINCIPALS:
        with leak_api.client(p.user) as c:
            for q in queries:
                a = c.post("/v1/ask", json={"question": q}).json()
                assert all(readable(x["path"], p) for x in a["citations"] + a["hits"])
                assert_clean(a, p, q)
                answered += not a["refused"]
                msg = {"model": "kb-assistant", "messages": [{"role": "user", "content": q}]}
                assert_clean(c.post("/v1/chat/completions", json=msg).json(), p, q)
                with c.stream("POST", "/v1/chat/completions", json={**msg, "stream": True}) as s:
                    events = [json.loads(line[6:]) for line in s.iter_lines()
                              if line.startswith("data: {")]
                for e in events:
                    assert_clean(e, p, q)
    assert answered > 0  # the probes do reach answers for the readers


def test_restricted_and_nonexistent_documents_answer_identically(leak_api):
    ids = doc_ids(leak_api)
    for p in PRINCIPALS:
        with leak_api.client(p.user) as c:
            def answers(doc_id: str) -> list:
                return [(r.status_code, r.json()) for r in (
                    c.get(f"/v1/documents/{doc_id}/passage", params={"start": 0, "end": 40}),
                    c.get(f"/v1/documents/{doc_id}/passage",
                          params={"start": 0, "end": 40, "page": 1}),
                    c.get(f"/v1/documents/{doc_id}/file"),
                    c.delete(f"/v1/documents/{doc_id}"))]

            absent = answers(ABSENT_DOC)
            assert absent[0][0] == 404 and absent[3][0] == 403
            for rel in SECRETS:
                if readable(rel, p):
                    r = c.get(f"/v1/documents/{ids[rel]}/file")
                    assert r.status_code == 200 and r.content
                else:
                    assert answers(ids[rel]) == absent, (p.user, rel)


def test_mcp_tools_never_leak_and_answer_identically(leak_api):
    ids = doc_ids(leak_api)
    queries = [t.splitlines()[0].strip("# ") for t in RESTRICTED.values()]

    async def probe(p):
        headers = {"Authorization": f"Bearer {leak_api.keys[p.user]}"}
        http = create_mcp_http_client(headers=headers)
        async with Client(streamable_http_client(leak_api.url + "/mcp", http_client=http)) as c:
            for q in queries:
                for tool, args in (("search", {"query": q, "k": 10}), ("ask", {"question": q})):
                    r = await c.call_tool(tool, args)
                    assert not r.is_error
                    assert_clean(r.structured_content, p, q)
            absent = await c.call_tool("open_passage", {"doc_id": ABSENT_DOC, "start": 0,
                                                        "end": 40})
            for rel in SECRETS:
                r = await c.call_tool("open_passage", {"doc_id": ids[rel], "start": 0, "end": 40})
                if readable(rel, p):
                    assert not r.is_error
                else:
                    assert r.is_error and r.content == absent.content, (p.user, rel)

    for p in PRINCIPALS:
        anyio.run(probe, p)


def test_one_key_never_sees_another_users_history(leak_api):
    with leak_api.client("alice") as alice, leak_api.client("bob") as bob:
        mine = alice.post("/v1/ask", json={"question": "Salary Bands 2026"}).json()
        conv, turn = mine["conversation_id"], mine["turn_id"]
        assert alice.get(f"/v1/conversations/{conv}").status_code == 200
        assert conv in [c["id"] for c in alice.get("/v1/conversations").json()]

        absent = bob.get(f"/v1/conversations/{'f' * 32}")
        theirs = bob.get(f"/v1/conversations/{conv}")
        assert theirs.status_code == 404 and theirs.json() == absent.json()
        assert conv not in [c["id"] for c in bob.get("/v1/conversations").json()]
        for r in (bob.post("/v1/ask", json={"question": "leave", "conversation_id": conv}),
                  bob.post("/v1/chat/completions", json={
                      "messages": [{"role": "user", "content": "leave"}],
                      "conversation_id": conv}),
                  bob.post("/v1/feedback", json={"turn_id": turn, "rating": 0})):
            assert r.status_code == 404, r.text
            assert "Salary" not in r.text and "76,000" not in r.text
        assert alice.post("/v1/feedback", json={"turn_id": turn, "rating": 1}).status_code == 200
    assert leak_api.kb.records.turns("alice", conv)[0].rating == 1
