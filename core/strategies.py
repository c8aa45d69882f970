"""Agent selection strategies: which of a group's idle agents is rung, named by ``Policy.strategy``.

A strategy is a small object with ``choose(group, candidates)``: ``candidates`` are the idle agents of the
group at its best skill level, never empty, longest idle first. Ties go to the agent listed first in the
configuration (lowest ``order``). A new strategy is one class here, registered under the name the
configuration uses (``@registered("name")``), and its test in tests/unit/test_strategies.py.
"""

from __future__ import annotations

from typing import Callable, ClassVar, Protocol, Sequence, TypeVar

from core.ports import RandomSource


class Candidate(Protocol):
    order: int  # place in the configuration's agent list
    calls: int  # calls answered
    talk_total: float  # seconds talked


C = TypeVar("C", bound=Candidate)


class Strategy:
    name: ClassVar[str]  # set by ``registered``
    first_idle: ClassVar[bool] = False  # always the longest idle agent: the core skips building candidates

    @classmethod
    def build(cls, *, rng: RandomSource | None, last_rung: dict[str, int]) -> Strategy:
        """The strategy for one core: ``rng`` is the core's injected random source, ``last_rung`` its
        group -> order of the agent rung last (kept by the core). Most strategies need neither."""
        return cls()

    def choose(self, group: str, candidates: Sequence[C]) -> C:
        raise NotImplementedError


BY_NAME: dict[str, type[Strategy]] = {}  # the registry: configuration name -> strategy class


def registered(name: str) -> Callable[[type[Strategy]], type[Strategy]]:
    def register(cls: type[Strategy]) -> type[Strategy]:
        if name in BY_NAME:
            raise ValueError(f"two strategies are called {name!r}")
        cls.name = name
        BY_NAME[name] = cls
        return cls

    return register


@registered("rrmemory")
class RoundRobinMemory(Strategy):
    """The next agent after the one rung last in this group (``last_rung``: group -> order), wrapping around."""

    def __init__(self, last_rung: dict[str, int]) -> None:
        self.last_rung = last_rung

    @classmethod
    def build(cls, *, rng: RandomSource | None, last_rung: dict[str, int]) -> Strategy:
        return cls(last_rung)

    def choose(self, group: str, candidates: Sequence[C]) -> C:
        last = self.last_rung.get(group, -1)
        after = [a for a in candidates if a.order > last]
        return min(after or candidates, key=lambda a: a.order)


@registered("fewestcalls")
class FewestCalls(Strategy):
    def choose(self, group: str, candidates: Sequence[C]) -> C:
        return min(candidates, key=lambda a: (a.calls, a.order))


@registered("leasttalk")
class LeastTalk(Strategy):
    def choose(self, group: str, candidates: Sequence[C]) -> C:
        return min(candidates, key=lambda a: (a.talk_total, a.order))


@registered("longestidle")
class LongestIdle(Strategy):
    first_idle = True

    def choose(self, group: str, candidates: Sequence[C]) -> C:
        return candidates[0]


@registered("linear")
class Linear(Strategy):
    """Sequential: always the first agent of the configuration who is free."""

    def choose(self, group: str, candidates: Sequence[C]) -> C:
        return min(candidates, key=lambda a: a.order)


@registered("random")
class RandomChoice(Strategy):
    def __init__(self, rng: RandomSource) -> None:
        self.rng = rng

    @classmethod
    def build(cls, *, rng: RandomSource | None, last_rung: dict[str, int]) -> Strategy:
        if rng is None:
            raise ValueError("the random strategy needs an injected random source (rng=random.Random(seed))")
        return cls(rng)

    def choose(self, group: str, candidates: Sequence[C]) -> C:
        return self.rng.choice(sorted(candidates, key=lambda a: a.order))


STRATEGIES = tuple(BY_NAME)


def make_strategy(name: str, *, rng: RandomSource | None, last_rung: dict[str, int]) -> Strategy:
    """The strategy the configuration calls ``name`` (``ValueError`` if there is none)."""
    cls = BY_NAME.get(name)
    if cls is None:
        raise ValueError(f"{name!r} is not one of {', '.join(STRATEGIES)}")
    return cls.build(rng=rng, last_rung=last_rung)
