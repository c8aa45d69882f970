"""The SimPy driver: simulated callers, agents and phones around the real core.

It holds no routing rule. It makes callers arrive, wait with a patience, talk for a handle time and hang
up; it makes agents log in and out by shift and answer rings; it carries out the core's actions (timers
included) and reports back what happened, with ``now`` taken from the simulation clock.

Over 400 lines: the call plan, the callers' chains, the agents' shifts and callbacks share the streams and
the call indexes; how wake-ups reach SimPy's queue is apart (``wakeups``).
"""

from __future__ import annotations

import gc
import math
from bisect import bisect_right
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import simpy
from simpy.events import URGENT

from adapters.sim.arrivals import RateFunction, sample_arrivals
from adapters.sim.distributions import Distribution, Fixed
from adapters.sim.wakeups import TimerLane, Wake, queue_first, run_until, wake_after
from core.center import CallCenter, CommandRejected
from core.messages import (
    AgentAnswered,
    AgentHungUp,
    AgentPaused,
    CallArrived,
    CallerHungUp,
    CancelTimer,
    CompleteCallback,
    ConnectCall,
    DialCallback,
    HangUp,
    LogIn,
    LogOut,
    MakeNotReady,
    MakeReady,
    PlayCallbackPrompt,
    PlaySurvey,
    PromptFinished,
    RingAgent,
    Start,
    StartTimer,
    Timer,
    TimerFired,
)

STREAMS = ("arrivals", "callers", "patience", "handle", "hangup", "ring", "prompt", "callback")


# A run keeps every log record, call and ticket alive, so Python's cyclic collector, run every 700 new objects,
# walks an ever larger heap: a fifth of the surge's CPU time (issue 12). The run makes little cyclic garbage
# (the model itself, at the end), so it collects a hundred times less often; the settings are the process's own.
RUN_GC_THRESHOLDS = (100_000, 50, 100)


@contextmanager
def rare_garbage_collection() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(*RUN_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@dataclass(frozen=True)
class CallerMix:
    repeat_share: float = 0.0
    vip: tuple[str, ...] = ()
    vip_share: float = 0.0
    important: tuple[str, ...] = ()
    important_share: float = 0.0
    blacklist: tuple[str, ...] = ()
    blacklist_share: float = 0.0


@dataclass(frozen=True)
class CallBehaviour:
    patience: Distribution
    handle: Distribution
    ring_time: Distribution = Fixed(0.0)
    no_answer_probability: float = 0.0
    agent_hangup_share: float = 0.5
    prompt_time: float = 10.0
    press_one_share: float = 0.6
    ready_after_pause: float = 30.0  # an agent paused for a missed ring presses "ready" this much later


@dataclass(frozen=True)
class CallbackBehaviour:
    reach_probability: float = 0.8
    decay: float = 3600.0  # reach probability falls as exp(-delay / decay)
    dial_time: float = 20.0
    talk: Distribution = Fixed(120.0)
    outcomes: tuple[tuple[str, float], ...] = (
        ("ordered", 0.4),
        ("inquiry", 0.3),
        ("cancelled", 0.2),
        ("complaint", 0.1),
    )


@dataclass(frozen=True)
class AgentShift:
    agent_id: str
    start: float  # offsets from the start of the run
    end: float
    break_at: float | None = None
    break_length: float = 0.0


@dataclass(frozen=True)
class TracedCalls:
    """Recorded calls replayed as they came (a trace-driven what-if) instead of sampled ones: one entry per
    call, in arrival order; offsets from the epoch. A patience of ``inf`` never runs out."""

    call_ids: tuple[str, ...]
    offsets: tuple[float, ...]
    hotlines: tuple[str, ...]
    callers: tuple[str, ...]
    patience: tuple[float, ...]
    handle: tuple[float, ...]


@dataclass(frozen=True)
class AgentOrder:
    """A person's order at a recorded moment (offset from the epoch): ``login``, ``ready``, ``not_ready``
    or ``logout``; an order that does not apply to the agent's simulated state is dropped. ``take_one``:
    the agent answered a call at this moment, so they are ready for one more call and pause after it; with
    ``talk``, that call lasts as long as the recorded one (the agent's pace, whichever caller they get)."""

    offset: float
    agent_id: str
    order: str
    talk: float | None = None


@dataclass(frozen=True)
class SimSetup:
    epoch: float  # wall-clock time of offset 0, in epoch seconds
    demand: dict[str, RateFunction]  # hotline -> arrival rate
    behaviour: CallBehaviour
    shifts: tuple[AgentShift, ...]
    callers: CallerMix = CallerMix()
    callbacks: CallbackBehaviour = CallbackBehaviour()
    work_callbacks: bool = True  # simulate the outbound calls the core dispatches
    trace: TracedCalls | None = None  # recorded calls instead of ``demand`` and the sampled callers
    agent_orders: tuple[AgentOrder, ...] = ()  # recorded agents' availability, beside the shifts


@dataclass
class RunStats:
    calls: int = 0
    callbacks_dialled: int = 0
    end_time: float = 0.0
    notes: list[str] = field(default_factory=list)


def outcome_table(outcomes: tuple[tuple[str, float], ...]) -> tuple[list[str], list[float]]:
    """Names and the cumulative shares that ``rng.choice(n, p=shares)`` searches (right side) for one
    uniform number: the same draw from the stream at a twentieth of the cost of ``choice`` per call."""
    weights = np.array([w for _, w in outcomes], dtype=float)
    cumulative = (weights / weights.sum()).cumsum()
    cumulative /= cumulative[-1]
    return [name for name, _ in outcomes], cumulative.tolist()


def _mobile_numbers(rng: np.random.Generator, n: int) -> list[str]:
    prefixes = rng.integers(13, 20, n)
    rest = rng.integers(0, 10**9, n)
    return [f"{p}{r:09d}" for p, r in zip(prefixes.tolist(), rest.tolist())]


class CallCenterModel:
    """One replication: owns the SimPy environment and the random streams, drives one ``CallCenter``."""

    def __init__(self, center: CallCenter, setup: SimSetup, seed: np.random.SeedSequence) -> None:
        self.center = center
        self.setup = setup
        self.env = simpy.Environment(initial_time=setup.epoch)
        # one generator per stream, derived without mutating ``seed`` (same seed, same streams, every time)
        self.rng = {
            name: np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, i)))
            for i, name in enumerate(STREAMS)
        }
        self.stats = RunStats()
        self._wakers: dict[str, int | None] = {}  # call -> its index while it waits (None: arriving)
        self._woken: dict[str, str] = {}
        self._cancelled: set[int] = set()  # tokens of timers the core cancelled that are still scheduled
        self._answer_now: list[tuple[str, str]] = []
        self._calls_granted: dict[str, deque] = {}  # agent -> talk times of the calls still to take (take_one)
        self._pause_now: list[str] = []
        self._live = 0
        self._arrivals_done = False
        self._done = self.env.event()
        # what each kind of wake-up runs (shared tuples: nothing allocated per wake-up)
        self._on_arrival, self._on_patience = (self._arrival_due,), (self._patience_over,)
        self._on_talk, self._on_prompt = (self._talk_over,), (self._prompt_over,)
        self._on_timer, self._on_ready, self._on_answer = (self._timer_fired,), (self._ready,), (self._answered,)
        self._on_dial, self._on_dialled = (self._dial,), (self._dialled,)
        self._on_lane = (self._lane_due,)
        self._lanes: dict[str, TimerLane] = {}
        self._outcomes = outcome_table(setup.callbacks.outcomes)
        self._plan_calls()

    # --- the call plan: everything about each caller drawn up front, one stream per quantity -----------

    def _plan_calls(self) -> None:
        setup, rng, behaviour = self.setup, self.rng, self.setup.behaviour
        if setup.trace is not None:  # the recorded calls, as they came
            trace = setup.trace
            self.arrival_offsets, self.hotline_of = list(trace.offsets), list(trace.hotlines)
            self.call_ids, self.callers = list(trace.call_ids), list(trace.callers)
            self.patience, self.handle = list(trace.patience), list(trace.handle)
            n = len(self.call_ids)
        else:
            times, lines = [], []
            for number in sorted(setup.demand):
                offsets = sample_arrivals(setup.demand[number], rng["arrivals"])
                times.append(offsets)
                lines.extend([number] * len(offsets))
            offsets = np.concatenate(times) if times else np.empty(0)
            order = np.argsort(offsets, kind="stable")
            self.arrival_offsets = offsets[order].tolist()
            self.hotline_of = [lines[i] for i in order.tolist()]
            n = len(self.arrival_offsets)
            self.call_ids = [f"c{i:07d}" for i in range(n)]
            self.callers = self._draw_callers(n)
            self.patience = behaviour.patience.sample(rng["patience"], n).tolist()
            self.handle = behaviour.handle.sample(rng["handle"], n).tolist()
        self.agent_hangs_up = (rng["hangup"].random(n) < behaviour.agent_hangup_share).tolist()
        self.presses_one = (rng["prompt"].random(n) < behaviour.press_one_share).tolist()
        self._index = {call_id: i for i, call_id in enumerate(self.call_ids)}
        self._instant_ring = (
            behaviour.no_answer_probability == 0
            and isinstance(behaviour.ring_time, Fixed)
            and behaviour.ring_time.value == 0
        )
        self.stats.calls = n

    def _draw_callers(self, n: int) -> list[str]:
        mix, rng = self.setup.callers, self.rng["callers"]
        numbers = _mobile_numbers(rng, n)
        kind = rng.random(n)
        pick = rng.random(n)
        edges = np.cumsum([mix.blacklist_share, mix.vip_share, mix.important_share, mix.repeat_share])
        for i in np.flatnonzero(kind < edges[-1]).tolist():
            u = kind[i]
            pool = (
                mix.blacklist
                if u < edges[0]
                else mix.vip
                if u < edges[1]
                else mix.important
                if u < edges[2]
                else numbers[:i]
            )
            if pool:
                numbers[i] = pool[int(pick[i] * len(pool))]
        return numbers

    # --- running ----------------------------------------------------------------------------------

    def run(self) -> RunStats:
        env = self.env
        with rare_garbage_collection():
            self._do(self.center.handle(Start(env.now)))  # arms surge mode from the airing schedule
            env.process(self._arrivals())
            env.process(self._shifts())
            run_until(self.env, self._done)
        self.stats.end_time = env.now
        return self.stats

    def _arrivals(self):
        """Started as a process (so it begins where the arrival process always began); then a chain of
        timeout callbacks, one per arrival, without resuming a generator each time."""
        self._arrivals_from(0)
        return
        yield  # a generator, for env.process

    def _arrivals_from(self, i: int) -> None:
        env, epoch, offsets = self.env, self.setup.epoch, self.arrival_offsets
        while i < len(offsets):
            delay = epoch + offsets[i] - env.now
            if delay > 0:
                wake_after(env, delay, self._on_arrival, i)
                return
            self._arrive(i)
            i += 1
        self._arrivals_done = True
        self._check_done()

    def _arrival_due(self, event: Wake) -> None:
        i = event.arg
        self._arrive(i)
        self._arrivals_from(i + 1)

    def _check_done(self) -> None:
        if self._arrivals_done and self._live == 0 and not self._done.triggered:
            self._done.succeed()

    # A caller is a chain of callbacks on timeouts rather than a SimPy process: the same events at the same
    # times, without a process, a wake event and an AnyOf condition per call (the twin's hot path).

    def _arrive(self, i: int) -> None:
        call_id = self.call_ids[i]
        self._live += 1
        self._wakers[call_id] = None  # not waiting yet: most callers are answered while they arrive
        self._do(self.center.handle(CallArrived(self.env.now, call_id, self.callers[i], self.hotline_of[i])))
        why = self._woken.pop(call_id, None)
        if why is None:
            self._wakers[call_id] = i  # waiting: woken by the core's action, or hangs up after its patience
            wake_after(self.env, self.patience[i], self._on_patience, i)
        else:
            self._proceed(i, why)

    def _patience_over(self, event: Wake) -> None:
        i = event.arg
        call_id = self.call_ids[i]
        if self._wakers.get(call_id, -1) != i:
            return  # woken before its patience ran out
        del self._wakers[call_id]
        self._do(self.center.handle(CallerHungUp(self.env.now, call_id)))
        self._gone()

    def _proceed(self, i: int, why: str) -> None:
        if why == "talk":
            wake_after(self.env, self.handle[i], self._on_talk, i)
        elif why == "prompt":
            wake_after(self.env, self.setup.behaviour.prompt_time, self._on_prompt, i)
        else:
            self._gone()

    def _talk_over(self, event: Wake) -> None:
        i = event.arg
        ended = AgentHungUp if self.agent_hangs_up[i] else CallerHungUp
        self._do(self.center.handle(ended(self.env.now, self.call_ids[i])))
        self._gone()

    def _prompt_over(self, event: Wake) -> None:
        i = event.arg
        call_id = self.call_ids[i]
        if self.presses_one[i]:
            self._do(self.center.handle(PromptFinished(self.env.now, call_id, "1")))
        else:
            self._do(self.center.handle(CallerHungUp(self.env.now, call_id)))
        self._gone()

    def _gone(self) -> None:
        self._live -= 1
        self._check_done()

    def _wake(self, call_id: str, why: str) -> None:
        if call_id not in self._wakers:
            return  # the caller is gone already, or was woken before
        waiting = self._wakers.pop(call_id)
        if waiting is None:
            self._woken[call_id] = why  # woken while still arriving: _arrive picks it up
        else:
            self._proceed(waiting, why)

    def _do(self, actions: list) -> None:
        """Carry out the core's actions; rings answered at once are reported after the whole batch."""
        env = self.env
        for action in actions:
            kind = type(action)
            if kind is StartTimer:
                self._start_timer(action)
            elif kind is CancelTimer:
                self._cancelled.add(action.timer.token)
            elif kind is RingAgent:
                self._ring(action)
            elif kind is ConnectCall:
                self._took_call(action.call_id, action.agent_id)
                self._wake(action.call_id, "talk")
            elif kind is PlayCallbackPrompt:
                self._wake(action.call_id, "prompt")
            elif kind is HangUp or kind is PlaySurvey:  # the twin does not simulate survey answers
                self._wake(action.call_id, "gone")
            elif kind is AgentPaused:
                ready = MakeReady(0.0, action.agent_id)
                wake_after(env, self.setup.behaviour.ready_after_pause, self._on_ready, ready)
            elif kind is DialCallback and self.setup.work_callbacks:
                wake_after(env, 0.0, self._on_dial, action, URGENT)
            # HoldCall and StopRinging need nothing here.
        if self._answer_now:
            answers, self._answer_now = self._answer_now, []
            for call_id, agent_id in answers:
                self._do(self.center.handle(AgentAnswered(env.now, call_id, agent_id)))
        if self._pause_now:
            agents, self._pause_now = self._pause_now, []
            for agent_id in agents:  # talking: the core pauses them when this call ends
                self._do(self.center.handle(MakeNotReady(env.now, agent_id, "recorded")))

    def _took_call(self, call_id: str, agent_id: str) -> None:
        granted = self._calls_granted.get(agent_id)
        if not granted:
            return
        talk = granted.popleft()
        if talk is not None:
            self.handle[self._index[call_id]] = talk
        if not granted:
            del self._calls_granted[agent_id]
            self._pause_now.append(agent_id)

    def _start_timer(self, action: StartTimer) -> None:
        env, timer = self.env, action.timer
        delay = action.at - env._now
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        at = env._now + delay  # as env.timeout computes it: the same float
        lane = self._lanes.get(timer.kind)
        if lane is None:
            lane = self._lanes[timer.kind] = TimerLane()
        timers = lane.timers
        if not timers:
            timers.append((at, next(env._eid), timer))
            queue_first(env, lane, self._on_lane)
        elif at >= timers[-1][0]:
            timers.append((at, next(env._eid), timer))
        else:  # out of order (a new configuration's delay): queued on its own
            wake_after(env, delay, self._on_timer, timer)

    def _lane_due(self, lane: TimerLane) -> None:
        timers, cancelled = lane.timers, self._cancelled
        timer = timers.popleft()[2]
        while timers and timers[0][2].token in cancelled:
            cancelled.discard(timers.popleft()[2].token)
        if timers:
            queue_first(self.env, lane, self._on_lane)
        self._fire(timer)

    def _timer_fired(self, event: Wake) -> None:
        self._fire(event.arg)

    def _fire(self, timer: Timer) -> None:
        if timer.token in self._cancelled:  # the core would ignore it (tokens are never reused): skip the call
            self._cancelled.discard(timer.token)
            return
        self._do(self.center.handle(TimerFired(self.env.now, timer)))

    def _ring(self, action: RingAgent) -> None:
        if self._instant_ring:
            self._answer_now.append((action.call_id, action.agent_id))
            return
        behaviour, rng = self.setup.behaviour, self.rng["ring"]
        if rng.random() < behaviour.no_answer_probability:
            return  # the phone rings out; the core's ring timer decides
        delay = float(behaviour.ring_time.draw(rng))
        answered = AgentAnswered(0.0, action.call_id, action.agent_id)
        wake_after(self.env, delay, self._on_answer, answered)

    def _ready(self, event: Wake) -> None:
        ready = event.arg
        ready.now = self.env.now
        try:
            self._do(self.center.handle(ready))
        except CommandRejected:
            pass  # the shift ended while the agent was paused: nobody is there to press "ready"

    def _answered(self, event: Wake) -> None:
        answered = event.arg
        self._do(self.center.handle(AgentAnswered(self.env.now, answered.call_id, answered.agent_id)))

    def _shifts(self):
        env, epoch = self.env, self.setup.epoch
        plan = []
        for shift in self.setup.shifts:
            plan.append((shift.start, 0, LogIn, shift.agent_id, None))
            if shift.break_at is not None and shift.start < shift.break_at < shift.end:
                plan.append((shift.break_at, 1, MakeNotReady, shift.agent_id, None))
                back = min(shift.break_at + shift.break_length, shift.end)
                plan.append((back, 2, MakeReady, shift.agent_id, None))
            plan.append((shift.end, 3, LogOut, shift.agent_id, None))
        recorded = {
            "login": (0, LogIn),
            "not_ready": (1, MakeNotReady),
            "ready": (2, MakeReady),
            "take_one": (2, MakeReady),
            "logout": (3, LogOut),
        }
        for order in self.setup.agent_orders:
            rank, command = recorded[order.order]
            plan.append((order.offset, rank + 4, command, order.agent_id, order))
        plan.sort(key=lambda p: (p[0], p[1] % 4, p[3]))
        for offset, rank, command, agent_id, order in plan:
            delay = epoch + offset - env.now
            if delay > 0:
                yield env.timeout(delay)
            if command is MakeNotReady:
                message = MakeNotReady(env.now, agent_id, "break" if rank < 4 else "recorded")
            else:
                message = command(env.now, agent_id)
            if rank < 4:
                self._do(self.center.handle(message))
                continue
            try:
                if order.order == "take_one":
                    self._calls_granted.setdefault(agent_id, deque()).append(order.talk)
                self._do(self.center.handle(message))
            except CommandRejected:
                pass  # e.g. "ready" for an agent the what-if logged out already: the recorded moment passed

    def _dial(self, event: Wake) -> None:
        """A callback the core dispatched: first woken as a new SimPy process would start (urgent, at once)."""
        action: DialCallback = event.arg
        env, rng, spec = self.env, self.rng["callback"], self.setup.callbacks
        self.stats.callbacks_dialled += 1
        self._live += 1
        ticket = self.center.tickets.tickets[action.ticket_id]
        reach = spec.reach_probability * math.exp(-(env.now - ticket.created_at) / spec.decay)
        if rng.random() < reach:
            talk = float(spec.talk.draw(rng))
            names, cumulative = self._outcomes
            outcome = names[bisect_right(cumulative, rng.random())]  # what rng.choice(len(names), p=...) draws
            wake_after(env, spec.dial_time / 2 + talk, self._on_dialled, (action, outcome))
        else:
            wake_after(env, spec.dial_time, self._on_dialled, (action, "unreachable"))

    def _dialled(self, event: Wake) -> None:
        action, outcome = event.arg
        self._do(self.center.handle(CompleteCallback(self.env.now, action.agent_id, action.ticket_id, outcome)))
        self._live -= 1
        self._check_done()
