"""Log records and timers, the two things every part of the core that takes messages keeps the same way.

``CallCenter`` (inbound routing) and ``Dialer`` (outbound) each keep their own timers: a timer started gets a
fresh token, so one that was cancelled or superseded and still fires is recognised and ignored (a driver need
not be able to cancel).
"""

from __future__ import annotations

from typing import Any, Callable

from core.log import LogRecord
from core.messages import CancelTimer, StartTimer, Timer
from core.ports import EventSink

_new_tuple = tuple.__new__

Handlers = dict[type, Callable[[Any, list], None]]  # message type -> its handler(message, actions)


class Bookkeeping:
    log: EventSink

    def __init__(self, log: EventSink) -> None:
        self.log = log
        self._timers: dict[tuple[str, str], int] = {}  # (kind, key) -> token of the timer in force
        self._token = 0

    def emit(self, now, call_id, queue, agent, verb, d1="", d2="", d3="", d4="", d5="") -> None:
        # what LogRecord(...) does, without the named tuple's Python-level __new__: the core's busiest line
        self.log.append(_new_tuple(LogRecord, (now, call_id, queue, agent, verb, d1, d2, d3, d4, d5)))

    def start_timer(self, kind: str, key: str, at: float, actions: list) -> None:
        self._token += 1
        self._timers[(kind, key)] = self._token
        actions.append(StartTimer(at, Timer(kind, key, self._token)))

    def cancel_timer(self, kind: str, key: str, actions: list) -> None:
        token = self._timers.pop((kind, key), None)
        if token is not None:
            actions.append(CancelTimer(Timer(kind, key, token)))

    def timer_in_force(self, timer: Timer) -> bool:
        """Whether ``timer`` (fired) is the one in force for its kind and key; if so it is spent now."""
        slot = (timer.kind, timer.key)
        if self._timers.get(slot) != timer.token:
            return False  # cancelled or superseded
        del self._timers[slot]
        return True
