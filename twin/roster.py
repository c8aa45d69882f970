"""Shift rosters (排班): shifts that cover the agents required per interval at least cost, by an integer program.

A roster is built from *shift types* (a length, the start times allowed, an optional break placed inside a
window, the fewest and most heads on that type, a cost per paid hour). Every (type, start, break start) is
a *pattern*; ``x[p]`` heads work pattern ``p``. The integer program (scipy's ``milp``, HiGHS):

    minimise   sum_p cost[p] * x[p]
    such that  sum_p covers[p, t] * x[p] >= required[t]   for every interval t
               min[k] <= sum_{p of type k} x[p] <= max[k]   for every shift type k
               x[p] integer >= 0

A pattern covers an interval when the interval lies wholly in the shift and not in its break. Breaks are
paid (the cost is length x cost per hour). When no roster covers every interval, the same program with a
shortfall per interval (minimising the total shortfall) names the intervals that cannot be covered.

The shift file (YAML, ``load_shift_types``) lists the types::

    shifts:
      - name: day
        length: 8h
        earliest: "08:00"      # first start, local clock time (default: the plan's start)
        latest: "14:00"        # last start (default: as late as the shift still ends in the plan)
        every: 30m             # start times every ... (default: the interval)
        break: {length: 30m, earliest: 3h, latest: 5h}   # break start, after the shift's start
        min: 0
        max: 40
        cost_per_hour: 35
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from scipy.optimize import Bounds, LinearConstraint, milp

from inputs.durations import parse_duration
from inputs.problems import InputFileError, Problem
from twin.scenario import type_problems
from twin.yamlfile import load_yaml

Seconds = Annotated[float, BeforeValidator(parse_duration), Field(gt=0, allow_inf_nan=False)]
SHORTFALL_CHECK = 1e-6


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BreakSpec(_Spec):
    length: Seconds
    earliest: Annotated[float, BeforeValidator(parse_duration), Field(ge=0)]  # after the shift's start
    latest: Annotated[float, BeforeValidator(parse_duration), Field(ge=0)]


class ShiftTypeSpec(_Spec):
    name: str = Field(min_length=1)
    length: Seconds
    earliest: str | None = None
    latest: str | None = None
    every: Seconds | None = None
    break_: BreakSpec | None = Field(default=None, alias="break")
    min: Annotated[int, Field(ge=0)] = 0
    max: Annotated[int, Field(ge=0)] | None = None
    cost_per_hour: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 1.0

    @field_validator("earliest", "latest")
    @classmethod
    def _clock(cls, value: str | None) -> str | None:
        if value is not None:
            _clock_seconds(value)
        return value


class ShiftFile(_Spec):
    shifts: tuple[ShiftTypeSpec, ...] = Field(min_length=1)


def _clock_seconds(text: str) -> int:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts) or int(parts[0]) > 23 or int(parts[1]) > 59:
        raise ValueError(f"{text!r} is not a clock time HH:MM")
    return sum(int(p) * f for p, f in zip(parts, (3600, 60, 1)))


@dataclass(frozen=True)
class Pattern:
    shift: str
    start: float  # seconds after the plan's start
    end: float
    break_start: float | None
    break_end: float | None
    cost: float


@dataclass(frozen=True)
class Shortfall:
    interval: int
    required: int
    short: int


class InfeasibleRoster(ValueError):
    """No roster covers every interval; ``shortfalls`` names the intervals (and by how many heads)."""

    def __init__(self, shortfalls: list[Shortfall], describe, notes: tuple[str, ...] = ()) -> None:
        self.shortfalls = shortfalls
        lines = [f"{describe(s.interval)}: needs {s.required}, short by {s.short}" for s in shortfalls]
        super().__init__(
            "no roster covers every interval; these cannot be covered:\n  "
            + "\n  ".join(lines)
            + "".join(f"\n  ({note})" for note in notes)
        )


@dataclass(frozen=True)
class Roster:
    interval: float
    required: np.ndarray  # agents per interval
    patterns: tuple[Pattern, ...]
    heads: np.ndarray  # per pattern
    covers: np.ndarray  # pattern x interval, 0/1

    @property
    def coverage(self) -> np.ndarray:
        return self.heads @ self.covers

    @property
    def cost(self) -> float:
        return float(sum(p.cost * h for p, h in zip(self.patterns, self.heads)))

    def used(self) -> list[tuple[Pattern, int]]:
        return [(p, int(h)) for p, h in zip(self.patterns, self.heads) if h > 0]


def patterns(
    types: tuple[ShiftTypeSpec, ...], interval: float, n_intervals: int, start_clock: float = 0.0
) -> list[tuple[int, Pattern]]:
    """Every (shift type index, pattern) the types allow on a plan of ``n_intervals`` from ``start_clock``
    (seconds after local midnight)."""
    horizon = interval * n_intervals
    out = []
    for k, spec in enumerate(types):
        every = spec.every or interval
        first = 0.0 if spec.earliest is None else (_clock_seconds(spec.earliest) - start_clock) % 86400
        last = horizon - spec.length if spec.latest is None else (_clock_seconds(spec.latest) - start_clock) % 86400
        start = first
        while start <= last + 1e-9:
            breaks: list[float | None] = [None]
            if spec.break_ is not None:
                b, breaks = spec.break_.earliest, []
                while b <= spec.break_.latest + 1e-9 and b + spec.break_.length <= spec.length:
                    breaks.append(start + b)
                    b += interval
            for at in breaks:
                out.append(
                    (
                        k,
                        Pattern(
                            spec.name,
                            start,
                            start + spec.length,
                            at,
                            None if at is None else at + spec.break_.length,  # type: ignore[union-attr]
                            spec.length / 3600 * spec.cost_per_hour,
                        ),
                    )
                )
            start += every
    return out


def _covers(pattern: Pattern, interval: float, n_intervals: int) -> np.ndarray:
    lo = np.arange(n_intervals) * interval
    hi = lo + interval
    inside = (lo >= pattern.start - 1e-9) & (hi <= pattern.end + 1e-9)
    if pattern.break_start is not None:
        inside &= (hi <= pattern.break_start + 1e-9) | (lo >= pattern.break_end - 1e-9)
    return inside.astype(float)


def solve_roster(
    required, interval: float, types: tuple[ShiftTypeSpec, ...], *, start_clock: float = 0.0, describe=None
) -> Roster:
    """The cheapest roster covering ``required`` agents in each interval; ``InfeasibleRoster`` when none does."""
    required = np.asarray(required, dtype=float)
    n = len(required)
    describe = describe or (lambda t: f"interval {t}")
    typed = patterns(types, interval, n, start_clock)
    unused = tuple(
        f"shift {spec.name!r} has no start time at which it fits in the {n * interval / 3600:g} h plan"
        for k, spec in enumerate(types)
        if not any(kind == k for kind, _ in typed)
    )
    if not typed:
        raise InfeasibleRoster(
            [Shortfall(t, int(r), int(r)) for t, r in enumerate(required) if r > 0], describe, unused
        )
    kinds = np.array([k for k, _ in typed])
    found = tuple(p for _, p in typed)
    covers = np.array([_covers(p, interval, n) for p in found])
    cost = np.array([p.cost for p in found])
    lows = np.array([types[k].min for k in range(len(types))], dtype=float)
    highs = np.array([np.inf if types[k].max is None else types[k].max for k in range(len(types))], dtype=float)
    by_type = np.array([(kinds == k).astype(float) for k in range(len(types))])
    head_limits = LinearConstraint(by_type, lows, highs)
    coverage = LinearConstraint(covers.T, required, np.inf)
    result = milp(cost, integrality=np.ones(len(found)), bounds=Bounds(0, np.inf), constraints=[coverage, head_limits])
    if result.status == 0:
        heads = np.round(result.x).astype(int)
        return Roster(interval, required, found, heads, covers)
    raise InfeasibleRoster(_shortfalls(required, covers, by_type, lows, highs), describe, unused)


def _shortfalls(required, covers, by_type, lows, highs) -> list[Shortfall]:
    """The intervals left short when the total shortfall is as small as it can be."""
    n_p, n = covers.shape
    cost = np.concatenate([np.zeros(n_p), np.ones(n)])
    coverage = LinearConstraint(np.hstack([covers.T, np.eye(n)]), required, np.inf)
    head_limits = LinearConstraint(np.hstack([by_type, np.zeros((len(lows), n))]), lows, highs)
    result = milp(
        cost,
        integrality=np.concatenate([np.ones(n_p), np.zeros(n)]),
        bounds=Bounds(0, np.inf),
        constraints=[coverage, head_limits],
    )
    if result.status != 0:  # the head limits alone cannot be met (min above what the patterns allow)
        return [Shortfall(t, int(r), int(r)) for t, r in enumerate(required) if r > 0]
    short = result.x[n_p:]
    return [
        Shortfall(t, int(required[t]), int(math.ceil(short[t] - SHORTFALL_CHECK)))
        for t in range(n)
        if short[t] > SHORTFALL_CHECK
    ]


def load_shift_types(path: str | Path) -> tuple[ShiftTypeSpec, ...]:
    """The shift types of a YAML file; ``InputFileError`` naming file, line and field of every problem."""
    loaded = load_yaml(path)
    try:
        spec = ShiftFile.model_validate(loaded.data if isinstance(loaded.data, dict) else {})
    except ValidationError as error:
        raise InputFileError(type_problems(loaded, error)) from None
    problems = []
    for i, shift in enumerate(spec.shifts):
        if shift.max is not None and shift.min > shift.max:
            problems.append(loaded.problem(("shifts", i, "min"), f"{shift.min} is above max {shift.max}"))
        if shift.break_ is not None and shift.break_.earliest > shift.break_.latest:
            problems.append(loaded.problem(("shifts", i, "break", "earliest"), "is after latest"))
        if shift.break_ is not None and shift.break_.earliest + shift.break_.length > shift.length:
            problems.append(loaded.problem(("shifts", i, "break"), "does not fit in the shift"))
    if problems:
        raise InputFileError(problems)
    return spec.shifts


def roster_tables(roster: Roster, start: datetime, group: str = "") -> dict[str, pd.DataFrame]:
    """The roster (one row per shift pattern used) and its coverage per interval, for CSV / Excel."""

    def at(offset: float | None) -> str:
        return "" if offset is None else f"{start + timedelta(seconds=offset):%Y-%m-%d %H:%M}"

    shifts = pd.DataFrame(
        [
            {
                "group": group,
                "shift": p.shift,
                "start": at(p.start),
                "end": at(p.end),
                "break_start": at(p.break_start),
                "break_end": at(p.break_end),
                "heads": heads,
                "paid_hours": heads * (p.end - p.start) / 3600,
                "cost": heads * p.cost,
            }
            for p, heads in roster.used()
        ],
        columns=["group", "shift", "start", "end", "break_start", "break_end", "heads", "paid_hours", "cost"],
    )
    coverage = pd.DataFrame(
        {
            "group": group,
            "interval": [at(t * roster.interval) for t in range(len(roster.required))],
            "required": roster.required.astype(int),
            "rostered": roster.coverage.astype(int),
        }
    )
    coverage["surplus"] = coverage["rostered"] - coverage["required"]
    return {"roster": shifts, "coverage": coverage}


def as_shift_specs(roster: Roster) -> list[dict]:
    """The roster as a scenario group's ``shifts:`` (offsets from the scenario's start, seconds)."""
    out = []
    for p, heads in roster.used():
        item: dict = {"start": p.start, "end": p.end, "count": heads}
        if p.break_start is not None:
            item["break_at"], item["break_length"] = p.break_start, p.break_end - p.break_start  # type: ignore[operator]
        out.append(item)
    return out


__all__ = [
    "InfeasibleRoster",
    "Problem",
    "Roster",
    "Shortfall",
    "ShiftTypeSpec",
    "as_shift_specs",
    "load_shift_types",
    "patterns",
    "roster_tables",
    "solve_roster",
]
