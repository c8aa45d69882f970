"""Agent selection strategies: which of a group's idle agents is rung, named by ``Policy.strategy``.

A strategy is a small object with ``choose(group, candidates)``: ``candidates`` are the idle agents of the
group at its best skill level, never empty, longest idle first. Ties go to the agent listed first in the
configuration (lowest ``order``). A new strategy is one class here and its name in ``BY_NAME``.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from core.ports import RandomSource


class Candidate(Protocol):
    order: int  # place in the configuration's agent list
    calls: int  # calls answered
    talk_total: float  # seconds talked


class Strategy(Protocol):
    first_idle: bool  # True when it always picks the longest idle agent (the core skips building candidates)

    def choose(self, group: str, candidates: Sequence[Candidate]) -> Candidate: ...


class LongestIdle:
    first_idle = True

    def choose(self, group: str, candidates: Sequence[Candidate]) -> Candidate:
        return candidates[0]


class Linear:
    """Sequential: always the first agent of the configuration who is free."""

    first_idle = False

    def choose(self, group: str, candidates: Sequence[Candidate]) -> Candidate:
        return min(candidates, key=lambda a: a.order)


class FewestCalls:
    first_idle = False

    def choose(self, group: str, candidates: Sequence[Candidate]) -> Candidate:
        return min(candidates, key=lambda a: (a.calls, a.order))


class LeastTalk:
    first_idle = False

    def choose(self, group: str, candidates: Sequence[Candidate]) -> Candidate:
        return min(candidates, key=lambda a: (a.talk_total, a.order))


class RandomChoice:
    first_idle = False

    def __init__(self, rng: RandomSource) -> None:
        self.rng = rng

    def choose(self, group: str, candidates: Sequence[Candidate]) -> Candidate:
        return self.rng.choice(sorted(candidates, key=lambda a: a.order))


class RoundRobinMemory:
    """The next agent after the one rung last in this group (``last_rung``: group -> order), wrapping around."""

    first_idle = False

    def __init__(self, last_rung: dict[str, int]) -> None:
        self.last_rung = last_rung

    def choose(self, group: str, candidates: Sequence[Candidate]) -> Candidate:
        last = self.last_rung.get(group, -1)
        after = [a for a in candidates if a.order > last]
        return min(after or candidates, key=lambda a: a.order)


BY_NAME = {
    "rrmemory": RoundRobinMemory,
    "fewestcalls": FewestCalls,
    "leasttalk": LeastTalk,
    "longestidle": LongestIdle,
    "linear": Linear,
    "random": RandomChoice,
}
STRATEGIES = tuple(BY_NAME)


def make_strategy(name: str, *, rng: RandomSource | None, last_rung: dict[str, int]) -> Strategy:
    """The strategy called ``name``; ``rng`` feeds "random", ``last_rung`` (kept by the core) "rrmemory"."""
    if name == "random":
        if rng is None:
            raise ValueError("the random strategy needs an injected random source (rng=random.Random(seed))")
        return RandomChoice(rng)
    if name == "rrmemory":
        return RoundRobinMemory(last_rung)
    return BY_NAME[name]()
