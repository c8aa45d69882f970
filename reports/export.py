"""Reports to files: one CSV per table, or one Excel workbook with one sheet per table (openpyxl). Every cell
goes through ``safe_table`` (``inputs.text.export_cell``): no live formula, no control character."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping

import pandas as pd

from inputs.text import export_cell

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str) -> str:
    """A valid Excel sheet name: no []:*?/\\, at most 31 characters."""
    return _SHEET_FORBIDDEN.sub("_", name)[:31] or "sheet"


def safe_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table with text cells made safe for a spreadsheet (formulas escaped, control characters dropped),
    column names too."""
    safe = table.map(export_cell) if len(table) else table.copy()
    safe.columns = [export_cell(column) for column in table.columns]
    return safe


def write_csv(tables: Mapping[str, pd.DataFrame], folder: str | Path) -> list[Path]:
    """``folder/<name>.csv`` for every table (UTF-8 with a byte-order mark, so Excel shows Chinese text)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        path = folder / f"{name}.csv"
        safe_table(table).to_csv(path, index=False, encoding="utf-8-sig")
        written.append(path)
    return written


def write_xlsx(tables: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """One workbook, one sheet per table (in the mapping's order), header row frozen and columns sized."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [sheet_name(name) for name in tables]
    if len(set(names)) != len(names):
        raise ValueError(f"two reports map to the same sheet name: {names}")
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, table in zip(names, tables.values()):
            table = safe_table(table)
            table.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            sheet.freeze_panes = "A2"
            for i, column in enumerate(table.columns):
                width = max([len(str(column))] + [len(str(v)) for v in table[column].head(200)])
                sheet.column_dimensions[sheet.cell(row=1, column=i + 1).column_letter].width = min(width + 2, 40)
    return path
