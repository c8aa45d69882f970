"""A forecast from elsewhere as the scenario's arrivals: calls per interval (or per minute) from a CSV file.

A scenario names the file (``forecast: {file: calls.csv, per: interval}``, the path relative to the scenario
file); its calls come on top of the baseline and of the airings' responses. The CSV has a header row:

* ``start`` -- the local clock time ``HH:MM`` each row's interval (or minute) starts at, in the scenario's
  zone; the rows run without a gap from the scenario's start to the end of its horizon;
* one column per hotline number of the scenario holding its calls in that interval, or ``calls`` when the
  scenario has one hotline. Calls are numbers >= 0 (fractions are expected rates).

Every problem is reported with its line and column (``file:line: column N (name): message``), all of them at
once; a bad file is refused whole.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from inputs.problems import InputFileError, Problem

MINUTE = 60.0
CALLS = "calls"


def step_seconds(per: str, interval: float) -> float:
    return MINUTE if per == "minute" else interval


def _column(index: int, name: str) -> str:
    return f"column {index + 1} ({name})" if name else f"column {index + 1}"


def parse_forecast(
    text: str, name: str, *, start: datetime, horizon: float, step: float, hotlines: list[str]
) -> dict[str, np.ndarray]:
    """Calls per step for each hotline (an array of ``ceil(horizon / step)`` numbers); ``InputFileError``
    naming line and column of every problem."""
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [cell.strip() for cell in next(reader, [])]
    expected_header = f"start,{','.join(hotlines)}" + (f" (or start,{CALLS})" if len(hotlines) == 1 else "")
    if not any(header):
        raise InputFileError([Problem(name, 1, "", f"empty file; the header is {expected_header}")])
    if header[0].lower() != "start":
        problems.append(
            Problem(name, 1, _column(0, header[0]), f"the first column must be 'start' ({expected_header})")
        )
    columns: dict[int, str] = {}
    for index, cell in enumerate(header[1:], start=1):
        number = hotlines[0] if cell.lower() == CALLS and len(hotlines) == 1 else cell
        if number not in hotlines:
            problems.append(
                Problem(
                    name,
                    1,
                    _column(index, cell),
                    f"not a hotline of the scenario ({', '.join(hotlines)})"
                    + (f" nor '{CALLS}'" if len(hotlines) == 1 else ""),
                )
            )
        elif number in columns.values():
            problems.append(Problem(name, 1, _column(index, cell), "a second column for the same hotline"))
        else:
            columns[index] = number
    if len(header) < 2:
        problems.append(Problem(name, 1, "", f"no column of calls ({expected_header})"))
    if problems:
        raise InputFileError(problems)
    n_steps = int(math.ceil(horizon / step - 1e-9))
    calls = {number: np.zeros(n_steps) for number in hotlines}
    row = 0
    last_line = 1
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        last_line = line
        expected = start + timedelta(seconds=row * step)
        if row >= n_steps:
            problems.append(
                Problem(
                    name,
                    line,
                    _column(0, "start"),
                    f"{cells[0].strip()!r} is past the horizon (the last row starts at "
                    f"{(start + timedelta(seconds=(n_steps - 1) * step)):%H:%M})",
                )
            )
            break
        if len(cells) != len(header):
            problems.append(Problem(name, line, "", f"{len(cells)} fields, the header has {len(header)}"))
            row += 1
            continue
        given = cells[0].strip()
        if given != f"{expected:%H:%M}" and given != f"{expected:%H:%M:%S}":
            at = _step_of(given, start, step)
            if at is not None and row < at < n_steps:
                gap = f"{expected:%H:%M}" + (
                    f" to {(start + timedelta(seconds=(at - 1) * step)):%H:%M}" if at - row > 1 else ""
                )
                problems.append(
                    Problem(
                        name,
                        line,
                        _column(0, "start"),
                        f"expected {expected:%H:%M}, got {given!r}: the row(s) for {gap} "
                        f"are missing (the rows run without a gap)",
                    )
                )
                row = at
            else:
                problems.append(
                    Problem(
                        name,
                        line,
                        _column(0, "start"),
                        f"expected {expected:%H:%M}, got {given!r} (the rows run without a gap, "
                        f"one per {step / MINUTE:g} min, as clock times HH:MM)",
                    )
                )
        for index, number in columns.items():
            text_value = cells[index].strip()
            try:
                value = float(text_value)
            except ValueError:
                problems.append(Problem(name, line, _column(index, header[index]), f"{text_value!r} is not a number"))
                continue
            if not math.isfinite(value) or value < 0:
                problems.append(
                    Problem(
                        name,
                        line,
                        _column(index, header[index]),
                        f"{text_value} is not a rate: calls must be a number >= 0",
                    )
                )
                continue
            calls[number][row] = value
        row += 1
    if row < n_steps and not problems:
        missing = start + timedelta(seconds=row * step)
        problems.append(
            Problem(
                name,
                last_line + 1,
                _column(0, "start"),
                f"the forecast stops before {missing:%H:%M}; the horizon needs "
                f"{n_steps - row} more row(s), up to {(start + timedelta(seconds=(n_steps - 1) * step)):%H:%M}",
            )
        )
    if problems:
        raise InputFileError(problems)
    return calls


def _step_of(text: str, start: datetime, step: float) -> int | None:
    """Which row a clock time ``HH:MM`` (or ``HH:MM:SS``) names, counted from ``start`` (None if none)."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        return None
    seconds = sum(int(p) * f for p, f in zip(parts, (3600, 60, 1)))
    since = (seconds - (start.hour * 3600 + start.minute * 60 + start.second)) % 86400
    return int(since // step) if since % step == 0 else None


def read_forecast(path: str | Path, **kwargs) -> dict[str, np.ndarray]:
    """``parse_forecast`` of a file; an unreadable file is one problem naming it."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise InputFileError(
            [Problem(str(path), None, "", f"cannot read the forecast: {error.strerror or error}")]
        ) from None
    except UnicodeDecodeError as error:
        raise InputFileError([Problem(str(path), None, "", f"not UTF-8 text: {error.reason}")]) from None
    return parse_forecast(text, str(path), **kwargs)


def forecast_of(scenario) -> dict[str, np.ndarray]:
    """The calls per step of a scenario's forecast file (a ``twin.scenario.Scenario`` with ``forecast``)."""
    spec = scenario.forecast
    return read_forecast(
        spec.file,
        start=scenario.start,
        horizon=scenario.horizon,
        step=step_seconds(spec.per, scenario.interval),
        hotlines=[h.number for h in scenario.hotlines],
    )


def rates_per_bin(calls: np.ndarray, step: float, bin_s: float, n_bins: int) -> np.ndarray:
    """Calls per step as a rate (calls per second) in each bin of ``bin_s`` seconds."""
    edges = np.arange(n_bins) * bin_s
    return calls[np.minimum((edges // step).astype(int), len(calls) - 1)] / step


def write_forecast(path: str | Path, start: datetime, step: float, calls: dict[str, np.ndarray]) -> None:
    """A forecast file in the format ``parse_forecast`` reads (one column per hotline)."""
    numbers = list(calls)
    n = max((len(v) for v in calls.values()), default=0)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["start", *numbers])
        for i in range(n):
            at = start + timedelta(seconds=i * step)
            writer.writerow([f"{at:%H:%M}", *(f"{float(calls[number][i]):.6g}" for number in numbers)])
