"""The broadcast schedule from a CSV file: one airing per row, for the per-airing ROI report.

Columns (header row; names are case-insensitive, order free):

* ``channel``, ``start``, ``length``, ``hotline`` -- required;
* ``id`` (default ``<channel>@<start>``), ``product`` (default ""), ``kind`` (live | spot | sale, default
  spot), ``cost`` (yuan, default 0).

``start`` is epoch seconds or an ISO date-time (``2026-11-23 20:00``; without an offset it is local time,
the site's zone, ``core.config.SITE_ZONE``, or ``UTC + utc_offset_h`` if given). ``length`` is seconds or a duration such as ``90s``,
``15m``, ``1h30m`` (as in scenario files). Every problem is collected and reported as ``file:line: column:
message`` (``inputs.problems.InputFileError``), so one run shows all of them.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime, tzinfo
from pathlib import Path

from core.config import Airing
from inputs.durations import parse_duration
from inputs.problems import InputFileError, Problem
from reports.periods import local_zone

REQUIRED = ("channel", "start", "length", "hotline")
OPTIONAL = ("id", "product", "kind", "cost")
KINDS = ("live", "spot", "sale")


def read_airings_csv(path: str | Path, *, utc_offset_h: float | None = None) -> list[Airing]:
    """The airings of a CSV file; ``InputFileError`` naming line and column for every problem."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError([Problem(str(path), None, "", "no such file")]) from None
    except IsADirectoryError:
        raise InputFileError([Problem(str(path), None, "", "is a directory, not a CSV file")]) from None
    return parse_airings_csv(data, str(path), utc_offset_h=utc_offset_h)


def parse_airings_csv(text: str | bytes, name: str = "<airings>", *, utc_offset_h: float | None = None) -> list[Airing]:
    """The airings of CSV text (bytes: UTF-8, with or without a byte-order mark); ``InputFileError`` naming
    line and column for every problem, and then no airing at all."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise InputFileError(
                [
                    Problem(
                        name, None, "", f"not UTF-8 text ({error.reason} at byte {error.start}); save the CSV as UTF-8"
                    )
                ]
            ) from None
    zone = local_zone(utc_offset_h)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        raise InputFileError(
            [Problem(name, 1, "", f"empty file; the header names the columns {', '.join(REQUIRED + OPTIONAL)}")]
        )
    columns = [cell.strip().lower() for cell in header]
    problems: list[Problem] = []
    known = set(REQUIRED + OPTIONAL)
    for column in columns:
        if column not in known:
            problems.append(Problem(name, 1, column, f"unknown column (known: {', '.join(REQUIRED + OPTIONAL)})"))
    for column in REQUIRED:
        if column not in columns:
            problems.append(Problem(name, 1, column, "required column is missing"))
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    problems.extend(Problem(name, 1, c, "column appears more than once") for c in repeated)
    if problems:
        raise InputFileError(problems)

    airings: list[Airing] = []
    first_line: dict[str, int] = {}
    line = reader.line_num
    for row in reader:
        line_start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            problems.append(Problem(name, line_start, "", f"{len(row)} fields, the header has {len(columns)}"))
            continue
        cells = {column: cell.strip() for column, cell in zip(columns, row)}
        before = len(problems)

        def bad(column: str, message: str) -> None:
            problems.append(Problem(name, line_start, column, message))

        for column in REQUIRED:
            if not cells[column]:
                bad(column, "is empty")
        start = _start(cells["start"], zone, bad) if cells["start"] else None
        length = _length(cells["length"], bad) if cells["length"] else None
        kind = cells.get("kind") or "spot"
        if kind not in KINDS:
            bad("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
        cost = _cost(cells.get("cost") or "0", bad)
        if len(problems) > before:
            continue
        airing_id = cells.get("id") or f"{cells['channel']}@{cells['start']}"
        if airing_id in first_line:
            bad("id", f"{airing_id!r} repeats the airing on line {first_line[airing_id]}")
            continue
        first_line[airing_id] = line_start
        airings.append(
            Airing(airing_id, cells["channel"], start, length, cells["hotline"], cells.get("product", ""), kind, cost)
        )
    if problems:
        raise InputFileError(problems)
    return airings


# an airing is broadcast between these (epoch seconds: 2000-01-01 and 2100-01-01) and lasts at most a day
EARLIEST_START, LATEST_START = 946684800.0, 4102444800.0
LONGEST_AIRING_S = 86400.0


def _start(text: str, zone: tzinfo, bad) -> float | None:
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        if not (math.isfinite(value) and EARLIEST_START <= value < LATEST_START):
            bad("start", f"{text!r} is not a time between 2000 and 2100 (epoch seconds)")
            return None
        return value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        bad("start", f"{text!r} is neither epoch seconds nor a date-time such as 2026-11-23 20:00")
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if not EARLIEST_START <= moment.timestamp() < LATEST_START:
        bad("start", f"{text!r} is not a time between 2000 and 2100")
        return None
    return moment.timestamp()


def _length(text: str, bad) -> float | None:
    try:
        value = float(parse_duration(text))
    except ValueError as error:
        bad("length", str(error))
        return None
    if not math.isfinite(value) or value <= 0 or value > LONGEST_AIRING_S:
        bad("length", f"{text!r} must be a positive duration of at most a day")
        return None
    return value


def _cost(text: str, bad) -> float:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        bad("cost", f"{text!r} is not a number")
        return 0.0
    if not math.isfinite(value) or value < 0:
        bad("cost", f"{text!r} must be zero or more")
    return value
