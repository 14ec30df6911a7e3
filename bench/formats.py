"""Per-format extraction throughput and peak memory, printed as a Markdown table.

    python bench/formats.py [--quick]

Loader time only (parse + OCR, in this process, engine already warm), best of `--repeat` runs;
then the whole pipeline in a fresh process on the 619-page PDF and on the 20 MB text file for peak
resident memory (bench/ingest_probe.py). Needs ../shared/eval (the ingestion fixtures).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared" / "eval"
FILES = SHARED / "files"


def _cases(tmp: Path) -> list[tuple[str, str, bytes]]:
    from kb.core.testing import formatgen
    from kb.core.testing.formatgen import EN_LINES, ZH_LINES

    font = formatgen.cjk_font()
    deck = formatgen.write_pptx(tmp / "deck.pptx", [
        (f"Slide {i}", [f"Point {i}.{j}: annual leave rules 年假规则" for j in range(6)], f"Notes {i}")
        for i in range(50)])
    book = formatgen.write_xlsx(tmp / "book.xlsx", {
        f"Sheet{s}": [["Employee", "Dept", "Days"]] + [[f"P{i}", "Finance", i] for i in range(2000)]
        for s in range(3)})
    mail = formatgen.write_eml(tmp / "m.eml", "Offer", "Body text. " * 2000, [])
    scan = formatgen.scanned_pdf(tmp / "scan.pdf", [ZH_LINES, EN_LINES], font)
    big = tmp / "files" / "synthetic" / "large_20MB.txt"
    if not big.exists():
        subprocess.run([sys.executable, str(SHARED / "gen_fixtures.py"), "--large", "--out",
                        str(tmp)], check=True, capture_output=True)
    shared = [
        ("PDF, text layer (619 pages)", "huge/unst__DA-619p.pdf"),
        ("PDF, text layer (76 pages, repaired)", "malformed/unst__failure-after-repair.pdf"),
        ("PDF, scanned (OCR, 1 dense page)", "scanned/unst__loremipsum-flat.pdf"),
        ("DOCX (872-page handbook)", "huge/unst__handbook-872p.docx"),
        ("XLSX (financial workbook)", "table/unst__2023-half-year-analyses-by-segment.xlsx"),
        ("HTML (SEC 10-K, 2.5 MB)", "financial/unst__example-10k.html"),
        ("TXT, GBK", "synthetic/labour_law_ch1_gbk.txt"),
    ]
    out = [(label, rel, (FILES / rel).read_bytes()) for label, rel in shared]
    out += [
        ("PDF, scanned (OCR, our zh + en pages)", "scan.pdf", scan.read_bytes()),
        ("PPTX (50 slides, generated)", "deck.pptx", deck.read_bytes()),
        ("XLSX (3 x 2000 rows, generated)", "book.xlsx", book.read_bytes()),
        ("EML (generated)", "m.eml", mail.read_bytes()),
        ("TXT, UTF-8 (20 MB)", "large_20MB.txt", big.read_bytes()),
    ]
    return out


def _probe(path: Path, needle: str = "") -> dict:
    cmd = [sys.executable, str(REPO / "bench" / "ingest_probe.py"), str(path), "--chunk-size", "1000"]
    if needle:
        cmd += ["--needle", needle]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="skip the pipeline memory runs")
    args = ap.parse_args()

    from ingest import loaders
    from ingest.ocr import engine

    engine()  # OCR model load is a one-off per worker process; not part of per-page numbers
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores\n")
    print("| format | file | MB | pages | best s | pages/s | s/page | MB/s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        for label, name, data in _cases(tmp_path):
            best = float("inf")
            for _ in range(args.repeat):
                started = time.perf_counter()
                doc = loaders.load(data, name)
                best = min(best, time.perf_counter() - started)
            pages = len(doc.pages) if doc.pages[0].number is not None else None
            mb = len(data) / 1e6
            pps = f"{pages / best:.2f}" if pages else "—"
            spp = f"{best / pages:.3f}" if pages else "—"
            print(f"| {label} | `{name.rsplit('/', 1)[-1]}` | {mb:.2f} | {pages or '—'} | "
                  f"{best:.2f} | {pps} | {spp} | {mb / best:.2f} |", flush=True)
        if args.quick:
            return
        print("\n| pipeline run (fresh process, fake embedder) | seconds | chunks | peak RSS "
              "pipeline MB | peak RSS parser MB |")
        print("|---|---:|---:|---:|---:|")
        runs = [("unst__DA-619p.pdf (619 pages)", FILES / "huge" / "unst__DA-619p.pdf", ""),
                ("large_20MB.txt (20 MB)", tmp_path / "files" / "synthetic", "amber-falcon-42")]
        for label, path, needle in runs:
            r = _probe(path, needle)
            assert not r["report"]["failed"], r
            print(f"| {label} | {r['seconds']:.1f} | {r['chunks']} | {r['peak_rss_mb']:.0f} | "
                  f"{r['peak_rss_parser_mb']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
