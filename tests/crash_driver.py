"""Run one ingest in this process and SIGKILL it right after the Nth call of a chosen step.

    python -m tests.crash_driver HOME ROOT Class.method N
"""

from __future__ import annotations

import importlib
import os
import signal
import sys

TARGETS = {
    "ChromaVectorIndex": "retriever.dense",
    "FtsKeywordIndex": "retriever.keyword",
    "PgKeywordIndex": "retriever.keyword_pg",
    "SqliteManifest": "ingest.manifest",
}


def main() -> None:
    home, root, target, nth = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    cls_name, method = target.split(".")
    cls = getattr(importlib.import_module(TARGETS[cls_name]), cls_name)
    real = getattr(cls, method)
    calls = {"n": 0}

    def wrapper(self, *args, **kwargs):
        result = real(self, *args, **kwargs)
        calls["n"] += 1
        if calls["n"] == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(cls, method, wrapper)

    from kb.core.config import Settings
    from kb.app.wiring import build
    from kb.core.testing.fakes import BagOfWordsEmbeddings

    app = build(Settings(home=home, chunk_size=120, chunk_overlap=30),
                embedder_override=BagOfWordsEmbeddings())
    app.ingestor().run([root])
    sys.exit(3)  # the kill point was never reached


if __name__ == "__main__":
    main()
