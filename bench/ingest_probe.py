"""Ingest one path in a fresh process and print JSON: the report, wall time, and peak resident
memory of this process and of its parser processes. Used by bench/formats.py and the tests.

    python bench/ingest_probe.py PATH [--needle TEXT] [--chunk-size N] [--set KEY=VALUE ...]

Parsing, chunking and the manifest are real; the embedder is the deterministic bag-of-words fake
and the index is in memory, so the numbers are about extraction, not about the model or Chroma.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--needle", default="")
    ap.add_argument("--chunk-size", type=int, default=1000)
    ap.add_argument("--set", action="append", default=[], help="a setting, KEY=VALUE")
    args = ap.parse_args()

    from ingest.isolate import peak_rss_mb
    from ingest.loading import FileLoader
    from ingest.manifest import SqliteManifest
    from ingest.pipeline import Ingestor
    from kb.core.config import Settings
    from kb.core.sqlite import Database
    from kb.core.testing.fakes import BagOfWordsEmbeddings, InMemoryIndex

    with tempfile.TemporaryDirectory() as home:
        extra = dict(kv.split("=", 1) for kv in args.set)
        settings = Settings(_env_file=None, home=Path(home), chunk_size=args.chunk_size,
                            chunk_overlap=min(100, args.chunk_size // 5), **extra)
        index = InMemoryIndex()
        db = Database(settings.db_path)
        ingestor = Ingestor(settings, SqliteManifest(db), [index], index, BagOfWordsEmbeddings())
        parser_peaks: list[float] = []
        original = FileLoader.close

        def close(self) -> None:  # note the parsers' peak before their processes stop
            if self.isolated is not None:
                parser_peaks.append(self.isolated.peak_rss_mb)
            original(self)

        FileLoader.close = close
        started = time.perf_counter()
        report = ingestor.run([args.path])
        seconds = time.perf_counter() - started
        found = [c.path for c in index.chunks.values() if args.needle and args.needle in c.text]
        db.close()
    own = peak_rss_mb()
    children = max(parser_peaks, default=0.0)
    print(json.dumps({
        "report": report.to_json(), "seconds": round(seconds, 3), "chunks": len(index.chunks),
        "peak_rss_mb": round(own, 1), "peak_rss_parser_mb": round(children, 1),
        "needle_found_in": sorted(set(found)),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
