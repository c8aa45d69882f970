"""Reading a campaign's number list: CSV (UTF-8, with or without BOM, or GBK as Chinese Excel saves it) or
an Excel workbook (.xlsx, first sheet). The first row names the columns; each further row comes back with its
line number, so every problem found later can name it. Which columns matter is the campaign's business
(``core.campaigns.build_list``); an unreadable file is an ``InputFileError`` naming the file."""

from __future__ import annotations

import csv
import io

from inputs.problems import InputFileError, Problem

Rows = list[tuple[int, dict[str, object]]]


def read_number_list(data: bytes, name: str) -> Rows:
    if name.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        return _excel(data, name)
    return _csv(data, name)


def _header(cells, name: str) -> list[str]:
    header = [str(c).strip().lower() if c is not None else "" for c in cells]
    if not any(header):
        raise InputFileError([Problem(name, 1, "", "the first row must name the columns (phone, name, ...)")])
    return header


def _csv(data: bytes, name: str) -> Rows:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputFileError([Problem(name, None, "", "neither UTF-8 nor GBK text, and not an Excel workbook")])
    reader = csv.reader(io.StringIO(text, newline=""))  # newline="": a lone CR ends a line, as csv expects
    rows: Rows = []
    try:
        header = _header(next(reader), name)
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            rows.append((reader.line_num, {column: value.strip() for column, value in zip(header, cells) if column}))
    except StopIteration:
        raise InputFileError([Problem(name, None, "", "the file is empty")]) from None
    except csv.Error as error:
        raise InputFileError([Problem(name, reader.line_num, "", f"not CSV: {error}")]) from None
    return rows


def _excel(data: bytes, name: str) -> Rows:
    import openpyxl  # only for workbooks

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise InputFileError([Problem(name, None, "", f"cannot read the workbook: {error}")]) from None
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    try:
        header = _header(next(lines), name)
    except StopIteration:
        raise InputFileError([Problem(name, None, "", "the first sheet is empty")]) from None
    rows: Rows = []
    for line, cells in enumerate(lines, start=2):
        if not any(c not in (None, "") for c in cells):
            continue
        rows.append((line, {column: _cell(value) for column, value in zip(header, cells) if column}))
    return rows


def _cell(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores a typed-in phone number as a number
    return "" if value is None else value
