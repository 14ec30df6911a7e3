"""The stdio MCP server of the tests, in a child process: `kb mcp`'s code path (kb.mcp.run_stdio)
over a copy of data/samples ingested with the fake embedder, as the user and groups given.

    python -m tests.api.mcp_child WORKDIR USER [GROUP...]"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from kb.app.auth import Identity, roles_for
from kb.app.service import KnowledgeBase
from kb.app.wiring import build
from kb.core.testing.fakes import BagOfWordsEmbeddings
from kb.core.types import Principal
from kb.mcp import run_stdio
from tests.api.conftest import api_settings
from tests.conftest import SAMPLES


def main(workdir: str, user: str, *groups: str) -> None:
    tmp = Path(workdir)
    corpus = tmp / "samples"
    if not corpus.exists():
        shutil.copytree(SAMPLES, corpus)
    settings = api_settings(tmp)
    kb = KnowledgeBase(build(settings, embedder_override=BagOfWordsEmbeddings()))
    kb.ingest([corpus])
    principal = Principal(user, frozenset(groups))
    run_stdio(kb, Identity(principal, roles_for(principal.groups, settings), user))


if __name__ == "__main__":
    main(*sys.argv[1:])
