"""Scenario files: the broadcast schedule, demand, staffing, policy and targets of one slot.

Loaded from YAML into frozen, validated objects. Unknown keys are rejected; every error names the file,
the field and the line. Durations are seconds or text such as ``90s``, ``15m``, ``1h30m``.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from core.config import SITE_ZONE, STRATEGIES
from core.tickets import OUTCOMES
from inputs.durations import parse_duration
from inputs.problems import InputFileError, Problem
from twin.yamlfile import LoadedYaml, load_yaml

Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]
KPI_BANDS = (
    "offered", "answered", "abandoned", "short_abandoned", "to_callback", "rejected", "sl_offered",
    "sl_answered", "asa", "aht", "longest_wait", "abandon_rate", "occupancy", "callbacks_created",
    "callbacks_completed", "callbacks_expired",
)


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DistributionSpec(Spec):
    distribution: Literal["exponential", "lognormal", "fixed", "empirical"]
    mean: Duration | None = None
    sd: Duration | None = None
    values: tuple[Annotated[float, Field(ge=0)], ...] | None = None

    def needs(self) -> list[tuple[str, str]]:
        required = {"exponential": ("mean",), "lognormal": ("mean", "sd"), "fixed": ("mean",), "empirical": ("values",)}
        return [(name, f"required for a {self.distribution} distribution")
                for name in required[self.distribution] if getattr(self, name) in (None, ())]


class HoursSpec(Spec):
    days: tuple[Annotated[int, Field(ge=0, le=6)], ...] = (0, 1, 2, 3, 4, 5, 6)  # 0 = Monday
    open: str = "00:00"
    close: str = "24:00"

    @field_validator("open", "close")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d|24:00", value):
            raise ValueError(f"{value!r} is not a clock time HH:MM")
        return value


class HotlineSpec(Spec):
    number: str = Field(min_length=1)
    queue: str = Field(min_length=1)
    hours: tuple[HoursSpec, ...] | None = None
    out_of_hours: Literal["hangup", "callback"] = "hangup"


class AiringSpec(Spec):
    id: str = Field(min_length=1)
    channel: str = Field(min_length=1)
    start: Duration  # offset from the scenario start
    length: Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]
    hotline: str
    kind: Literal["live", "spot", "sale"]
    expected_calls: Annotated[float, Field(ge=0)]
    product: str = ""
    cost: Annotated[float, Field(ge=0)] = 0.0


class ShiftSpec(Spec):
    start: Duration
    end: Duration
    count: Annotated[int, Field(ge=0)]
    break_at: Duration | None = None
    break_length: Duration = 900.0


class GroupSpec(Spec):
    name: str = Field(min_length=1)
    skills: dict[str, Annotated[int, Field(ge=1)]] = Field(min_length=1)
    staffing: Annotated[int, Field(ge=0)] | tuple[Annotated[int, Field(ge=0)], ...] | None = None
    shifts: tuple[ShiftSpec, ...] | None = None


class OverflowSpec(Spec):
    group: str
    after_wait: Duration | None = None
    queue_length: Annotated[int, Field(ge=0)] | None = None


class PolicySpec(Spec):
    strategy: Literal[STRATEGIES] = "rrmemory"  # type: ignore[valid-type]
    wrapup: Duration = 0.0
    ring_timeout: Duration | None = 15.0
    ivr_after: Duration | None = 60.0
    ivr_queue_length: Annotated[int, Field(ge=0)] | None = None
    sticky_wait: Duration = 0.0
    ownership: bool = False
    overflow: dict[str, tuple[OverflowSpec, ...]] = {}
    callback_reserve: Annotated[int, Field(ge=0)] | None = 2
    callback_retry_after: Duration = 1800.0
    callback_ttl: Duration = 3 * 86400.0
    short_abandon: Duration = 5.0
    response_window: Duration = 1800.0


class CallerSpec(Spec):
    repeat_share: Share = 0.0
    vip_share: Share = 0.0
    important_share: Share = 0.0
    blacklist_share: Share = 0.0


class CallSpec(Spec):
    patience: DistributionSpec
    handle: DistributionSpec
    ring_time: DistributionSpec = DistributionSpec(distribution="fixed", mean=0.0)
    no_answer_probability: Share = 0.0
    agent_hangup_share: Share = 0.5
    prompt_time: Duration = 10.0
    press_one_share: Share = 0.6
    ready_after_pause: Duration = 30.0  # an agent paused for a missed ring is ready again after this


class CallbackSpec(Spec):
    reach_probability: Share = 0.8  # when called back at once
    decay: Annotated[float, BeforeValidator(parse_duration), Field(gt=0)] = 3600.0  # reach falls as exp(-delay/decay)
    dial_time: Duration = 20.0
    talk: DistributionSpec = DistributionSpec(distribution="exponential", mean=120.0)
    outcomes: dict[Literal[OUTCOMES], Annotated[float, Field(ge=0)]] = {  # type: ignore[valid-type]
        "ordered": 0.4, "inquiry": 0.3, "cancelled": 0.2, "complaint": 0.1,
    }


class TargetSpec(Spec):
    service_level: Share = 0.8
    within: Duration = 20.0
    max_abandon_rate: Share = 0.05


class Scenario(Spec):
    name: str
    description: str = ""
    start: datetime
    horizon: Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]
    interval: Annotated[float, BeforeValidator(parse_duration), Field(gt=0)] = 900.0
    warmup: Duration = 0.0
    seed: Annotated[int, Field(ge=0)] = 1
    replications: Annotated[int, Field(ge=1)] = 5
    hotlines: tuple[HotlineSpec, ...] = Field(min_length=1)
    airings: tuple[AiringSpec, ...] = ()
    baseline: dict[str, Annotated[float, Field(ge=0)]] = {}  # hotline -> calls per hour
    groups: tuple[GroupSpec, ...] = Field(min_length=1)
    policy: PolicySpec = PolicySpec()
    callers: CallerSpec = CallerSpec()
    calls: CallSpec
    callbacks: CallbackSpec = CallbackSpec()
    targets: TargetSpec = TargetSpec()
    expect: dict[str, tuple[float, float]] = {}  # KPI -> [low, high], for QA replay

    @field_validator("start")
    @classmethod
    def _zone(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=SITE_ZONE)

    @property
    def epoch(self) -> float:
        return self.start.timestamp()

    @property
    def n_intervals(self) -> int:
        return int(-(-self.horizon // self.interval))

    def cross_check(self) -> list[tuple[tuple, str]]:
        """Rules across fields, as (path, message)."""
        out: list[tuple[tuple, str]] = []
        numbers = [h.number for h in self.hotlines]
        queues = {h.queue for h in self.hotlines}
        groups = {g for spec in self.groups for g in spec.skills}
        for i, number in enumerate(numbers):
            if numbers.index(number) != i:
                out.append((("hotlines", i, "number"), f"hotline {number} is listed twice"))
        for i, hotline in enumerate(self.hotlines):
            if hotline.queue not in groups:
                out.append((("hotlines", i, "queue"), f"no agent group has the skill {hotline.queue!r}"))
        for i, airing in enumerate(self.airings):
            if airing.hotline not in numbers:
                out.append((("airings", i, "hotline"), f"{airing.hotline!r} is not one of the hotlines {numbers}"))
        for number in self.baseline:
            if number not in numbers:
                out.append((("baseline", number), f"{number!r} is not one of the hotlines {numbers}"))
        for i, group in enumerate(self.groups):
            if (group.staffing is None) == (group.shifts is None):
                out.append((("groups", i), "give exactly one of staffing (agents per interval) or shifts"))
            if isinstance(group.staffing, tuple) and len(group.staffing) != self.n_intervals:
                out.append((("groups", i, "staffing"),
                            f"has {len(group.staffing)} entries; the horizon has {self.n_intervals} intervals"))
            for j, shift in enumerate(group.shifts or ()):
                if shift.end <= shift.start:
                    out.append((("groups", i, "shifts", j, "end"), "must be after start"))
        names = [g.name for g in self.groups]
        for i, name in enumerate(names):
            if names.index(name) != i:
                out.append((("groups", i, "name"), f"group {name!r} is listed twice"))
        for queue, steps in self.policy.overflow.items():
            if queue not in queues:
                out.append((("policy", "overflow", queue), f"{queue!r} is not a hotline's queue"))
            for j, step in enumerate(steps):
                if step.group not in groups:
                    out.append((("policy", "overflow", queue, j, "group"), f"no agent group has the skill {step.group!r}"))
                if step.after_wait is None and step.queue_length is None:
                    out.append((("policy", "overflow", queue, j), "give after_wait or queue_length"))
        for key in ("patience", "handle", "ring_time"):
            for name, message in getattr(self.calls, key).needs():
                out.append((("calls", key, name), message))
        for name, message in self.callbacks.talk.needs():
            out.append((("callbacks", "talk", name), message))
        if self.callbacks.outcomes and sum(self.callbacks.outcomes.values()) <= 0:
            out.append((("callbacks", "outcomes"), "weights must not all be zero"))
        for metric, band in self.expect.items():
            if metric not in KPI_BANDS:
                out.append((("expect", metric), f"unknown KPI; use one of {', '.join(KPI_BANDS)}"))
            elif band[0] > band[1]:
                out.append((("expect", metric), f"low {band[0]} is above high {band[1]}"))
        if self.epoch % self.interval:
            # reports cut intervals at multiples of the interval since the epoch
            out.append((("start",), f"must fall on a boundary of the {self.interval:g} s interval "
                                    f"(e.g. on the hour or quarter hour for 15m)"))
        if self.warmup >= self.horizon:
            out.append((("warmup",), "must be shorter than the horizon"))
        return out


def _describe(error: dict) -> str:
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "required field is missing"
    given = error.get("input")
    if not isinstance(given, (dict, list)) and error["type"] not in ("value_error",):
        return f"{message} (got {given!r})"
    return message


_TYPE_TAGS = {"int", "float", "str", "bool", "none", "datetime", "literal", "tuple", "list", "dict"}


def _clean_loc(loaded: LoadedYaml, loc: tuple) -> tuple:
    """Pydantic's error path without the union members it tried ('int', 'tuple[int, ...]', ...)."""
    path: tuple = ()
    for part in loc:
        if isinstance(part, int) or path + (part,) in loaded.lines:
            path += (part,)
        elif not any(c in part for c in "[](-") and part not in _TYPE_TAGS:
            path += (part,)
    return path


def _problems(loaded: LoadedYaml, error: ValidationError) -> list[Problem]:
    problems = []
    seen = set()
    for item in error.errors():
        path = _clean_loc(loaded, item["loc"])
        if path in seen:
            continue  # one message per field: a union reports each member it tried
        seen.add(path)
        problems.append(loaded.problem(path, _describe(item)))
    return problems


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise InputFileError listing every problem found."""
    loaded = load_yaml(path)
    if not isinstance(loaded.data, dict):
        raise InputFileError([Problem(loaded.file, 1, "", "a scenario must be a mapping of fields (name:, start:, ...)")])
    try:
        scenario = Scenario.model_validate(loaded.data)
    except ValidationError as error:
        raise InputFileError(_problems(loaded, error)) from None
    problems = [loaded.problem(path_, message) for path_, message in scenario.cross_check()]
    if problems:
        raise InputFileError(problems)
    return scenario
