"""`kb search` and `kb eval` end to end through the command line, on the sample corpus.

In-process runs (typer's CliRunner) use the real Chroma + FTS5 stores with the fake embedder;
the subprocess run at the end uses the installed entry point and the real model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb.app.service import KnowledgeBase
from kb.cli import app as cli
from tests.conftest import REPO, SAMPLES

DATA = Path(__file__).resolve().parent.parent / "data"
HIT_KEYS = {"rank", "score", "doc_id", "path", "page", "section", "chunk_id", "char_start",
            "char_end", "text"}


@pytest.fixture
def ingested(app):
    result = CliRunner().invoke(cli, ["ingest", str(SAMPLES), "--json"], obj=KnowledgeBase(app))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["added"] == 9
    return app


def run(app, *args: str, **kw):
    result = CliRunner().invoke(cli, list(args), obj=KnowledgeBase(app), **kw)
    return result


# ------------------------------------------------------------------ kb search
def test_search_json_shape_and_provenance(ingested):
    r = run(ingested, "search", "annual leave days", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert set(out) == {"hits", "timings_ms"}
    assert out["hits"] and all(set(h) == HIT_KEYS for h in out["hits"])
    assert [h["rank"] for h in out["hits"]] == list(range(1, len(out["hits"]) + 1))
    top = out["hits"][0]
    assert top["path"] == "en/leave_policy.md" and "annual leave" in top["text"]
    assert top["section"].startswith("Leave Policy")
    # the span points at the exact text of the file's page
    source = (SAMPLES / "en" / "leave_policy.md").read_text("utf-8")
    assert top["text"] in source
    assert {"embed_ms", "dense_ms", "keyword_ms", "total_ms"} <= set(out["timings_ms"])


def test_search_pdf_hits_carry_pages(ingested):
    out = json.loads(run(ingested, "search", "per diem meal allowance abroad", "--json").output)
    pdf = [h for h in out["hits"] if h["path"] == "en/expenses_policy.pdf"]
    assert pdf and pdf[0]["page"] == 2


def test_search_k_and_modes(ingested):
    for mode in ("hybrid", "dense", "keyword"):
        out = json.loads(run(ingested, "search", "年休假", "-k", "2", "--mode", mode,
                             "--json").output)
        assert len(out["hits"]) <= 2 and out["hits"][0]["path"] == "zh/请假制度.md", mode
    r = run(ingested, "search", "leave", "--mode", "fuzzy")
    assert r.exit_code == 2 and "unknown search mode" in r.output


def test_search_groups_unlock_restricted_documents(ingested):
    plain = json.loads(run(ingested, "search", "salary band L3 薪酬", "--json").output)
    assert all(not h["path"].startswith("hr/") for h in plain["hits"])
    hr = json.loads(run(ingested, "search", "salary band L3 薪酬", "--user", "alice",
                        "--group", "hr", "--json").output)
    assert hr["hits"][0]["path"] == "hr/salary_bands.md"


def test_search_readable_output_shows_path_and_highlights_terms(ingested):
    r = run(ingested, "search", "annual leave", "-k", "3", color=True)
    assert r.exit_code == 0, r.output
    assert "en/leave_policy.md" in r.output and " 1. " in r.output
    bold_yellow = "\x1b[33m\x1b[1m"
    assert f"{bold_yellow}annual\x1b[0m" in r.output and f"{bold_yellow}leave\x1b[0m" in r.output
    plain = run(ingested, "search", "annual leave", "-k", "3")
    assert "\x1b[" not in plain.output and "annual leave" in plain.output


def test_search_with_nothing_found(ingested):
    r = run(ingested, "search", "zzyzx qwxq", "--mode", "keyword")
    assert r.exit_code == 0 and "No results." in r.output


# -------------------------------------------------------------------- kb eval
def test_eval_json_report(ingested):
    r = run(ingested, "eval", str(DATA / "samples_questions.jsonl"), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["mode"] == "hybrid" and out["k"] == 10
    assert out["questions"] == 8 and out["answerable"] == 7
    ret = out["retrieval"]
    assert set(ret) == {"recall@1", "recall@5", "recall@10", "mrr@10", "lenient"}
    assert ret["recall@5"] == 1.0 and ret["mrr@10"] >= 0.8
    for key in ("answer", "refusal", "citations"):
        assert key in out and out[key] is None  # slots for the answer evaluation
    assert set(out["by_dataset"]) == {"samples en", "samples zh"}
    assert out["by_dataset"]["samples zh"]["answerable"] == 3
    assert out["by_unanswerable_kind"]["absent"]["questions"] == 1
    assert out["by_unanswerable_kind"]["absent"]["retrieval"] is None
    assert {"p50", "p95"} <= set(out["latency_ms"])
    assert out["gold_missing_from_index"] == []


def test_eval_per_question_ranks(ingested):
    out = json.loads(run(ingested, "eval", str(DATA / "samples_questions.jsonl"), "--json",
                         "--per-question").output)
    rows = {r["id"]: r for r in out["per_question"]}
    assert len(rows) == 8 and rows["s-01"]["gold_rank"] == 1
    assert rows["s-01"]["top"][0] == "en/leave_policy.md"
    assert rows["s-08"]["answerable"] is False and rows["s-08"]["gold_rank"] is None
    assert "per_question" not in json.loads(run(ingested, "eval", str(DATA / "samples_questions.jsonl"), "--json").output)


def test_eval_modes_and_readable_table(ingested):
    for mode in ("dense", "keyword"):
        out = json.loads(run(ingested, "eval", str(DATA / "samples_questions.jsonl"), "--mode",
                             mode, "--json").output)
        assert out["mode"] == mode and out["retrieval"]["recall@10"] > 0.5
    r = run(ingested, "eval", str(DATA / "samples_questions.jsonl"), "--k", "5", "--misses", "3")
    assert r.exit_code == 0, r.output
    assert "R@1" in r.output and "samples zh" in r.output and "latency ms" in r.output


def test_eval_warns_when_gold_files_are_not_in_the_index(ingested, tmp_path):
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(json.dumps({"id": "x", "question": "annual leave", "answerable": True,
                                 "gold_docs": ["docs/en/leave_policy.md"]}) + "\n", "utf-8")
    r = run(ingested, "eval", str(qfile))
    assert r.exit_code == 0 and "not in the index" in r.output
    fixed = json.loads(run(ingested, "eval", str(qfile), "--prefix", "", "--json").output)
    assert fixed["gold_missing_from_index"] == ["docs/en/leave_policy.md"]


def test_eval_does_not_tell_an_outsider_which_restricted_files_exist(ingested, tmp_path):
    """`kb eval --user` listed a restricted gold file as present, an absent one as missing."""
    qfile = tmp_path / "q.jsonl"
    qfile.write_text("".join(json.dumps({"id": f"x{i}", "question": "salary bands",
                                         "answerable": True, "gold_docs": [gold]}) + "\n"
                             for i, gold in enumerate(["hr/salary_bands.md", "hr/bonus.md"])),
                     "utf-8")
    outsider = json.loads(run(ingested, "eval", str(qfile), "--user", "eve", "--json").output)
    assert outsider["gold_missing_from_index"] == ["hr/bonus.md", "hr/salary_bands.md"]
    member = json.loads(run(ingested, "eval", str(qfile), "--user", "hana", "--group", "hr",
                            "--json").output)
    assert member["gold_missing_from_index"] == ["hr/bonus.md"]


def test_eval_refuses_bad_input(app, ingested, tmp_path):
    assert run(ingested, "eval", str(tmp_path / "missing.jsonl")).exit_code == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", "utf-8")
    r = run(ingested, "eval", str(bad))
    assert r.exit_code == 2 and "not JSON" in r.output


def test_eval_on_an_empty_index_says_so(app, tmp_path):
    r = run(app, "eval", str(DATA / "samples_questions.jsonl"))
    assert r.exit_code == 2 and "nothing is ingested" in r.output


def test_reindex_keywords_keeps_results(ingested):
    before = json.loads(run(ingested, "search", "年休假 annual leave", "--mode", "keyword",
                            "--json").output)["hits"]
    r = run(ingested, "reindex-keywords", "--json")
    assert r.exit_code == 0
    assert json.loads(r.output)["chunks"] == sum(d.chunks for d in ingested.manifest.docs())
    after = json.loads(run(ingested, "search", "年休假 annual leave", "--mode", "keyword",
                           "--json").output)["hits"]
    assert [h["chunk_id"] for h in after] == [h["chunk_id"] for h in before]


# ------------------------------------------------- real entry point, real model
@pytest.mark.slow
def test_search_and_eval_as_a_subprocess_with_the_real_model(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO), ANONYMIZED_TELEMETRY="False")

    def kb(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "kb.cli", *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=900)

    assert kb("ingest", str(SAMPLES), str(DATA / "crosslang"), "--json").returncode == 0
    out = json.loads(kb("search", "每周最多可以远程办公几天？", "--json").stdout)
    assert out["hits"][0]["path"] == "en/remote_work.md"  # a Chinese question, an English answer
    report = json.loads(kb("eval", str(DATA / "crosslang.jsonl"), "--json").stdout)
    assert report["answerable"] == 40
    assert report["retrieval"]["recall@5"] >= 0.9
    for direction in ("crosslang zh->en", "crosslang en->zh"):
        assert report["by_dataset"][direction]["retrieval"]["recall@10"] >= 0.85
    # Questions no document of this mixed corpus answers, zh and en (tests/data/
    # mixed_unanswerable.jsonl): refused, nothing invented. A floor at today's 17 of 20 (the
    # misses quote an unrelated passage in the other language: docs/ANSWERS.md, known limits).
    absent = json.loads(kb("eval", str(DATA / "mixed_unanswerable.jsonl"), "--answers",
                           "--json").stdout)
    assert absent["refusal"]["unanswerable_refused"] >= 0.8
    assert absent["refusal"]["hallucinated"] == 0
    # Everyday questions whose answer is in a document of their own language, asked of the
    # bilingual corpus where the other language has a policy on the same topic (tests/data/
    # mixed_samelang.jsonl, 22 zh + 16 en): answered from the own-language passage. Floors a
    # little under today's accuracy 0.87 and 2 of 38 refused (docs/ANSWERS.md).
    same = json.loads(kb("eval", str(DATA / "mixed_samelang.jsonl"), "--answers",
                         "--json").stdout)
    assert same["answerable"] == 38
    assert same["answer"]["accuracy"] >= 0.8
    assert same["refusal"]["answerable_refused"] <= 0.1
