"""The core's working state: agents and calls as it tracks them, their states, and the rejection error."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.config import OverflowStep


class CommandRejected(ValueError):
    """A command the current state does not allow; nothing was changed."""


# agent states
OUT, READY, PAUSED, RINGING, TALKING, WRAPUP, CALLBACK, OUTBOUND = (
    "out",
    "ready",
    "paused",
    "ringing",
    "talking",
    "wrapup",
    "callback",
    "outbound",
)
WORKING = (TALKING, WRAPUP, CALLBACK, OUTBOUND)  # a pause or logout asked now waits until the work ends
# call states
QUEUED, CALL_RINGING, CALL_TALKING, PROMPT, ENDED = "queued", "ringing", "talking", "prompt", "ended"


@dataclass(slots=True, eq=False)
class Agent:
    agent_id: str
    skills: dict[str, int]
    order: int
    groups_by_level: tuple[tuple[str, ...], ...]  # skill groups, best level first
    state: str = OUT
    reason: str = ""
    call_id: str | None = None
    ticket_id: str | None = None
    pending: tuple[str, str] | None = None  # ("logout", "") or ("pause", reason) once the work ends
    calls: int = 0
    talk_total: float = 0.0
    idle_since: float = 0.0
    busy_since: float = 0.0  # start of the current callback or wrap-up
    login_at: float = 0.0
    extension: str = ""  # the phone the agent sits at ("" = own endpoint)
    next_skills: dict[str, int] | None = None  # from a new configuration, taken at the next idle moment
    retired: bool = False  # removed from the configuration; gone once logged off

    @property
    def skills_to_come(self) -> dict[str, int]:
        """The skills the agent works with once free: the groups they count as logged in to."""
        return self.skills if self.next_skills is None else self.next_skills

    def take_next_skills(self) -> None:
        """Work with the skills a new configuration gave (``logged_in`` counted them when it came)."""
        if self.next_skills is not None:
            self.skills, self.next_skills = self.next_skills, None
            self.groups_by_level = groups_by_level(self.skills)


def groups_by_level(skills: dict[str, int]) -> tuple[tuple[str, ...], ...]:
    """The agent's skill groups, best level first (groups of one level in the order given)."""
    levels = sorted(set(skills.values()), reverse=True)
    return tuple(tuple(g for g, lv in skills.items() if lv == level) for level in levels)


@dataclass(slots=True, eq=False)
class Call:
    call_id: str
    caller: str
    hotline: str
    queue: str
    priority: int
    seq: int
    arrived: float
    position: int = 0
    state: str = QUEUED
    agent_id: str | None = None
    ring_started: float = 0.0
    answered_at: float = 0.0
    groups: list[str] = field(default_factory=list)  # home queue, then groups it overflowed to
    sticky_agent: str | None = None
    steps: tuple[OverflowStep, ...] = ()  # the overflow plan in force when the call arrived


def heap_key(call: Call) -> tuple[int, int, str]:
    return (call.priority, call.seq, call.call_id)
