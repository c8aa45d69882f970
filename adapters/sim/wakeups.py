"""Wake-ups on SimPy's queue without SimPy's per-event objects: the twin's hot path (issue 12, twin speed).

Every wake-up takes the key ``env.timeout`` would give it (time, priority, event id), so SimPy's queue pops
the same events in the same order and the event log stays byte-identical (``test_twin_log_digest``). It
relies on ``Environment._queue``, ``_now`` and ``_eid`` and on what ``Environment.step`` reads from an event
(``callbacks``, ``_ok``): SimPy 4.1.
"""

from __future__ import annotations

from collections import deque
from heapq import heappop, heappush

import simpy
from simpy.events import NORMAL, EventPriority

from core.messages import Timer

__all__ = ["TimerLane", "Wake", "queue_first", "run_until", "wake_after"]


class Wake:
    """A timeout reduced to what ``simpy.Environment.step`` reads (``callbacks``, ``_ok``) plus the one value
    its callback needs: no ``Timeout``, list and ``partial`` per wake-up on the twin's hot path."""

    __slots__ = ("callbacks", "arg")
    _ok = True

    def __init__(self, callbacks: tuple, arg) -> None:
        self.callbacks = callbacks
        self.arg = arg


def wake_after(env: simpy.Environment, delay: float, callbacks: tuple, arg, priority: EventPriority = NORMAL) -> None:
    """``env.timeout(delay)`` with ``callbacks`` (or, ``URGENT`` at no delay, a new process's first step):
    the same place in SimPy's queue (time, priority, event id), so the run takes the same steps in the same
    order."""
    if delay < 0:
        raise ValueError(f"Negative delay {delay}")
    heappush(env._queue, (env._now + delay, priority, next(env._eid), Wake(callbacks, arg)))


class TimerLane:
    """The core's timers of one kind, started in time order (a fixed delay each: ring, IVR, wrap-up, ...).
    Only the first waits in SimPy's queue, as the wake-up (hence ``callbacks``/``_ok``) with the key that
    ``env.timeout`` would have given it; the next is queued when it fires. Most ring and IVR timers are
    cancelled before their turn and so never become an event, and the queue stays short."""

    __slots__ = ("callbacks", "timers")
    _ok = True

    def __init__(self) -> None:
        self.callbacks: tuple | None = None
        self.timers: deque[tuple[float, int, Timer]] = deque()  # (time, event id, timer), the first queued


def queue_first(env: simpy.Environment, lane: TimerLane, callbacks: tuple) -> None:
    """Put the lane's first timer on SimPy's queue, under the key it was given when it was started."""
    at, eid, _ = lane.timers[0]
    lane.callbacks = callbacks
    heappush(env._queue, (at, NORMAL, eid, lane))


def run_until(env: simpy.Environment, done: simpy.Event) -> None:
    """``env.run(until=done)``: SimPy's ``step`` inline, without a method call and an exception handler per
    event (a tenth of the twin's time went to stepping)."""
    queue = env._queue
    while True:
        if not queue:
            raise RuntimeError(f"the run ran out of events at {env._now} before it was done")
        env._now, _, _, event = heappop(queue)
        callbacks, event.callbacks = event.callbacks, None
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            raise event._value  # a failed process: SimPy would crash the run with it
        if event is done:
            return
