"""The broadcast schedule as a CSV upload -> ``core.config.Airing`` rows, every problem named by line and
column (``AiringCsvError``: line 1 is the header).

Columns: ``id, channel, start, length, hotline`` required; ``product, kind, cost`` optional. ``start`` is
epoch seconds or an ISO 8601 time (``2026-11-23T20:00:00+08:00``; without an offset it is China Standard
Time, UTC+8, as TV schedules are written); ``length`` seconds (> 0); ``kind`` live | spot | sale (default
spot); ``cost`` yuan (>= 0).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math

from core.config import Airing

REQUIRED = ("id", "channel", "start", "length", "hotline")
OPTIONAL = ("product", "kind", "cost")
KINDS = ("live", "spot", "sale")
CHINA = dt.timezone(dt.timedelta(hours=8))


class AiringCsvError(ValueError):
    """One bad cell (or header, or file): ``line`` (1 = header) and ``column`` say where."""

    def __init__(self, line: int, column: str, message: str) -> None:
        where = f"line {line}" + (f", column {column}" if column else "")
        super().__init__(f"{where}: {message}")
        self.line, self.column, self.message = line, column, message
        self.fields = {"line": line, "column": column}


def _number(text: str, line: int, column: str, *, positive: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        raise AiringCsvError(line, column, f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise AiringCsvError(line, column, f"{text!r} must be {'greater than' if positive else 'at least'} 0")
    return value


def _time(text: str, line: int) -> float:
    try:
        return float(text) if text.replace(".", "", 1).isdigit() else _iso(text)
    except (ValueError, OverflowError, OSError):
        raise AiringCsvError(line, "start", f"{text!r} is neither epoch seconds nor an ISO 8601 time") from None


def _iso(text: str) -> float:
    when = dt.datetime.fromisoformat(text)
    return (when if when.tzinfo else when.replace(tzinfo=CHINA)).timestamp()


def parse_airings(data: bytes | str) -> list[Airing]:
    """Every row of the file, or ``AiringCsvError`` for the first problem (nothing is half-read)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise AiringCsvError(1, "", f"the file is not UTF-8 text ({error.reason})") from None
    reader = csv.DictReader(io.StringIO(data, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise AiringCsvError(1, missing[0], f"the header lacks column(s) {', '.join(missing)} "
                                            f"(expected {', '.join(REQUIRED + OPTIONAL)})")
    reader.fieldnames = header
    airings: list[Airing] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            raise AiringCsvError(line, "", f"more cells than the header has columns ({len(header)})")
        cells = {name: (value or "").strip() for name, value in row.items()}
        for name in REQUIRED:
            if not cells.get(name):
                raise AiringCsvError(line, name, "is empty")
        airing_id = cells["id"]
        if airing_id in seen:
            raise AiringCsvError(line, "id", f"{airing_id!r} is already on line {seen[airing_id]}")
        seen[airing_id] = line
        kind = cells.get("kind") or "spot"
        if kind not in KINDS:
            raise AiringCsvError(line, "kind", f"{kind!r} is not one of {', '.join(KINDS)}")
        airings.append(Airing(
            airing_id=airing_id, channel=cells["channel"], start=_time(cells["start"], line),
            length=_number(cells["length"], line, "length", positive=True), hotline=cells["hotline"],
            product=cells.get("product", ""), kind=kind,
            cost=_number(cells["cost"], line, "cost") if cells.get("cost") else 0.0))
    if not airings:
        raise AiringCsvError(2, "", "the file has a header but no airings")
    return airings
