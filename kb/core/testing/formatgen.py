"""Writers of real test files in the formats of issue #3: PPTX, XLSX, XLS, CSV, EML with
attachments, encrypted DOCX, and scanned pages (text rendered into an image with a real font)."""

from __future__ import annotations

import io
from email.message import EmailMessage
from pathlib import Path

CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian fonts-wqy-microhei
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian fonts-noto-cjk
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


# Lines of a scanned page (OCR tests and bench/formats.py): zh and en policy sentences.
ZH_LINES = [
    "第一条 为规范公司差旅费用报销管理，制定本制度。",
    "第二条 员工出差结束后三十日内提交报销申请，逾期不予受理。",
    "第三条 住宿标准：一线城市每晚不超过六百元，其他城市四百元。",
    "第四条 报销须附发票原件及行程单，金额以发票为准。",
    "第五条 因公加班至晚上九点以后，可报销市内交通费用。",
    "第六条 本制度由财务部负责解释，自二零二五年一月一日起施行。",
]
EN_LINES = [
    "Section 1. Employees accrue fifteen days of annual leave per year.",
    "Section 2. Travel claims must be submitted within thirty days.",
    "Section 3. Hotel costs are capped at 180 dollars per night.",
    "Section 4. Receipts are required for every expense over 25 dollars.",
    "Section 5. Managers approve requests in the HR portal within a week.",
    "Section 6. This policy takes effect on 1 January 2025.",
]



def cjk_font() -> str | None:
    return next((f for f in CJK_FONTS if Path(f).exists()), None)


def write_pptx(path: Path, slides: list[tuple[str, list[str], str]], title: str = "") -> Path:
    """slides: (title, bullet lines, speaker notes)."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    if title:
        deck.core_properties.title = title
    for heading, lines, notes in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = heading
        body = slide.placeholders[1].text_frame
        body.text = lines[0] if lines else ""
        for line in lines[1:]:
            body.add_paragraph().text = line
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only + a table
    slide.shapes.title.text = "Table slide"
    table = slide.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(6), Inches(1)).table
    for r, row in enumerate([("Region", "Budget"), ("East", "1200")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    deck.save(str(path))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(str(path))
    return path


def write_xls(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        ws = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                ws.write(r, c, value)
    book.save(str(path))
    return path


def encrypt_office(plain: Path, out: Path, password: str) -> Path:
    """An OOXML file wrapped in an encrypted OLE container, as Office writes it."""
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(plain, "rb") as src, open(out, "wb") as dst:
        OOXMLFile(src).encrypt(password, dst)
    return out


def write_eml(path: Path, subject: str, body: str, attachments: list[tuple[str, bytes, str]],
              html: str | None = None) -> Path:
    """attachments: (file name, bytes, mime type); a bytes value that is an EmailMessage's
    bytes with type message/rfc822 becomes an attached mail."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = "张伟 <zhang.wei@example.com>"
    msg["To"] = "hr@example.com"
    msg["Date"] = "Mon, 03 Nov 2025 09:30:00 +0800"
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    for name, data, mime in attachments:
        if mime == "message/rfc822":
            from email import message_from_bytes, policy

            msg.add_attachment(message_from_bytes(data, policy=policy.default), filename=name)
        else:
            main, sub = mime.split("/")
            msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    path.write_bytes(bytes(msg))
    return path


def render_page(lines: list[str], font_path: str | None, size: int = 34, width: int = 1654,
                height: int = 2339):
    """A white A4 page at 200 dpi with black text lines: what a scanner hands over."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(font_path, size) if font_path else ImageFont.load_default(size)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    y = 150
    for line in lines:
        draw.text((120, y), line, fill=0, font=font)
        y += int(size * 1.8)
    return image


def scanned_pdf(path: Path, pages: list[list[str]], font_path: str | None) -> Path:
    """A PDF whose pages are only images (no text layer), like a scanner's output."""
    images = [render_page(lines, font_path).convert("RGB") for lines in pages]
    images[0].save(str(path), "PDF", resolution=200.0, save_all=True, append_images=images[1:])
    return path


def png_bytes(lines: list[str], font_path: str | None) -> bytes:
    out = io.BytesIO()
    render_page(lines, font_path, width=1400, height=400).save(out, "PNG")
    return out.getvalue()
