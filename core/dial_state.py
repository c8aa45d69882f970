"""The outbound dialer's state: the runs of loaded campaigns, their numbers (targets) and attempts, the agents a
run holds, the timer kinds, and the ``AgentPool`` port through which the inbound side lends agents."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from core.campaigns import Campaign, ListEntry, site_day
from core.pacer import DayCounts

PACE, CONNECT = "outbound_pace", "outbound_connect"  # timer kinds
BLEND_RECHECK = 5.0  # seconds between looks at the order line while a campaign gives way to inbound
# attempt states
PREVIEWING, RINGING, HELD, TALKING, LISTENING, ENDED = "preview", "ringing", "held", "talking", "broadcast", "ended"


class AgentPool(Protocol):
    """The inbound side's agents, as the dialer borrows them (``core.blending`` implements it)."""

    def free_agents(self, campaign: Campaign) -> list[str]: ...

    def take_agent(self, agent_id: str, now: float) -> None: ...

    def give_back_agent(self, agent_id: str, now: float, worked: bool, actions: list) -> None: ...

    def agent_wants_out(self, agent_id: str) -> bool: ...

    def waiting_calls(self, queue: str) -> int: ...

    def extension_of(self, agent_id: str) -> str: ...


@dataclass(slots=True, eq=False)
class Target:
    entry: ListEntry
    attempts: int = 0
    next_at: float = 0.0
    busy: bool = False  # an attempt (or a preview) is in progress
    done: bool = False
    last_result: str = ""


@dataclass(slots=True, eq=False)
class Attempt:
    attempt_id: str
    campaign_id: str
    target: Target
    number_of_try: int
    counts: DayCounts  # of the day it was dialled: its answer and drop count there
    state: str = RINGING
    agent_id: str | None = None
    dialled_at: float = 0.0
    answered_at: float = 0.0
    connected_at: float = 0.0
    result_code: str = ""


@dataclass(eq=False)
class CampaignRun:
    campaign: Campaign
    targets: dict[str, Target]
    due: list[tuple[float, int, str]] = field(default_factory=list)  # lazy heap (next_at, seq, number)
    agents: dict[str, str | None] = field(default_factory=dict)  # reserved agent -> attempt (None: waiting)
    attempts: dict[str, Attempt] = field(default_factory=dict)  # live ones
    held: list[str] = field(default_factory=list)  # answered, waiting for an agent, first come first
    counts: dict[str, DayCounts] = field(default_factory=dict)
    stopped: bool = False
    giving_way: bool = False  # paused for inbound

    def today(self, now: float) -> DayCounts:
        day = site_day(now)
        if day not in self.counts:
            self.counts[day] = DayCounts(day)
        return self.counts[day]

    def in_state(self, state: str) -> int:
        return sum(1 for a in self.attempts.values() if a.state == state)

    def waiting_agents(self) -> list[str]:
        return [agent for agent, attempt in self.agents.items() if attempt is None]
