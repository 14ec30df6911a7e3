"""Spreadsheets (XLSX, XLS, CSV/TSV): one section per sheet, one line per row.

When a sheet starts with a header row, every later row is written as `Header: value | ...`, so a
row keeps its header wherever the chunker cuts (rows are lines, and lines are never split unless
a single row is longer than a chunk).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator
from itertools import zip_longest

from kb.core.errors import IngestError
from ingest.loaders.base import LoadedDoc, LoadOptions, Page, clean_text, stem_of
from ingest.loaders.office import decrypt_ole, encrypted_error, open_package

HEADER_SEARCH_ROWS = 10


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.10g}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return " ".join(clean_text(str(value)).split())


def _is_number(s: str) -> bool:
    try:
        float(s.replace(",", ""))
        return True
    except ValueError:
        return False


def _looks_like_header(cells: list[str]) -> bool:
    filled = [c for c in cells if c]
    return len(filled) >= 2 and not any(_is_number(c) for c in filled)


def render_rows(rows: Iterable[Iterable[object]]) -> str:
    lines: list[str] = []
    header: list[str] | None = None
    seen = 0
    for raw in rows:
        cells = [cell_text(v) for v in raw]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        seen += 1
        if header is None and seen <= HEADER_SEARCH_ROWS and _looks_like_header(cells):
            header = cells
            lines.append(" | ".join(c for c in cells if c))
            continue
        if header is not None:
            parts = [f"{h}: {v}" if h else v for h, v in zip_longest(header, cells, fillvalue="") if v]
        else:
            parts = [v for v in cells if v]
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def _document(sheets: Iterator[tuple[str, str]], name: str, mime: str) -> LoadedDoc:
    text = ""
    sections: list[tuple[int, str]] = []
    names: list[str] = []
    for sheet, body in sheets:
        names.append(sheet)
        if not body.strip():
            continue
        if text:
            text += "\n\n"
        sections.append((len(text), sheet))
        text += body
    return LoadedDoc(pages=(Page(None, text, tuple(sections)),), title=stem_of(name), mime=mime,
                     metadata={"sheets": names})


def load_xlsx(data: bytes, name: str, options: LoadOptions = LoadOptions()) -> LoadedDoc:
    from openpyxl import load_workbook

    data = open_package(data, "XLSX", options)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken packages
        raise IngestError("corrupt", f"could not open the XLSX: {exc}") from exc

    def sheets() -> Iterator[tuple[str, str]]:
        for ws in book.worksheets:
            if hasattr(ws, "iter_rows"):  # chart sheets have no cells
                yield ws.title, render_rows(ws.iter_rows(values_only=True))

    try:
        return _document(sheets(), name,
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    finally:
        book.close()


def load_xls(data: bytes, name: str, options: LoadOptions = LoadOptions()) -> LoadedDoc:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypted" not in str(exc).lower():
            raise IngestError("corrupt", f"could not open the XLS: {exc}") from exc
        if not options.passwords:
            raise encrypted_error("XLS", 0) from exc
        book = xlrd.open_workbook(file_contents=decrypt_ole(data, "XLS", options), on_demand=True)
    except Exception as exc:
        raise IngestError("corrupt", f"could not open the XLS: {exc}") from exc

    def value(cell) -> object:
        if cell.ctype == xlrd.XL_CELL_DATE:
            try:
                return xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
            except Exception:
                return cell.value
        if cell.ctype == xlrd.XL_CELL_BOOLEAN:
            return bool(cell.value)
        if cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            return None
        return cell.value

    def sheets() -> Iterator[tuple[str, str]]:
        for i in range(book.nsheets):
            sh = book.sheet_by_index(i)
            yield sh.name, render_rows([value(c) for c in sh.row(r)] for r in range(sh.nrows))
            book.unload_sheet(i)

    try:
        return _document(sheets(), name, "application/vnd.ms-excel")
    finally:
        book.release_resources()


def load_csv(data: bytes, name: str, options: LoadOptions = LoadOptions()) -> LoadedDoc:
    import csv

    from ingest.loaders.text import decode_bytes

    text, encoding = decode_bytes(data)
    if name.lower().endswith((".tsv", ".tab")):
        dialect: type[csv.Dialect] | csv.Dialect = csv.excel_tab
    else:
        try:
            dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
    try:
        body = render_rows(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        raise IngestError("corrupt", f"could not parse the CSV: {exc}") from exc
    doc = _document(iter([("", body)]), name, "text/csv")
    return LoadedDoc(pages=doc.pages, title=doc.title, mime=doc.mime,
                     metadata={"encoding": encoding})
