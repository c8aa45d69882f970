"""The routing model a core runs: agents, skill groups, hotline numbers and the policy. Plain frozen data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from core.strategies import STRATEGIES  # agent selection, by name

PRIORITY_CLASSES = ("vip", "important", "normal")  # served in this order, FIFO within a class
OUT_OF_HOURS_ACTIONS = ("hangup", "callback", "forward")
AIRING_KINDS = ("live", "spot", "sale")
DAY_S = 86400.0
# The call center's local time: opening hours, schedules and report days. The one place it is defined.
SITE_ZONE: tzinfo = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class AgentProfile:
    agent_id: str
    skills: dict[str, int]  # skill group -> level; a higher level is offered calls first


@dataclass(frozen=True, slots=True)
class OverflowStep:
    """After ``after_wait`` seconds in queue, or when the queue holds ``queue_length`` callers on arrival,
    a call is also offered to ``group``. Steps are tried in the order given."""

    group: str
    after_wait: float | None = None
    queue_length: int | None = None


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Local opening hours of one hotline number: ``windows`` are (weekday 0=Mon, open s, close s) of the day."""

    windows: tuple[tuple[int, float, float], ...]
    zone: tzinfo = SITE_ZONE
    out_of_hours: str = "hangup"
    forward_to: str | None = None  # the number out-of-hours calls go to when out_of_hours is "forward"

    def open_at(self, now: float) -> bool:
        local = datetime.fromtimestamp(now, self.zone)
        second = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        return any(day == local.weekday() and start <= second < end for day, start, end in self.windows)


@dataclass(frozen=True, slots=True)
class Hotline:
    number: str
    queue: str
    hours: OpeningHours | None = None  # None: always open


@dataclass(frozen=True, slots=True)
class Airing:
    """One broadcast of an offer; calls on its hotline within the response window are attributed to it."""

    airing_id: str
    channel: str
    start: float  # epoch seconds
    length: float  # seconds
    hotline: str
    product: str = ""
    kind: str = "spot"  # live | spot | sale
    cost: float = 0.0


@dataclass(frozen=True, slots=True)
class Policy:
    strategy: str = "rrmemory"
    wrapup: float = 0.0  # seconds of after-call work
    ring_timeout: float | None = 15.0  # ring-no-answer after this many seconds (None: auto-answer)
    rna_pause_reason: str = "ringnoanswer"
    ivr_after: float | None = 60.0  # post-queue IVR once a caller waited this long (None: never)
    ivr_queue_length: int | None = None  # ...or at once when this many callers already wait
    sticky_wait: float = 0.0  # a repeat caller waits this long for their last agent (0: off)
    ownership: bool = False  # a customer's own agent is tried first
    overflow: dict[str, tuple[OverflowStep, ...]] = field(default_factory=dict)  # home queue -> steps
    callback_reserve: int | None = 2  # dispatch callbacks only while this many agents stay free (None: never)
    callback_retry_after: float = 1800.0  # an unreachable ticket is tried again after this
    callback_ttl: float = 3 * 86400.0  # tickets expire this long after creation
    short_abandon: float = 5.0  # abandons quicker than this are flagged short
    response_window: float = 1800.0  # calls this long after an airing starts are attributed to it
    survey: bool = False  # after-call survey: when the agent hangs up, the caller is asked to press 1 / 2 / 3


@dataclass(frozen=True, slots=True)
class SurgePolicy:
    """Policy changes while an airing of this kind is in its response window (surge mode); None keeps the base policy's value."""

    ivr_after: float | None = None
    callback_reserve: int | None = None
    overflow: dict[str, tuple[OverflowStep, ...]] | None = None


@dataclass(frozen=True, slots=True)
class CenterConfig:
    agents: tuple[AgentProfile, ...]
    hotlines: tuple[Hotline, ...]
    policy: Policy = Policy()
    airings: tuple[Airing, ...] = ()
    blacklist: frozenset[str] = frozenset()
    vip: frozenset[str] = frozenset()
    important: frozenset[str] = frozenset()
    owners: dict[str, str] = field(default_factory=dict)  # caller -> owning agent
    surge: dict[str, SurgePolicy] = field(default_factory=dict)  # airing kind -> changes while it airs

    def __post_init__(self) -> None:
        errors = list(self._errors())
        if errors:
            raise InvalidConfig(errors)

    def priority_of(self, caller: str) -> int:
        """The caller's place in ``PRIORITY_CLASSES`` (0 = vip, served first)."""
        if caller in self.vip:
            return 0
        if caller in self.important:
            return 1
        return 2

    def _errors(self):
        """What no core can run with (refused on construction)."""
        if self.policy.strategy not in STRATEGIES:
            yield ConfigProblem(
                ("policy", "strategy"), f"{self.policy.strategy!r} is not one of {', '.join(STRATEGIES)}"
            )
        yield from _repeats(("agents",), "agent id", [a.agent_id for a in self.agents])
        yield from _repeats(("hotlines",), "hotline number", [h.number for h in self.hotlines])
        for i, hotline in enumerate(self.hotlines):
            if hotline.hours and hotline.hours.out_of_hours not in OUT_OF_HOURS_ACTIONS:
                yield ConfigProblem(
                    ("hotlines", i, "out_of_hours"),
                    f"{hotline.hours.out_of_hours!r} is not one of {', '.join(OUT_OF_HOURS_ACTIONS)}",
                )
        for name in ("wrapup", "ring_timeout", "sticky_wait", "callback_reserve"):
            value = getattr(self.policy, name)
            if value is not None and value < 0:
                yield ConfigProblem(("policy", name), "must not be negative")

    def problems(self) -> list[ConfigProblem]:
        """Everything wrong with this configuration as a call center's site: the construction errors plus the
        rules across fields (a queue no agent serves, an agent in no group, overlapping opening hours, ...).
        The twin, the API and the live driver refuse a configuration with any."""
        out = list(self._errors())
        groups = {group for agent in self.agents for group in agent.skills}
        agent_ids = {a.agent_id for a in self.agents}
        queues = {h.queue for h in self.hotlines}
        if not self.agents:
            out.append(ConfigProblem(("agents",), "at least one agent is needed"))
        if not self.hotlines:
            out.append(ConfigProblem(("hotlines",), "at least one hotline number is needed"))
        for i, agent in enumerate(self.agents):
            if not agent.agent_id.strip():
                out.append(ConfigProblem(("agents", i, "agent_id"), "must not be empty"))
            if not agent.skills:
                out.append(ConfigProblem(("agents", i, "skills"), f"agent {agent.agent_id} is in no group"))
            for group, level in agent.skills.items():
                if not isinstance(level, int) or level < 1:
                    out.append(ConfigProblem(("agents", i, "skills", group), "a skill level is a whole number >= 1"))
        for i, hotline in enumerate(self.hotlines):
            if not hotline.number.strip():
                out.append(ConfigProblem(("hotlines", i, "number"), "must not be empty"))
            if hotline.queue not in groups:
                out.append(ConfigProblem(("hotlines", i, "queue"), f"no agent group has the skill {hotline.queue!r}"))
            if hotline.hours is not None:
                out.extend(_hours_problems(("hotlines", i), hotline.hours))
        policy = self.policy
        for name in (
            "ivr_after",
            "ivr_queue_length",
            "callback_retry_after",
            "callback_ttl",
            "short_abandon",
            "response_window",
        ):
            value = getattr(policy, name)
            if value is not None and value < 0:
                out.append(ConfigProblem(("policy", name), "must not be negative"))
        out.extend(_overflow_problems(("policy", "overflow"), policy.overflow, queues, groups))
        numbers = [h.number for h in self.hotlines]
        for i, airing in enumerate(self.airings):
            if airing.hotline not in numbers:
                out.append(ConfigProblem(("airings", i, "hotline"), f"{airing.hotline!r} is not one of the hotlines"))
            if airing.kind not in AIRING_KINDS:
                out.append(
                    ConfigProblem(("airings", i, "kind"), f"{airing.kind!r} is not one of {', '.join(AIRING_KINDS)}")
                )
            if not airing.length > 0:
                out.append(ConfigProblem(("airings", i, "length"), "must be more than 0"))
        out.extend(_repeats(("airings",), "airing id", [a.airing_id for a in self.airings]))
        for name in ("vip", "important"):
            for number in sorted(self.blacklist & getattr(self, name)):
                out.append(ConfigProblem((name,), f"{number} is also on the blacklist"))
        for caller, owner in self.owners.items():
            if owner not in agent_ids:
                out.append(ConfigProblem(("owners", caller), f"{owner!r} is not one of the agents"))
        for kind, surge in self.surge.items():
            if kind not in AIRING_KINDS:
                out.append(
                    ConfigProblem(("surge", kind), f"{kind!r} is not an airing kind ({', '.join(AIRING_KINDS)})")
                )
            for name in ("ivr_after", "callback_reserve"):
                value = getattr(surge, name)
                if value is not None and value < 0:
                    out.append(ConfigProblem(("surge", kind, name), "must not be negative"))
            if surge.overflow is not None:
                out.extend(_overflow_problems(("surge", kind, "overflow"), surge.overflow, queues, groups))
        return out


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong with a configuration: where (``("hotlines", 0, "queue")``) and what."""

    path: tuple[str | int, ...]
    message: str

    @property
    def field(self) -> str:
        """('hotlines', 0, 'queue') -> 'hotlines[0].queue'"""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        return text

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidConfig(ValueError):
    """A configuration with problems; ``problems`` lists every one (``fields`` is what an API answers with)."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = list(problems)
        self.fields = {"problems": [{"field": p.field, "message": p.message} for p in self.problems]}
        super().__init__("; ".join(str(p) for p in self.problems))


def _repeats(path: tuple, what: str, values: list[str]):
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            yield ConfigProblem(path + (i,), f"{what} {value!r} is listed twice")
        seen.add(value)


def _hours_problems(path: tuple, hours: OpeningHours):
    if hours.out_of_hours == "forward" and not (hours.forward_to or "").strip():
        yield ConfigProblem(path + ("forward_to",), "out_of_hours is forward: give the number to forward to")
    for j, (day, start, end) in enumerate(hours.windows):
        where = path + ("hours", j)
        if day not in range(7):
            yield ConfigProblem(where, f"weekday {day} is not 0 (Monday) .. 6 (Sunday)")
        if not 0 <= start < end <= DAY_S:
            yield ConfigProblem(where, "opening must be before closing, both within the day (00:00 .. 24:00)")
        elif start != int(start) or end != int(end):
            yield ConfigProblem(where, "opening and closing times are whole seconds")
        for k, (other_day, other_start, other_end) in enumerate(hours.windows[:j]):
            if other_day == day and start < other_end and other_start < end:
                yield ConfigProblem(where, f"overlaps opening hours [{k}] on weekday {day}")


def _overflow_problems(path: tuple, overflow: dict[str, tuple[OverflowStep, ...]], queues: set[str], groups: set[str]):
    for queue, steps in overflow.items():
        if queue not in queues:
            yield ConfigProblem(path + (queue,), f"{queue!r} is not a hotline's queue")
        for j, step in enumerate(steps):
            if step.group not in groups:
                yield ConfigProblem(path + (queue, j, "group"), f"no agent group has the skill {step.group!r}")
            if step.after_wait is None and step.queue_length is None:
                yield ConfigProblem(path + (queue, j), "give after_wait or queue_length")
            for name in ("after_wait", "queue_length"):
                value = getattr(step, name)
                if value is not None and value < 0:
                    yield ConfigProblem(path + (queue, j, name), "must not be negative")
