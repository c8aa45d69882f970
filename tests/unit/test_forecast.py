"""A forecast CSV as a scenario's arrivals: read into the twin's demand, and every bad file refused with line
and column."""

from __future__ import annotations

import numpy as np
import pytest

from inputs.problems import InputFileError
from twin.build import RATE_BIN_S, demand
from twin.site import load_scenario

SCENARIO = """\
name: forecast
start: 2026-11-23T08:00:00+08:00
horizon: 1h
interval: 15m
hotlines:
  - number: "4008100100"
    queue: orders
forecast: {file: calls.csv, per: PER}
groups:
  - name: order-line
    skills: {orders: 1}
    staffing: 5
calls:
  patience: {distribution: exponential, mean: 120}
  handle: {distribution: exponential, mean: 180}
"""
GOOD = "start,4008100100\n08:00,90\n08:15,180\n08:30,0\n08:45,45.5\n"


def _load(tmp_path, csv_text: str, per: str = "interval"):
    (tmp_path / "calls.csv").write_text(csv_text)
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("PER", per))
    return load_scenario(path)


def _problems(tmp_path, csv_text: str, per: str = "interval") -> list:
    with pytest.raises(InputFileError) as caught:
        _load(tmp_path, csv_text, per)
    return caught.value.problems


def test_calls_per_interval_become_the_rate_of_each_interval(tmp_path):
    scenario = _load(tmp_path, GOOD)
    rate = demand(scenario)["4008100100"]
    per_interval = rate.rates.reshape(4, -1).sum(axis=1) * RATE_BIN_S
    assert np.allclose(per_interval, [90, 180, 0, 45.5])


def test_calls_per_minute_and_the_calls_column_of_a_single_hotline(tmp_path):
    rows = "".join(f"{8 + m // 60:02d}:{m % 60:02d},{m % 3}\n" for m in range(60))
    scenario = _load(tmp_path, "start,calls\n" + rows, per="minute")
    rate = demand(scenario)["4008100100"]
    per_minute = rate.rates.reshape(60, -1).sum(axis=1) * RATE_BIN_S
    assert np.allclose(per_minute, [m % 3 for m in range(60)])


def test_a_missing_interval_is_named_by_line_and_column(tmp_path):
    [problem] = _problems(tmp_path, "start,4008100100\n08:00,90\n08:30,0\n08:45,45\n")
    assert problem.file.endswith("calls.csv") and problem.line == 3
    assert problem.field == "column 1 (start)"
    assert "expected 08:15" in problem.message and "08:15 are missing" in problem.message


def test_a_forecast_that_stops_before_the_horizon_is_refused(tmp_path):
    [problem] = _problems(tmp_path, "start,4008100100\n08:00,90\n08:15,1\n")
    assert problem.line == 4 and "stops before 08:30" in problem.message and "2 more row(s)" in problem.message


def test_a_negative_rate_is_named_by_line_and_column(tmp_path):
    problems = _problems(tmp_path, "start,4008100100\n08:00,90\n08:15,-3\n08:30,x\n08:45,1\n")
    assert [(p.line, p.field) for p in problems] == [(3, "column 2 (4008100100)"), (4, "column 2 (4008100100)")]
    assert "must be a number >= 0" in problems[0].message and "not a number" in problems[1].message


@pytest.mark.parametrize(
    "header, column",
    [
        ("begin,4008100100", "column 1 (begin)"),
        ("start,4008999999", "column 2 (4008999999)"),
        ("start,4008100100,4008100100", "column 3 (4008100100)"),
    ],
)
def test_a_bad_header_is_named_by_column(tmp_path, header, column):
    problems = _problems(tmp_path, header + "\n08:00,1\n08:15,1\n08:30,1\n08:45,1\n")
    assert problems[0].line == 1 and problems[0].field == column


def test_rows_past_the_horizon_are_refused(tmp_path):
    [problem] = _problems(tmp_path, GOOD + "09:00,5\n")
    assert problem.line == 6 and "past the horizon" in problem.message
