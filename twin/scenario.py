"""Scenario files: the broadcast schedule, demand, staffing, policy and targets of one slot.

A site file (the live call center's configuration, ``twin/site.py``) is a scenario without the simulation's
sections (``SiteSpec``); every scenario is also a site.

Loaded from YAML into frozen, validated objects. Unknown keys are rejected; every error names the file,
the field and the line. Durations are seconds or text such as ``90s``, ``15m``, ``1h30m``.
Over 400 lines: declarations, one frozen pydantic model per section of the file with its cross-field checks.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.config import AIRING_KINDS, OUT_OF_HOURS_ACTIONS, SITE_ZONE, STRATEGIES
from core.tickets import OUTCOMES
from inputs.durations import parse_duration
from inputs.problems import Problem
from twin.yamlfile import LoadedYaml

Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1)]
MAX_GROUP = 10_000  # agents in one group, and MAX_AGENTS in all: a typo of a few zeros must not make millions
MAX_AGENTS = 50_000
Headcount = Annotated[int, Field(ge=0, le=MAX_GROUP)]
LAST_START = datetime(9999, 1, 1, tzinfo=timezone.utc).timestamp()
KPI_BANDS = (
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "to_callback",
    "rejected",
    "sl_offered",
    "sl_answered",
    "asa",
    "aht",
    "longest_wait",
    "abandon_rate",
    "occupancy",
    "callbacks_created",
    "callbacks_completed",
    "callbacks_expired",
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
        return [
            (name, f"required for a {self.distribution} distribution")
            for name in required[self.distribution]
            if getattr(self, name) in (None, ())
        ]


class HoursSpec(Spec):
    days: tuple[Annotated[int, Field(ge=0, le=6)], ...] = (0, 1, 2, 3, 4, 5, 6)  # 0 = Monday
    open: str = "00:00"
    close: str = "24:00"

    @field_validator("open", "close")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?|24:00(:00)?", value):
            raise ValueError(f"{value!r} is not a clock time HH:MM (or HH:MM:SS)")
        return value


class HotlineSpec(Spec):
    number: str = Field(min_length=1)
    queue: str = Field(min_length=1)
    hours: tuple[HoursSpec, ...] | None = Field(default=None, max_length=100)  # None: always open
    out_of_hours: Literal[OUT_OF_HOURS_ACTIONS] = "hangup"  # type: ignore[valid-type]
    forward_to: str | None = None  # with out_of_hours: forward
    zone: str | None = None  # IANA name of the opening hours' time zone; None: the site's (core.config.SITE_ZONE)

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
                raise ValueError(f"{value!r} is not a time zone name (e.g. Asia/Shanghai)") from None
        return value


class AiringSpec(Spec):
    id: str = Field(min_length=1)
    channel: str = Field(min_length=1)
    start: Duration | datetime  # offset from the scenario start, or a date and time
    length: Annotated[float, BeforeValidator(parse_duration), Field(gt=0, allow_inf_nan=False)]
    hotline: str
    kind: Literal[AIRING_KINDS]  # type: ignore[valid-type]
    expected_calls: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None  # the twin needs it; a site not
    product: str = ""
    cost: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0


class ShiftSpec(Spec):
    start: Duration
    end: Duration
    count: Headcount
    break_at: Duration | None = None
    break_length: Duration = 900.0


class GroupSpec(Spec):
    name: str = Field(min_length=1)
    skills: dict[str, Annotated[int, Field(ge=1)]]  # an empty one leaves its agents in no group: refused
    staffing: Headcount | tuple[Headcount, ...] | None = None
    shifts: tuple[ShiftSpec, ...] | None = Field(default=None, max_length=100)
    agents: tuple[Annotated[str, Field(min_length=1)], ...] | None = Field(
        default=None, max_length=MAX_GROUP
    )  # agent IDs (default: <name>-001, ...)


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
    survey: bool = False  # after-call survey (press 1 / 2 / 3) when the agent hangs up


class CallerSpec(Spec):
    repeat_share: Share = 0.0
    vip_share: Share = 0.0
    important_share: Share = 0.0
    blacklist_share: Share = 0.0
    # the numbers themselves (default: a generated pool when the share is above 0)
    vip: tuple[str, ...] | None = None
    important: tuple[str, ...] | None = None
    blacklist: tuple[str, ...] | None = None


class SurgeSpec(Spec):
    """Policy while an airing of one kind is in its response window; a field left out keeps the policy's."""

    ivr_after: Duration | None = None
    callback_reserve: Annotated[int, Field(ge=0)] | None = None
    overflow: dict[str, tuple[OverflowSpec, ...]] | None = None


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
        "ordered": 0.4,
        "inquiry": 0.3,
        "cancelled": 0.2,
        "complaint": 0.1,
    }


class ForecastSpec(Spec):
    """Arrivals from a forecast CSV (``twin/forecast.py``), on top of the baseline and the airings."""

    file: str = Field(min_length=1)  # relative to the scenario file
    per: Literal["interval", "minute"] = "interval"  # calls per interval of the scenario, or per minute


class TargetSpec(Spec):
    service_level: Share = 0.8
    within: Duration = 20.0
    max_abandon_rate: Share = 0.05


class SiteSpec(Spec):
    """The call center itself: numbers, agents and their groups, policy, lists and surge settings."""

    name: str = ""
    description: str = ""
    start: datetime | None = None  # airings may start at an offset from it
    hotlines: tuple[HotlineSpec, ...] = Field(min_length=1)
    airings: tuple[AiringSpec, ...] = ()
    groups: tuple[GroupSpec, ...] = Field(min_length=1)
    agent_users: dict[str, Annotated[str, Field(min_length=1)]] = {}  # agent ID -> console user name
    policy: PolicySpec = PolicySpec()
    surge: dict[Literal[AIRING_KINDS], SurgeSpec] = {}  # type: ignore[valid-type]
    callers: CallerSpec = CallerSpec()
    owners: dict[str, str] = {}  # caller number -> owning agent ID

    @field_validator("start")
    @classmethod
    def _zone(cls, value: datetime | None) -> datetime | None:
        return value if value is None or value.tzinfo else value.replace(tzinfo=SITE_ZONE)

    @model_validator(mode="after")
    def _not_too_many_agents(self) -> SiteSpec:
        total = sum(len(g.agents) if g.agents is not None else self.staffed(g) for g in self.groups)
        if total > MAX_AGENTS:
            raise ValueError(f"the groups have {total} agents in all; at most {MAX_AGENTS}")
        return self

    def cross_check(self) -> list[tuple[tuple, str]]:
        """Rules across fields the core's configuration cannot see (``CenterConfig.problems`` has the
        others), as (path, message)."""
        out: list[tuple[tuple, str]] = []
        for i, group in enumerate(self.groups):
            if group.staffing is None and group.shifts is None and group.agents is None:
                out.append((("groups", i), "give the agents, the staffing (agents per interval) or the shifts"))
            if group.staffing is not None and group.shifts is not None:
                out.append((("groups", i), "give staffing (agents per interval) or shifts, not both"))
            for j, shift in enumerate(group.shifts or ()):
                if shift.end <= shift.start:
                    out.append((("groups", i, "shifts", j, "end"), "must be after start"))
        names = [g.name for g in self.groups]
        for i, name in enumerate(names):
            if names.index(name) != i:
                out.append((("groups", i, "name"), f"group {name!r} is listed twice"))
        for i, airing in enumerate(self.airings):
            if self.start is None and not isinstance(airing.start, datetime):
                out.append((("airings", i, "start"), "give a date and time (the file has no start: to count from)"))
            elif not 0 <= self.airing_start(airing) < LAST_START:
                out.append((("airings", i, "start"), "must fall between 1970 and 9998"))
        agents, users = set(self.agent_ids()), Counter(self.agent_users.values())
        for agent, user in self.agent_users.items():
            if agent not in agents:
                out.append((("agent_users", agent), f"{agent!r} is not one of the agents"))
            if users[user] > 1:
                out.append((("agent_users", agent), f"user {user!r} is linked to more than one agent"))
        return out

    @staticmethod
    def staffed(group: GroupSpec) -> int:
        """Agents the group's staffing or shifts need at most (0 without either)."""
        if group.shifts is not None:
            return sum(s.count for s in group.shifts)
        staffing = group.staffing or 0
        return max(staffing, default=0) if isinstance(staffing, tuple) else staffing

    def agent_names(self, group: GroupSpec) -> tuple[str, ...]:
        """The group's agent IDs: as listed, or <group>-001, <group>-002, ... for its staffing."""
        if group.agents is not None:
            return group.agents
        return tuple(f"{group.name}-{k + 1:03d}" for k in range(self.staffed(group)))

    def agent_ids(self) -> list[str]:
        return [name for group in self.groups for name in self.agent_names(group)]

    def airing_start(self, airing: AiringSpec) -> float:
        """Epoch seconds of an airing's start."""
        if isinstance(airing.start, datetime):
            return (airing.start if airing.start.tzinfo else airing.start.replace(tzinfo=SITE_ZONE)).timestamp()
        return (self.start.timestamp() if self.start else 0.0) + airing.start


class Scenario(SiteSpec):
    name: str
    start: datetime
    horizon: Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]
    interval: Annotated[float, BeforeValidator(parse_duration), Field(gt=0)] = 900.0
    warmup: Duration = 0.0
    seed: Annotated[int, Field(ge=0)] = 1
    replications: Annotated[int, Field(ge=1)] = 5
    baseline: dict[str, Annotated[float, Field(ge=0)]] = {}  # hotline -> calls per hour
    forecast: ForecastSpec | None = None  # calls per interval or minute from a CSV file
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
    def utc_offset_h(self) -> float:
        """Hours east of UTC of the start's zone at the start: the local time the KPI intervals are cut in."""
        offset = self.start.utcoffset()
        return offset.total_seconds() / 3600 if offset is not None else 0.0

    @property
    def n_intervals(self) -> int:
        return int(-(-self.horizon // self.interval))

    def cross_check(self) -> list[tuple[tuple, str]]:
        """Rules across fields, as (path, message): the site's and the simulation's."""
        out = super().cross_check()
        numbers = [h.number for h in self.hotlines]
        for number in self.baseline:
            if number not in numbers:
                out.append((("baseline", number), f"{number!r} is not one of the hotlines {numbers}"))
        for i, group in enumerate(self.groups):
            if isinstance(group.staffing, tuple) and len(group.staffing) != self.n_intervals:
                out.append(
                    (
                        ("groups", i, "staffing"),
                        f"has {len(group.staffing)} entries; the horizon has {self.n_intervals} intervals",
                    )
                )
            if group.agents is not None and (group.staffing is not None or group.shifts is not None):
                needed = self.staffed(group)
                if needed > len(group.agents):
                    out.append(
                        (("groups", i, "agents"), f"lists {len(group.agents)} agents; the staffing needs {needed}")
                    )
        for i, airing in enumerate(self.airings):
            if airing.expected_calls is None:
                out.append((("airings", i, "expected_calls"), "required for the twin (calls this airing brings)"))
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
        if (self.epoch + self.utc_offset_h * 3600) % self.interval:
            # reports cut intervals at multiples of the interval in the start's local time
            out.append(
                (
                    ("start",),
                    f"must fall on a boundary of the {self.interval:g} s interval "
                    f"(e.g. on the hour or quarter hour for 15m)",
                )
            )
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


def type_problems(loaded: LoadedYaml, error: ValidationError) -> list[Problem]:
    """Pydantic's errors as problems at the file's lines, one per field."""
    problems = []
    seen = set()
    for item in error.errors():
        path = _clean_loc(loaded, item["loc"])
        if path in seen:
            continue  # one message per field: a union reports each member it tried
        seen.add(path)
        problems.append(loaded.problem(path, _describe(item)))
    return problems
