"""What the deletion purge costs: `kb delete` of one document with and without the purge
(ingest/pipeline.py `purge`, kb/app/wiring.py `App.purge`) on a store of N chunks.

    nice -n 5 python -m bench.purge [--docs 300] [--paras 10]   (from the repository root)

Prints the seconds of each and their ratio; both measured in this run on the same store (the
fake embedder: the purge does not embed).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from ingest.pipeline import Ingestor
from kb.app.wiring import build
from kb.core.config import Settings
from kb.core.testing.fakes import BagOfWordsEmbeddings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--paras", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kb-purge-"))
    try:
        corpus = tmp / "corpus"
        corpus.mkdir()
        for i in range(args.docs):
            (corpus / f"d{i:04d}.md").write_text("\n\n".join(
                f"Document {i} paragraph {p} about leave, travel and expense claims number "
                f"{i * 100 + p}. " * 4 for p in range(args.paras)), encoding="utf-8")
        app = build(Settings(home=tmp / "home", isolate_loaders=False, ocr=False),
                    embedder_override=BagOfWordsEmbeddings())
        report = app.ingestor().run([str(corpus)])
        vectors, keywords = app.vector_index, app.keyword_index
        ingestors = {label: Ingestor(app.settings, app.manifest, [vectors, keywords], vectors,
                                     app.embedder, purge=purge)
                     for label, purge in (("without purge", None), ("with purge", app.purge))}
        ingestors["without purge"].delete_path(str(corpus / "d0000.md"))  # warm up
        timings: dict[str, list[float]] = {label: [] for label in ingestors}
        n = 1
        for _ in range(args.rounds):  # alternate, so that neither side gets a warmer store
            for label, ingestor in ingestors.items():
                started = time.perf_counter()
                ingestor.delete_path(str(corpus / f"d{n:04d}.md"))
                timings[label].append(time.perf_counter() - started)
                n += 1
        app.close()
        print(f"store: {report.chunks} chunks in {args.docs} documents")
        med = {label: statistics.median(v) for label, v in timings.items()}
        for label, s in med.items():
            print(f"delete one document {label}: median {s:.3f} s of {args.rounds}")
        print(f"ratio with/without: {med['with purge'] / med['without purge']:.1f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
