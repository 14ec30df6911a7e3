"""Golden files of loader + chunker output for representative files (tests/golden/*.json): a
library upgrade that changes extraction shows up as a diff here.

Regenerate after a deliberate change with `UPDATE_GOLDEN=1 pytest tests/integration/test_golden.py`
and review the diff like code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ingest import loaders
from ingest.chunking import chunk_pages
from ingest.loaders.base import LoadOptions
from kb.core.testing import formatgen
from tests.conftest import SHARED_EVAL

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
FILES = SHARED_EVAL / "files"
SHARED_CASES = {
    "pdf_memo": "policy_like/unst__fake-memo.pdf",
    "pdf_two_columns": "layout/unst__multi-column-2p.pdf",
    "docx_tables": "table/unst__docx-tables.docx",
    "docx_header_footer": "layout/unst__docx-hdrftr.docx",
    "xlsx_segments": "table/unst__2023-half-year-analyses-by-segment.xlsx",
    "html_injection": "synthetic/travel_faq_injection.html",
    "md_utf8_bom": "synthetic/reimbursement_utf8_bom.md",
    "txt_gbk": "synthetic/labour_law_ch1_gbk.txt",
    "txt_big5": "synthetic/leave_policy_big5.txt",
    "doc_legacy": "legacy_format/unst__fake-doc-emphasized-text.doc",
}
PANDOC_CASES = {"rtf_handbook": ".rtf", "odt_handbook": ".odt", "epub_handbook": ".epub"}
HANDBOOK = """---
title: 员工手册 Handbook
---

# 年假 Annual leave

年假十五天，按自然年计算。Managers approve leave in the HR portal.

## 结转 Carry over

Up to five days carry over to the next year. 未休年假最多结转五天。

| Region | Budget |
|--------|--------|
| East   | 1200   |
"""


def _generated(name: str, tmp: Path) -> tuple[bytes, str]:
    if name in PANDOC_CASES:
        import subprocess

        from ingest.loaders.convert import pandoc_path

        src = tmp / "handbook.md"
        src.write_text(HANDBOOK, encoding="utf-8")
        out = tmp / f"handbook{PANDOC_CASES[name]}"
        subprocess.run([pandoc_path(), "-s", str(src), "-o", str(out)], check=True)
        return out.read_bytes(), out.name
    if name == "msg_leave":
        from kb.core.testing import msggen

        path = msggen.write_msg(tmp / "leave.msg", "年假申请 Leave request",
                                "请批准我的年假，共三天。\nI would like three days of leave.",
                                filetime=133_000_000_000_000_000,
                                attachments=[("form.txt", "请假单".encode("utf-8"))])
        return path.read_bytes(), path.name
    if name == "pptx_deck":
        path = formatgen.write_pptx(tmp / "deck.pptx", [
            ("Annual leave 年假", ["15 days per year", "年假十五天，按自然年计算。"], "Approve in the HR portal."),
            ("Travel", ["Economy class by default.", "Receipts within 30 days."], ""),
        ], title="HR deck")
    else:
        path = formatgen.write_eml(tmp / "offer.eml", "Offer 录用通知", "Offer attached.\n请查收附件。",
                                   [("terms.txt", b"Probation: three months.", "text/plain")])
    return path.read_bytes(), path.name


def _snapshot(data: bytes, name: str) -> dict:
    doc = loaders.load(data, name, LoadOptions(ocr=False))
    pieces = chunk_pages(doc.pages, 300, 50)
    return {
        "title": doc.title,
        "mime": doc.mime,
        "attachments": [a.name for a in doc.attachments],
        "pages": [{"number": p.number, "sections": [list(s) for s in p.sections], "text": p.text}
                  for p in doc.pages],
        "chunks": [{"page": c.page, "start": c.start, "end": c.end, "section": c.section,
                    "text": c.text} for c in pieces],
    }


def _check(case: str, snapshot: dict) -> None:
    path = GOLDEN / f"{case}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1" or not path.exists():
        path.write_text(json.dumps(snapshot, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        if os.environ.get("UPDATE_GOLDEN") != "1":
            pytest.fail(f"wrote the missing golden file {path.name}; review and commit it")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert snapshot == expected, f"extraction of {case} changed; see UPDATE_GOLDEN in this module"


@pytest.mark.skipif(not FILES.exists(), reason="the shared eval set is not next to the repo")
@pytest.mark.parametrize("case", sorted(SHARED_CASES))
def test_shared_file_matches_its_golden(case):
    rel = SHARED_CASES[case]
    _check(case, _snapshot((FILES / rel).read_bytes(), rel))


@pytest.mark.parametrize("case", ["pptx_deck", "eml_offer", "msg_leave", *PANDOC_CASES])
def test_generated_file_matches_its_golden(case, tmp_path):
    data, name = _generated(case, tmp_path)
    _check(case, _snapshot(data, name))


def test_spans_point_into_the_page_text():
    for path in GOLDEN.glob("*.json"):
        snap = json.loads(path.read_text(encoding="utf-8"))
        pages = {p["number"]: p["text"] for p in snap["pages"]}
        for c in snap["chunks"]:
            assert pages[c["page"]][c["start"]:c["end"]] == c["text"], path.name
