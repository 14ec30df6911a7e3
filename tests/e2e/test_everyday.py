"""The everyday set (tests/data/everyday.jsonl): 82 questions a new user asks of data/samples,
direct, colloquial, cross-language, follow-ups (asked with their `history`) and ones the samples
do not answer; three need group hr (`requires_groups`). Asked through `kb eval --answers` with
the real model, as a subprocess of the installed entry point.

The target is every answerable question answered from the right document and every
unanswerable one refused. Today 54 of 82 pass (docs/ANSWERS.md lists the others and why); the
questions that pass are kept passing, one by one, and nothing is invented. Among them the
issue's unanswerable examples: the CEO (076), the taxi limit (078), 食堂-like questions the
samples do not answer (069-071, 074, 080, 081)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLES

EVERYDAY = Path(__file__).resolve().parent.parent / "data" / "everyday.jsonl"

# the questions answered right (or refused, when unanswerable) today
PASSING = {f"ev-{n}" for n in """
001 002 003 004 005 006 007 008 009 010 011 012 013 014 016 017 018 019 020 021 022 023 024
025 031 035 037 041 042 043 044 045 049 055 056 060 062 063 064 065 067 068 069 070 071 072
073 074 076 077 078 080 081 082""".split()}
# the examples among them: who is the CEO (refused), 那满二十年呢 / And in Munich? /
# What about sick leave? (follow-ups with their aspect replaced)
EXAMPLES = {"ev-076", "ev-060", "ev-064", "ev-067"}


def passed(row: dict, question: dict) -> bool:
    return bool(row["correct"]) if question["answerable"] else bool(row["refused"])


@pytest.mark.slow
def test_everyday_questions_with_the_real_model(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO), ANONYMIZED_TELEMETRY="False")

    def kb(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "kb.cli", *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=900)

    assert kb("ingest", str(SAMPLES), "--json").returncode == 0
    run = kb("eval", str(EVERYDAY), "--answers", "--per-question", "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    questions = {json.loads(line)["id"]: json.loads(line)
                 for line in EVERYDAY.read_text("utf-8").splitlines() if line.strip()}
    assert report["questions"] == len(questions) == 82
    ok = {row["id"] for row in report["per_question"] if passed(row, questions[row["id"]])}
    assert EXAMPLES <= PASSING
    assert PASSING <= ok, f"no longer passing: {sorted(PASSING - ok)}"
    assert report["refusal"]["hallucinated"] == 0
    hr = [row for row in report["per_question"] if questions[row["id"]].get("requires_groups")]
    assert len(hr) == 3 and any(not row["refused"] for row in hr)  # asked with group hr
