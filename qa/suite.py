"""A QA suite: a directory of scenario files with ``expect:`` KPI bands, and golden days.

A golden day (``*.golden.yaml``) pins a recorded day of the store: the unchanged day replayed through the twin
(``qa/trace.py``) must give back its counts within the tolerances::

    golden:
      day: 1999-08-01            # the day's calls (by arrival) in the store's event log
      zone: UTC                  # the day's time zone (default the site's, Asia/Shanghai)
      source: anonymous-bank     # optional: only this source's records
      scenario: ../trace/anonymous_bank_unchanged.yaml   # relative to this file
      tolerances: {answered: 0.03, abandoned: 0.06}      # relative to the recorded counts
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import yaml

from core.config import SITE_ZONE
from inputs.problems import InputFileError, Problem
from qa.checks import CaseResult, band_check, tolerance_check
from qa.trace import COUNTS, load_trace_scenario, run_trace, trace_of_day
from twin.run import per_replication_kpis, run_replications, summarise
from twin.site import load_scenario

GOLDEN = ".golden.yaml"


def suite_files(suite: Path) -> tuple[list[Path], list[Path]]:
    if not suite.is_dir():
        raise InputFileError([Problem(str(suite), None, "", "not a directory of scenario files")])
    files = sorted(list(suite.glob("*.yaml")) + list(suite.glob("*.yml")))
    golden = [f for f in files if f.name.endswith(GOLDEN)]
    scenarios = [f for f in files if f not in golden]
    if not files:
        raise InputFileError([Problem(str(suite), None, "", "holds no *.yaml scenario files")])
    return scenarios, golden


def load_suite(suite: Path):
    scenario_files, golden_files = suite_files(suite)
    scenarios, problems = [], []
    for path in scenario_files:
        try:
            scenario = load_scenario(path)
        except InputFileError as error:
            problems.extend(error.problems)
            continue
        if not scenario.expect:
            problems.append(Problem(str(path), None, "expect", "a QA scenario must declare expected KPI bands"))
        scenarios.append((path, scenario))
    golden = []
    for path in golden_files:
        try:
            golden.append(read_golden(path))
        except InputFileError as error:
            problems.extend(error.problems)
    if problems:
        raise InputFileError(problems)
    return scenarios, golden


def read_golden(path: Path) -> dict:
    def bad(field: str, message: str) -> InputFileError:
        return InputFileError([Problem(str(path), None, f"golden.{field}" if field else "golden", message)])

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    spec = data.get("golden") if isinstance(data, dict) else None
    if not isinstance(spec, dict):
        raise bad("", "a golden case is a mapping under 'golden:' (day, scenario, tolerances)")
    unknown = set(spec) - {"day", "zone", "source", "scenario", "tolerances"}
    if unknown:
        raise bad(sorted(unknown)[0], "unknown field")
    try:
        day = spec["day"] if isinstance(spec.get("day"), date) else date.fromisoformat(str(spec.get("day")))
    except ValueError:
        raise bad("day", f"{spec.get('day')!r} is not a date YYYY-MM-DD") from None
    try:
        zone = ZoneInfo(spec["zone"]) if spec.get("zone") else SITE_ZONE
    except (ZoneInfoNotFoundError, ValueError):
        raise bad("zone", f"{spec['zone']!r} is not a time zone") from None
    if not spec.get("scenario"):
        raise bad("scenario", "the scenario of the what-if (its routing, no extra agents) is needed")
    tolerances = spec.get("tolerances") or {}
    if (
        not isinstance(tolerances, dict)
        or not tolerances
        or any(k not in COUNTS for k in tolerances)
        or any(not isinstance(v, (int, float)) or v < 0 for v in tolerances.values())
    ):
        raise bad("tolerances", f"a mapping of {', '.join(COUNTS)} to relative tolerances (e.g. 0.02)")
    return {
        "path": path,
        "day": day,
        "zone": zone,
        "source": spec.get("source"),
        "scenario": (path.parent / spec["scenario"]),
        "tolerances": dict(tolerances),
    }


def scenario_case(path: Path, scenario, workers, on_done=None) -> CaseResult:
    started = time.monotonic()
    reps = run_replications(scenario, workers=workers, on_done=on_done)
    per_interval, per_total = per_replication_kpis(reps, scenario)
    totals = per_total.mean(numeric_only=True)
    case = CaseResult(path.stem, "scenario")
    for metric, (low, high) in scenario.expect.items():
        case.checks.append(band_check(path.stem, metric, low, high, float(totals.get(metric, float("nan")))))
    intervals = summarise(per_interval, ["interval_start"])
    case.intervals = intervals[["interval_start", *[c for c in COUNTS if c in intervals]]].assign(source="twin")
    case.seconds = time.monotonic() - started
    return case


def trace_case(name: str, trace, scenario_path: Path, tolerances: dict[str, float], replications=None, on_done=None):
    started = time.monotonic()
    scenario = load_trace_scenario(scenario_path, trace)
    result = run_trace(trace, scenario, str(scenario_path), replications=replications, on_done=on_done)
    case = CaseResult(name, "trace")
    for metric, (recorded, twin, _) in result.closeness().items():
        if metric in tolerances:
            case.checks.append(tolerance_check(name, metric, recorded, twin, tolerances[metric]))
    keep = ["interval_start", *COUNTS]
    case.intervals = pd.concat(
        [result.recorded_intervals[keep].assign(source="recorded"), result.twin_intervals[keep].assign(source="twin")],
        ignore_index=True,
    )
    case.seconds = time.monotonic() - started
    return case, result


def golden_case(golden: dict, log_of_source, on_done=None) -> CaseResult:
    log = log_of_source(golden["source"])
    trace = trace_of_day(log, golden["day"], golden["zone"], where=f"{golden['path']}: the store")
    case, _ = trace_case(
        golden["path"].name.removesuffix(GOLDEN), trace, golden["scenario"], golden["tolerances"], on_done=on_done
    )
    case.kind = "golden"
    return case
