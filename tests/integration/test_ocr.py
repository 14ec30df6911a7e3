"""OCR of scanned pages we make ourselves (text rendered with a CJK font, wrapped as an image-only
PDF): >= 95% character accuracy in Chinese and in English, fully offline."""

from __future__ import annotations

import difflib
import time

import pytest

from ingest import loaders
from ingest.loaders.base import LoadOptions
from kb.core.testing import formatgen
from kb.core.testing.formatgen import EN_LINES, ZH_LINES

pytestmark = pytest.mark.slow


def accuracy(expected: str, got: str) -> float:
    """Character accuracy: 1 - (edits / expected length), whitespace ignored."""
    a = "".join(expected.split())
    b = "".join(got.split())
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    edits = sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal")
    return max(0.0, 1 - edits / len(a))


@pytest.fixture(scope="module")
def font():
    path = formatgen.cjk_font()
    if path is None:
        pytest.skip("no CJK font: apt-get install fonts-wqy-microhei (.ci/apt-packages-issue3.txt)")
    return path


def test_scanned_chinese_and_english_pages(tmp_path, font, capsys):
    pdf = formatgen.scanned_pdf(tmp_path / "scan.pdf", [ZH_LINES, EN_LINES], font)
    data = pdf.read_bytes()
    started = time.perf_counter()
    doc = loaders.load(data, "scan.pdf", LoadOptions())
    per_page = (time.perf_counter() - started) / 2
    assert doc.metadata["ocr_pages"] == [1, 2]
    zh, en = (p.text for p in doc.pages)
    zh_acc, en_acc = accuracy("".join(ZH_LINES), zh), accuracy(" ".join(EN_LINES), en)
    with capsys.disabled():
        print(f"\nOCR: zh accuracy {zh_acc:.3f}, en accuracy {en_acc:.3f}, "
              f"{per_page:.1f} s per page (engine load included)")
    assert zh_acc >= 0.95, zh
    assert en_acc >= 0.95, en
    assert "三十日内提交报销申请" in zh  # Chinese words are not split by spaces
    assert "\n" in zh  # one line of text per line on the page


def test_ocr_is_skipped_when_turned_off(tmp_path, font):
    from kb.core.errors import IngestError

    pdf = formatgen.scanned_pdf(tmp_path / "scan.pdf", [EN_LINES[:2]], font)
    with pytest.raises(IngestError) as info:
        loaders.load(pdf.read_bytes(), "scan.pdf", LoadOptions(ocr=False))
    assert info.value.code == "empty" and "KB_OCR" in info.value.message


def test_png_and_multi_page_tiff(tmp_path, font):
    from PIL import Image

    png = formatgen.png_bytes(["报销须在三十日内提交", "Receipts within 30 days"], font)
    doc = loaders.load(png, "receipt.png")
    assert accuracy("报销须在三十日内提交Receiptswithin30days", doc.pages[0].text) >= 0.95

    frames = [formatgen.render_page([line], font, width=1200, height=200) for line in
              ("First page of the fax", "第二页传真内容")]
    path = tmp_path / "fax.tiff"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    doc = loaders.load(path.read_bytes(), "fax.tiff")
    assert [p.number for p in doc.pages] == [1, 2]
    assert "fax" in doc.pages[0].text and "传真" in doc.pages[1].text
    assert Image.open(path).n_frames == 2


def test_ocr_runs_offline_from_the_wheel():
    """The models come inside the rapidocr-onnxruntime wheel; nothing is fetched at run time."""
    from pathlib import Path

    import rapidocr_onnxruntime

    models = Path(rapidocr_onnxruntime.__file__).parent / "models"
    names = {p.name for p in models.glob("*.onnx")}
    assert any("det" in n for n in names) and any("rec" in n for n in names)
