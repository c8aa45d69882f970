"""Ports the core needs from the outside world; adapters implement them."""

from __future__ import annotations

from typing import Protocol, Sequence, TypeVar

from core.log import LogRecord

T = TypeVar("T")


class EventSink(Protocol):
    """Where domain events go, in order. A plain list is one."""

    def append(self, record: LogRecord, /) -> None: ...


class RandomSource(Protocol):
    """Injected randomness for the random agent-selection strategy. ``random.Random`` is one."""

    def choice(self, seq: Sequence[T], /) -> T: ...


class CallerHistory(Protocol):
    """Who served a caller last (for sticky routing)."""

    def last_agent(self, caller: str) -> str | None: ...

    def remember(self, caller: str, agent_id: str) -> None: ...


class InMemoryCallerHistory:
    def __init__(self, last: dict[str, str] | None = None) -> None:
        self._last = dict(last or {})

    def last_agent(self, caller: str) -> str | None:
        return self._last.get(caller)

    def remember(self, caller: str, agent_id: str) -> None:
        self._last[caller] = agent_id
