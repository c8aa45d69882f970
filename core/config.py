"""The routing model a core runs: agents, skill groups, hotline numbers and the policy. Plain frozen data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from zoneinfo import ZoneInfo

STRATEGIES = ("rrmemory", "fewestcalls", "leasttalk", "longestidle", "linear", "random")
PRIORITY_CLASSES = ("vip", "important", "normal")  # served in this order, FIFO within a class
OUT_OF_HOURS_ACTIONS = ("hangup", "callback")
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

    def __post_init__(self) -> None:
        problems = list(self.problems())
        if problems:
            raise ValueError("; ".join(problems))

    def problems(self):
        if self.policy.strategy not in STRATEGIES:
            yield f"policy.strategy {self.policy.strategy!r} is not one of {', '.join(STRATEGIES)}"
        ids = [a.agent_id for a in self.agents]
        if len(ids) != len(set(ids)):
            yield "agent ids repeat"
        numbers = [h.number for h in self.hotlines]
        if len(numbers) != len(set(numbers)):
            yield "hotline numbers repeat"
        for hotline in self.hotlines:
            if hotline.hours and hotline.hours.out_of_hours not in OUT_OF_HOURS_ACTIONS:
                yield f"hotline {hotline.number}: out_of_hours must be one of {OUT_OF_HOURS_ACTIONS}"
        for name, value in (
            ("wrapup", self.policy.wrapup),
            ("ring_timeout", self.policy.ring_timeout),
            ("sticky_wait", self.policy.sticky_wait),
            ("callback_reserve", self.policy.callback_reserve),
        ):
            if value is not None and value < 0:
                yield f"policy.{name} must not be negative"
