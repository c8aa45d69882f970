"""How many calls a campaign may have ringing: progressive (one per waiting agent) and predictive pacing.

Predictive pacing dials for the agents expected to be free when the calls are answered: the waiting
agents plus each talking agent's chance to finish within the time a call takes to be answered, divided by
the measured answer rate (estimates from today's counts, starting from priors). On top of that runs a hard
guard that holds the drop rate (dropped / answered, per campaign per day) under the cap whatever the dice
do: it allows only as many calls beyond the waiting agents as could all be dropped without passing the cap.
With D drops, A answers and H answered callees already waiting for an agent, the P calls that could still
be dropped keep D + H + P <= cap * (A + P), so P <= (cap * A - D - H) / (1 - cap). Every event keeps the
inequality (an answer raises A; a drop moves one from H to D); only a new dial could break it, and the
guard is checked before each one. Progressive mode never dials beyond the waiting agents: no drops at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PRIOR_WEIGHT = 10.0  # the priors count as this many observations
PRIOR_ANSWER_RATE = 0.3
PRIOR_TIME_TO_ANSWER = 15.0
PRIOR_HANDLE_TIME = 180.0


@dataclass(slots=True)
class DayCounts:
    """One campaign's counts for one site day: what the pacer measures and the cap is counted on."""

    day: str
    attempts: int = 0  # dials placed
    resolved: int = 0  # dials that ended ringing (answered or not)
    answered: int = 0  # a person answered (drops included)
    drops: int = 0
    connects: int = 0
    answer_wait_total: float = 0.0  # seconds from dial to answer, summed over answers
    handle_total: float = 0.0  # seconds from connect to the agent's result, summed
    handled: int = 0

    @property
    def answer_rate(self) -> float:
        return (self.answered + PRIOR_ANSWER_RATE * PRIOR_WEIGHT) / (self.resolved + PRIOR_WEIGHT)

    @property
    def time_to_answer(self) -> float:
        return (self.answer_wait_total + PRIOR_TIME_TO_ANSWER * PRIOR_WEIGHT) / (self.answered + PRIOR_WEIGHT)

    @property
    def handle_time(self) -> float:
        return (self.handle_total + PRIOR_HANDLE_TIME * PRIOR_WEIGHT) / (self.handled + PRIOR_WEIGHT)

    @property
    def drop_rate(self) -> float:
        return self.drops / self.answered if self.answered else 0.0


def drop_allowance(counts: DayCounts, cap: float, held: int) -> int:
    """How many calls may be at risk of a drop now (see the module's docstring)."""
    room = (cap * counts.answered - counts.drops - held) / (1.0 - cap)
    return max(0, math.floor(room + 1e-9))


def predictive_target(counts: DayCounts, waiting_agents: int, talking_agents: int) -> int:
    """Calls to have ringing so that the expected answers meet the agents expected to be free."""
    expected_free = waiting_agents + talking_agents * min(1.0, counts.time_to_answer / counts.handle_time)
    return math.ceil(expected_free / max(counts.answer_rate, 0.01) - 1e-9) if expected_free > 0 else 0


def new_dials(
    *,
    predictive: bool,
    counts: DayCounts,
    cap: float,
    waiting_agents: int,
    talking_agents: int,
    ringing: int,
    held: int,
) -> int:
    """How many more calls to place now. ``waiting_agents`` are reserved for this campaign and free,
    ``ringing`` are dialled and not answered yet, ``held`` answered and waiting for an agent."""
    if not predictive:
        return max(0, waiting_agents - ringing - held)
    safe = waiting_agents + drop_allowance(counts, cap, held)
    wanted = max(predictive_target(counts, waiting_agents, talking_agents), waiting_agents)
    return max(0, min(wanted, safe) - ringing)
