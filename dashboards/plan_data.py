"""The plan page's data: scenarios (shipped, uploaded, or a schedule CSV plus a staffing table on a base
scenario), staffing per interval, twin runs and their results, saved plans. No figure code here.

A plan is its scenario as YAML text (the twin's own format, so ``hotline simulate`` runs the same file) and
the twin's results of it: ``run_plan`` computes them with the functions ``hotline simulate`` uses
(``twin.run``), so the page's figures are that command's numbers.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import yaml

from adapters.store.plans import SavedPlan, SqlPlans
from core.media import AiringResult
from dashboards import services
from inputs.problems import InputFileError, Problem
from reports.airings import parse_airings_csv
from twin.build import shifts
from twin.compare import analytic_by_interval
from twin.run import per_replication_kpis, run_replications, summarise
from twin.scenario import Scenario
from twin.site import validated
from twin.yamlfile import parse_yaml

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BAND_METRICS = ("offered", "sl_offered", "abandon_rate", "asa", "occupancy")
REVENUE_PER_ORDER = 399.0  # yuan: the default average order value for revenue lost to abandons
CONVERSION = 0.35  # orders per answered call, the default


def shipped_scenarios() -> dict[str, str]:
    """Label -> path of the scenarios shipped in scenarios/ (the QA suite left out)."""
    return {path.stem: str(path) for path in sorted(SCENARIOS.glob("*.yaml"))}


def read_scenario(text: str, name: str) -> Scenario:
    """A scenario from YAML text; ``InputFileError`` naming file, line and field of every problem."""
    return validated(parse_yaml(text, name), Scenario)  # type: ignore[return-value]


def scenario_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


# --- staffing per interval ------------------------------------------------------------------------------


def interval_labels(scenario: Scenario) -> list[str]:
    zone = scenario.start.tzinfo
    return [
        datetime.fromtimestamp(scenario.epoch + i * scenario.interval, zone).strftime("%H:%M")
        for i in range(scenario.n_intervals)
    ]


def staffing_rows(scenario: Scenario) -> list[dict[str, Any]]:
    """One row per group: its name and the agents on duty at the start of each interval (the grid's rows)."""
    labels = interval_labels(scenario)
    by_agent: dict[str, list] = {}
    for shift in shifts(scenario):
        by_agent.setdefault(shift.agent_id, []).append(shift)
    rows = []
    for group in scenario.groups:
        names = scenario.agent_names(group)
        row: dict[str, Any] = {"group": group.name}
        for i, label in enumerate(labels):
            t = i * scenario.interval
            row[label] = sum(any(s.start <= t < s.end for s in by_agent.get(name, ())) for name in names)
        rows.append(row)
    return rows


def with_staffing(text: str, name: str, rows: list[dict[str, Any]]) -> str:
    """The scenario's YAML with each group's staffing per interval taken from ``rows`` (the grid); shifts
    are replaced by that staffing. ``InputFileError`` if a cell is not a whole number >= 0."""
    scenario = read_scenario(text, name)
    labels = interval_labels(scenario)
    data = yaml.safe_load(text)
    problems = []
    staffing: dict[str, list[int]] = {}
    for r, row in enumerate(rows):
        counts = []
        for label in labels:
            value = row.get(label)
            try:
                count = int(float(value))
                if count < 0 or count != float(value):
                    raise ValueError
            except (TypeError, ValueError):
                problems.append(
                    Problem(
                        "staffing grid",
                        r + 1,
                        f"{row.get('group')}.{label}",
                        f"{value!r} is not a whole number of agents >= 0",
                    )
                )
                count = 0
            counts.append(count)
        staffing[str(row.get("group"))] = counts
    if problems:
        raise InputFileError(problems)
    for group in data.get("groups", []):
        if group.get("name") in staffing:
            group.pop("shifts", None)
            group["staffing"] = staffing[group["name"]]
    out = dump_yaml(data)
    read_scenario(out, name)  # the edited plan must still be a valid scenario
    return out


def dump_yaml(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None, width=120)


# --- a schedule CSV and a staffing table on a base scenario ----------------------------------------------


def parse_staffing_csv(text: str, name: str, scenario: Scenario) -> dict[str, list[int]]:
    """A staffing table: a header ``group,<HH:MM>,...`` (the scenario's intervals) and one row per group.
    ``InputFileError`` naming line and column of every problem."""
    labels = interval_labels(scenario)
    groups = [g.name for g in scenario.groups]
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise InputFileError([Problem(name, 1, "", f"empty file; the header is group,{','.join(labels)}")])
    header = [cell.strip() for cell in rows[0]]
    problems = []
    if not header or header[0].lower() != "group":
        problems.append(Problem(name, 1, header[0] if header else "", "the first column must be 'group'"))
    if header[1:] != labels:
        problems.append(Problem(name, 1, "", f"the columns after 'group' must be the intervals {','.join(labels)}"))
    out: dict[str, list[int]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        group = row[0].strip()
        if group not in groups:
            problems.append(
                Problem(name, line, "group", f"{group!r} is not a group of the scenario ({', '.join(groups)})")
            )
        if len(row) != len(labels) + 1:
            problems.append(
                Problem(name, line, "", f"has {len(row) - 1} counts; the scenario has {len(labels)} intervals")
            )
            continue
        counts = []
        for label, cell in zip(labels, row[1:]):
            if not cell.strip().isdigit():
                problems.append(Problem(name, line, label, f"{cell!r} is not a whole number of agents >= 0"))
                continue
            counts.append(int(cell))
        out[group] = counts
    if problems:
        raise InputFileError(problems)
    return out


def from_schedule(
    base_text: str,
    base_name: str,
    schedule: bytes,
    schedule_name: str,
    staffing: str | None,
    staffing_name: str,
    expected_calls: float,
) -> str:
    """The base scenario with its airings replaced by the schedule CSV's (``reports.airings``: the same reader
    as ``hotline report roi --airings``; each airing brings ``expected_calls``) and, if given, the staffing
    table's staffing. Problems of both files are collected and raised together."""
    base = read_scenario(base_text, base_name)
    problems: list[Problem] = []
    airings = []
    try:
        airings = parse_airings_csv(schedule, schedule_name)
    except InputFileError as error:
        problems.extend(error.problems)
    counts: dict[str, list[int]] = {}
    if staffing is not None:
        try:
            counts = parse_staffing_csv(staffing, staffing_name, base)
        except InputFileError as error:
            problems.extend(error.problems)
    if problems:
        raise InputFileError(problems)
    data = yaml.safe_load(base_text)
    zone = base.start.tzinfo
    queue = base.hotlines[0].queue
    known = {h.number for h in base.hotlines}
    for airing in airings:
        if airing.hotline not in known:
            data.setdefault("hotlines", []).append({"number": airing.hotline, "queue": queue})
            known.add(airing.hotline)
    data["airings"] = [
        {
            "id": a.airing_id,
            "channel": a.channel,
            "start": datetime.fromtimestamp(a.start, zone).isoformat(),
            "length": a.length,
            "hotline": a.hotline,
            "kind": a.kind,
            "expected_calls": expected_calls,
            "product": a.product,
            "cost": a.cost,
        }
        for a in airings
    ]
    for group in data.get("groups", []):
        if group.get("name") in counts:
            group.pop("shifts", None)
            group["staffing"] = counts[group["name"]]
    text = dump_yaml(data)
    read_scenario(text, f"{base_name} + {schedule_name}")
    return text


# --- running a plan ----------------------------------------------------------------------------------------


def agent_hours(scenario: Scenario) -> float:
    """Hours of agent time the plan pays for: every shift, breaks included."""
    return sum(min(s.end, scenario.horizon) - s.start for s in shifts(scenario)) / 3600


def revenue_lost(abandoned: float, answered: float, conversion: float, order_value: float) -> float:
    """``core.media``'s revenue lost to abandonment (abandons x conversion x average order value), for calls
    whose conversion and order value are assumed rather than measured."""
    orders = answered * conversion
    result = AiringResult(
        "",
        "",
        "",
        "",
        "",
        0.0,
        0.0,
        0.0,
        answered=answered,
        abandoned=abandoned,
        orders=orders,
        revenue=orders * order_value,
    )
    return result.revenue_lost_to_abandonment or 0.0


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def run_plan(
    text: str,
    name: str,
    *,
    replications: int,
    seed: int | None = None,
    workers: int | None = None,
    conversion: float = CONVERSION,
    order_value: float = REVENUE_PER_ORDER,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run the plan's scenario in the twin (``replications`` seeded replications, as ``hotline simulate``)
    and return its results as JSON-able data: per-interval means with 95% bands, the totals, the Erlang-A /
    MOL estimate per interval, agent-hours and revenue lost to abandons."""
    scenario = read_scenario(text, name).model_copy(update={"replications": replications})
    done = [0]

    def advance(_replication) -> None:
        done[0] += 1
        if on_progress:
            on_progress(done[0], replications)

    reps = run_replications(scenario, workers=workers, seed=seed, on_done=advance)
    per_interval, per_total = per_replication_kpis(reps, scenario)
    intervals = summarise(per_interval, ["interval_start"])
    totals = summarise(per_total, []).iloc[0].to_dict()
    abandoned, answered = float(totals.get("abandoned", 0.0)), float(totals.get("answered", 0.0))
    return {
        "name": name,
        "scenario_name": scenario.name,
        "replications": replications,
        "seed": scenario.seed if seed is None else seed,
        "epoch": scenario.epoch,
        "interval_s": scenario.interval,
        "intervals": _records(intervals),
        "totals": _records(pd.DataFrame([totals]))[0],
        "analytic": _records(analytic_by_interval(scenario)),
        "agent_hours": agent_hours(scenario),
        "revenue_lost": revenue_lost(abandoned, answered, conversion, order_value),
        "conversion": conversion,
        "order_value": order_value,
    }


@dataclass(frozen=True)
class PlanToSave:
    name: str
    scenario: str
    results: dict[str, Any]


def save_plan(plan: PlanToSave, by: str, now: float) -> SavedPlan:
    return SqlPlans(services.engine()).save(
        plan.name,
        plan.scenario,
        plan.results,
        replications=int(plan.results["replications"]),
        seed=int(plan.results["seed"]),
        by=by,
        now=now,
    )


def saved_plans() -> list[SavedPlan]:
    return SqlPlans(services.engine()).list()


def saved_plan(plan_id: int) -> SavedPlan:
    return SqlPlans(services.engine()).get(plan_id)
