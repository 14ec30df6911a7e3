"""`kb ask` and `kb eval --answers` through the command line on the sample corpus: in process
with the fake embedder (and a readable coverage rule for refusal), and as a subprocess with the
real model and the shipped refusal model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.language import NOT_FOUND
from kb.app.service import KnowledgeBase
from kb.cli import app as cli
from kb.app.wiring import build
from tests.answers_helpers import write_rule
from tests.conftest import REPO, SAMPLES

DATA = Path(__file__).resolve().parent.parent / "data"
CITATION_KEYS = {"n", "doc_id", "path", "page", "section", "char_start", "char_end", "quote"}


@pytest.fixture
def ingested(settings, fake_embedder, tmp_path):
    s = settings.model_copy(update={"refusal_model": str(write_rule(tmp_path / "rule.json"))})
    app = build(s, embedder_override=fake_embedder)
    r = CliRunner().invoke(cli, ["ingest", str(SAMPLES), "--json"], obj=KnowledgeBase(app))
    assert r.exit_code == 0, r.output
    yield app
    app.close()


def run(app, *args: str):
    return CliRunner().invoke(cli, list(args), obj=KnowledgeBase(app))


def test_ask_json_shape_and_exact_quotes(ingested):
    r = run(ingested, "ask", "How many days of paid annual leave do full-time employees get?",
            "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert {"answer", "refused", "reason", "citations", "hits", "timings_ms"} <= set(out)
    assert out["refused"] is False and out["reason"] == ""
    assert "15 days of paid annual leave" in out["answer"]
    assert out["citations"] and all(set(c) == CITATION_KEYS for c in out["citations"])
    for c in out["citations"]:  # spans in the coordinates of the chunks (extracted text)
        assert c["path"] == "en/leave_policy.md" and f"[{c['n']}]" in out["answer"]
        assert any(h["doc_id"] == c["doc_id"] and h["char_start"] <= c["char_start"]
                   and h["text"][c["char_start"] - h["char_start"]:
                                 c["char_end"] - h["char_start"]] == c["quote"]
                   for h in out["hits"])
    assert out["hits"][0]["rank"] == 1 and "text" in out["hits"][0]
    assert {"search_ms", "refusal_ms", "answer_ms", "verify_ms", "total_ms"} <= set(out["timings_ms"])


def test_ask_readable_output_lists_numbered_sources(ingested):
    r = run(ingested, "ask", "年休假有多少天？")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("知识库中的相关原文如下：")
    assert "Sources:" in r.output and "[1] zh/请假制度.md" in r.output


def test_ask_refuses_for_a_reader_without_the_group_and_answers_with_it(ingested):
    q = "What is the salary range of band L3 per year?"
    plain = json.loads(run(ingested, "ask", q, "--json").output)
    assert plain["refused"] and plain["answer"] == NOT_FOUND["en"] and plain["citations"] == []
    assert "salary_bands" not in json.dumps(plain)
    hr = json.loads(run(ingested, "ask", q, "--user", "alice", "--group", "hr", "--json").output)
    assert not hr["refused"] and hr["citations"][0]["path"] == "hr/salary_bands.md"


def test_ask_empty_question(ingested):
    out = json.loads(run(ingested, "ask", "  ", "--json").output)
    assert out["refused"] and out["reason"] == "no_question"


def test_eval_answers_adds_the_answer_blocks(ingested, tmp_path):
    qfile = tmp_path / "q.jsonl"
    rows = [json.loads(ln) for ln in (DATA / "samples_questions.jsonl").read_text("utf-8").splitlines()]
    rows[0]["answer_groups"] = [["15 days"]]
    qfile.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    r = run(ingested, "eval", str(qfile), "--answers", "--json", "--per-question")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["answers"] is True and out["retrieval"]["recall@5"] == 1.0
    assert out["answer"]["accuracy"] == 1.0  # the one graded question
    assert set(out["refusal"]) == {"answerable_refused", "unanswerable_refused", "hallucinated",
                                   "reasons"}
    assert out["refusal"]["hallucinated"] == 0.0
    assert out["citations"]["precision"] == 1.0
    assert out["by_unanswerable_kind"]["absent"]["refusal"]["unanswerable_refused"] == 1.0
    first = next(p for p in out["per_question"] if p["id"] == rows[0]["id"])
    assert first["correct"] is True and first["refused"] is False
    readable = run(ingested, "eval", str(qfile), "--answers")
    assert readable.exit_code == 0 and "acc|ret" in readable.output
    assert "refused, absent" in readable.output


@pytest.mark.slow
def test_ask_as_a_subprocess_with_the_real_model(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO), ANONYMIZED_TELEMETRY="False")

    def kb(*args: str) -> dict:
        p = subprocess.run([sys.executable, "-m", "kb.cli", *args, "--json"], env=env,
                           cwd=tmp_path, capture_output=True, text=True, timeout=900)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    kb("ingest", str(SAMPLES))
    leave = kb("ask", "How many days of paid annual leave do full-time employees get?")
    assert not leave["refused"] and "15 days" in leave["answer"]
    assert leave["citations"][0]["path"] == "en/leave_policy.md"
    zh = kb("ask", "工作已满10年的员工年休假有几天？")
    assert not zh["refused"] and zh["citations"][0]["path"] == "zh/请假制度.md"
    assert zh["answer"].startswith("知识库中的相关原文如下：")
    salary = "What is the salary range of band L3?"
    hidden = kb("ask", salary)
    assert hidden["refused"] and hidden["answer"] == NOT_FOUND["en"]
    assert "salary_bands" not in json.dumps(hidden) and "76,000" not in json.dumps(hidden)
    hr = kb("ask", salary, "--user", "alice", "--group", "hr")
    assert not hr["refused"] and "76,000" in hr["answer"]
