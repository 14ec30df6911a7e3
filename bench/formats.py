"""Per-format extraction throughput and peak memory, printed as a Markdown table.

    python bench/formats.py [--quick] [--pdf-only]

First the 619-page PDF: the loader (pypdfium2 text, pypdf for misread pages) against pypdf page by
page (the loader's text layer until #16), same file, same run: pages/s of each, the ratio, page
and character counts. Then loader time only (parse + OCR, in this process, engine already warm),
best of `--repeat` runs, per format; then the whole pipeline in a fresh process on the 619-page
PDF and on the 20 MB text file for peak resident memory (bench/ingest_probe.py). Needs
../shared/eval (the ingestion fixtures).
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
    from ingest.loaders.convert import pandoc_path
    from kb.core.testing import msggen

    outlook = msggen.write_msg(tmp / "m.msg", "Offer 录用通知", "Body text. 正文。" * 2000,
                               attachments=[("terms.txt", b"Probation: three months." * 100)])
    source = tmp / "book.md"
    source.write_text("\n\n".join(f"# Chapter {i}\n\n" + "年假十五天，按自然年计算。 Annual leave "
                                  "is fifteen days. " * 40 for i in range(100)), encoding="utf-8")
    converted = {}
    for ext in (".rtf", ".odt", ".epub"):
        converted[ext] = tmp / f"book{ext}"
        subprocess.run([pandoc_path(), "-s", str(source), "-o", str(converted[ext])], check=True)
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
        ("DOC (Word 97-2003, antiword + pandoc)", "legacy_format/unst__fake-doc-emphasized-text.doc"),
        ("TXT, GBK", "synthetic/labour_law_ch1_gbk.txt"),
    ]
    out = [(label, rel, (FILES / rel).read_bytes()) for label, rel in shared]
    out += [
        ("PDF, scanned (OCR, our zh + en pages)", "scan.pdf", scan.read_bytes()),
        ("PPTX (50 slides, generated)", "deck.pptx", deck.read_bytes()),
        ("XLSX (3 x 2000 rows, generated)", "book.xlsx", book.read_bytes()),
        ("EML (generated)", "m.eml", mail.read_bytes()),
        ("MSG (generated, olefile)", "m.msg", outlook.read_bytes()),
        *[(f"{ext[1:].upper()} (100 chapters, pandoc)", f"book{ext}", path.read_bytes())
          for ext, path in converted.items()],
        ("TXT, UTF-8 (20 MB)", "large_20MB.txt", big.read_bytes()),
    ]
    return out


def _probe(path: Path, needle: str = "") -> dict:
    cmd = [sys.executable, str(REPO / "bench" / "ingest_probe.py"), str(path), "--chunk-size", "1000"]
    if needle:
        cmd += ["--needle", needle]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def pdf_against_pypdf(repeat: int) -> None:
    """The PDF loader against pypdf page by page on the 619-page fixture, in this run."""
    from ingest.loaders.base import LoadOptions
    from ingest.loaders.pdf import _pypdf_texts, load_pdf

    rel = "huge/unst__DA-619p.pdf"
    data = (FILES / rel).read_bytes()
    options = LoadOptions(ocr=False)
    best = {"loader": float("inf"), "pypdf": float("inf")}
    for _ in range(repeat):
        started = time.perf_counter()
        doc = load_pdf(data, rel, options)
        best["loader"] = min(best["loader"], time.perf_counter() - started)
        started = time.perf_counter()
        texts, _, _ = _pypdf_texts(data, options)
        best["pypdf"] = min(best["pypdf"], time.perf_counter() - started)
    pages = len(doc.pages)
    print(f"| 619-page PDF | pages | chars | best s | pages/s |\n|---|---:|---:|---:|---:|\n"
          f"| loader (pypdfium2, pypdf for misread pages) | {pages} | {doc.chars} | "
          f"{best['loader']:.2f} | {pages / best['loader']:.1f} |\n"
          f"| pypdf page by page (before #16) | {len(texts)} | "
          f"{sum(len(t or '') for t in texts)} | {best['pypdf']:.2f} | "
          f"{len(texts) / best['pypdf']:.1f} |\n")
    print(f"pages/s ratio loader / pypdf: {best['pypdf'] / best['loader']:.1f}x "
          f"(same page count: {pages == len(texts)})\n", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="skip the pipeline memory runs")
    ap.add_argument("--pdf-only", action="store_true", help="only the PDF loader against pypdf")
    args = ap.parse_args()

    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores\n")
    pdf_against_pypdf(args.repeat)
    if args.pdf_only:
        return

    from ingest import loaders
    from ingest.ocr import engine

    engine()  # OCR model load is a one-off per worker process; not part of per-page numbers
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
