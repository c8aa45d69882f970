"""The SimPy driver: simulated callers, agents and phones around the real core.

It holds no routing rule. It makes callers arrive, wait with a patience, talk for a handle time and hang
up; it makes agents log in and out by shift and answer rings; it carries out the core's actions (timers
included) and reports back what happened, with ``now`` taken from the simulation clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import simpy

from adapters.sim.arrivals import RateFunction, sample_arrivals
from adapters.sim.distributions import Distribution, Fixed
from core.center import CallCenter, CommandRejected
from core.messages import (
    AgentAnswered,
    AgentHungUp,
    AgentPaused,
    CallArrived,
    CallerHungUp,
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
    TimerFired,
)

STREAMS = ("arrivals", "callers", "patience", "handle", "hangup", "ring", "prompt", "callback")


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
    outcomes: tuple[tuple[str, float], ...] = (("ordered", 0.4), ("inquiry", 0.3), ("cancelled", 0.2), ("complaint", 0.1))


@dataclass(frozen=True)
class AgentShift:
    agent_id: str
    start: float  # offsets from the start of the run
    end: float
    break_at: float | None = None
    break_length: float = 0.0


@dataclass(frozen=True)
class SimSetup:
    epoch: float  # wall-clock time of offset 0, in epoch seconds
    demand: dict[str, RateFunction]  # hotline -> arrival rate
    behaviour: CallBehaviour
    shifts: tuple[AgentShift, ...]
    callers: CallerMix = CallerMix()
    callbacks: CallbackBehaviour = CallbackBehaviour()
    work_callbacks: bool = True  # simulate the outbound calls the core dispatches


@dataclass
class RunStats:
    calls: int = 0
    callbacks_dialled: int = 0
    end_time: float = 0.0
    notes: list[str] = field(default_factory=list)


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
        self._wakers: dict[str, simpy.Event | None] = {}
        self._woken: dict[str, str] = {}
        self._answer_now: list[tuple[str, str]] = []
        self._live = 0
        self._arrivals_done = False
        self._done = self.env.event()
        self._plan_calls()

    # --- the call plan: everything about each caller drawn up front, one stream per quantity -----------

    def _plan_calls(self) -> None:
        setup, rng = self.setup, self.rng
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
        behaviour = setup.behaviour
        self.patience = behaviour.patience.sample(rng["patience"], n).tolist()
        self.handle = behaviour.handle.sample(rng["handle"], n).tolist()
        self.agent_hangs_up = (rng["hangup"].random(n) < behaviour.agent_hangup_share).tolist()
        self.presses_one = (rng["prompt"].random(n) < behaviour.press_one_share).tolist()
        self._index = {call_id: i for i, call_id in enumerate(self.call_ids)}
        self._instant_ring = behaviour.no_answer_probability == 0 and isinstance(behaviour.ring_time, Fixed) \
            and behaviour.ring_time.value == 0
        self.stats.calls = n

    def _draw_callers(self, n: int) -> list[str]:
        mix, rng = self.setup.callers, self.rng["callers"]
        numbers = _mobile_numbers(rng, n)
        kind = rng.random(n)
        pick = rng.random(n)
        edges = np.cumsum([mix.blacklist_share, mix.vip_share, mix.important_share, mix.repeat_share])
        for i in np.flatnonzero(kind < edges[-1]).tolist():
            u = kind[i]
            pool = (mix.blacklist if u < edges[0] else mix.vip if u < edges[1] else mix.important if u < edges[2]
                    else numbers[:i])
            if pool:
                numbers[i] = pool[int(pick[i] * len(pool))]
        return numbers

    # --- running ----------------------------------------------------------------------------------

    def run(self) -> RunStats:
        env = self.env
        self._do(self.center.handle(Start(env.now)))  # arms surge mode from the airing schedule
        env.process(self._arrivals())
        env.process(self._shifts())
        env.run(until=self._done)
        self.stats.end_time = env.now
        return self.stats

    def _arrivals(self):
        env = self.env
        epoch = self.setup.epoch
        for i, offset in enumerate(self.arrival_offsets):
            delay = epoch + offset - env.now
            if delay > 0:
                yield env.timeout(delay)
            self._live += 1
            env.process(self._call(i))
        self._arrivals_done = True
        self._check_done()

    def _check_done(self) -> None:
        if self._arrivals_done and self._live == 0 and not self._done.triggered:
            self._done.succeed()

    def _call(self, i: int):
        env, center = self.env, self.center
        call_id = self.call_ids[i]
        self._wakers[call_id] = None  # no event yet: most callers are answered before they ever wait
        self._do(center.handle(CallArrived(env.now, call_id, self.callers[i], self.hotline_of[i])))
        why = self._woken.pop(call_id, None)
        if why is None:
            wake = self._wakers[call_id] = env.event()
            yield wake | env.timeout(self.patience[i])
            if wake.triggered:
                why = wake.value
            else:
                del self._wakers[call_id]
                self._do(center.handle(CallerHungUp(env.now, call_id)))
        if why is not None:
            if why == "talk":
                yield env.timeout(self.handle[i])
                ended = AgentHungUp if self.agent_hangs_up[i] else CallerHungUp
                self._do(center.handle(ended(env.now, call_id)))
            elif why == "prompt":
                yield env.timeout(self.setup.behaviour.prompt_time)
                if self.presses_one[i]:
                    self._do(center.handle(PromptFinished(env.now, call_id, "1")))
                else:
                    self._do(center.handle(CallerHungUp(env.now, call_id)))
        self._live -= 1
        self._check_done()

    def _wake(self, call_id: str, why: str) -> None:
        if call_id not in self._wakers:
            return  # the caller is gone already, or was woken before
        wake = self._wakers.pop(call_id)
        if wake is None:
            self._woken[call_id] = why  # woken while still arriving: _call picks it up without waiting
        elif not wake.triggered:
            wake.succeed(why)

    def _do(self, actions: list) -> None:
        """Carry out the core's actions; rings answered at once are reported after the whole batch."""
        env = self.env
        for action in actions:
            kind = type(action)
            if kind is StartTimer:
                env.timeout(action.at - env.now).callbacks.append(partial(self._timer_fired, action.timer))
            elif kind is RingAgent:
                self._ring(action)
            elif kind is ConnectCall:
                self._wake(action.call_id, "talk")
            elif kind is PlayCallbackPrompt:
                self._wake(action.call_id, "prompt")
            elif kind is HangUp or kind is PlaySurvey:  # the twin does not simulate survey answers
                self._wake(action.call_id, "gone")
            elif kind is AgentPaused:
                ready = MakeReady(0.0, action.agent_id)
                env.timeout(self.setup.behaviour.ready_after_pause).callbacks.append(partial(self._ready, ready))
            elif kind is DialCallback and self.setup.work_callbacks:
                env.process(self._callback(action))
            # HoldCall, StopRinging and CancelTimer need nothing here: a cancelled timer that still fires
            # is recognised as stale by the core.
        if self._answer_now:
            answers, self._answer_now = self._answer_now, []
            for call_id, agent_id in answers:
                self._do(self.center.handle(AgentAnswered(env.now, call_id, agent_id)))

    def _timer_fired(self, timer, _event) -> None:
        self._do(self.center.handle(TimerFired(self.env.now, timer)))

    def _ring(self, action: RingAgent) -> None:
        if self._instant_ring:
            self._answer_now.append((action.call_id, action.agent_id))
            return
        behaviour, rng = self.setup.behaviour, self.rng["ring"]
        if rng.random() < behaviour.no_answer_probability:
            return  # the phone rings out; the core's ring timer decides
        delay = float(behaviour.ring_time.sample(rng, 1)[0])
        answered = AgentAnswered(0.0, action.call_id, action.agent_id)
        self.env.timeout(delay).callbacks.append(partial(self._answered, answered))

    def _ready(self, ready: MakeReady, _event) -> None:
        ready.now = self.env.now
        try:
            self._do(self.center.handle(ready))
        except CommandRejected:
            pass  # the shift ended while the agent was paused: nobody is there to press "ready"

    def _answered(self, answered: AgentAnswered, _event) -> None:
        self._do(self.center.handle(AgentAnswered(self.env.now, answered.call_id, answered.agent_id)))

    def _shifts(self):
        env, epoch = self.env, self.setup.epoch
        plan = []
        for shift in self.setup.shifts:
            plan.append((shift.start, 0, LogIn, shift.agent_id))
            if shift.break_at is not None and shift.start < shift.break_at < shift.end:
                plan.append((shift.break_at, 1, MakeNotReady, shift.agent_id))
                back = min(shift.break_at + shift.break_length, shift.end)
                plan.append((back, 2, MakeReady, shift.agent_id))
            plan.append((shift.end, 3, LogOut, shift.agent_id))
        plan.sort(key=lambda p: (p[0], p[1], p[3]))
        for offset, _, command, agent_id in plan:
            delay = epoch + offset - env.now
            if delay > 0:
                yield env.timeout(delay)
            if command is MakeNotReady:
                message = MakeNotReady(env.now, agent_id, "break")
            else:
                message = command(env.now, agent_id)
            self._do(self.center.handle(message))

    def _callback(self, action: DialCallback):
        env, rng, spec = self.env, self.rng["callback"], self.setup.callbacks
        self.stats.callbacks_dialled += 1
        self._live += 1
        ticket = self.center.tickets.tickets[action.ticket_id]
        reach = spec.reach_probability * math.exp(-(env.now - ticket.created_at) / spec.decay)
        if rng.random() < reach:
            talk = float(spec.talk.sample(rng, 1)[0])
            names = [name for name, _ in spec.outcomes]
            weights = np.array([w for _, w in spec.outcomes], dtype=float)
            outcome = names[int(rng.choice(len(names), p=weights / weights.sum()))]
            yield env.timeout(spec.dial_time / 2 + talk)
        else:
            outcome = "unreachable"
            yield env.timeout(spec.dial_time)
        self._do(self.center.handle(CompleteCallback(env.now, action.agent_id, action.ticket_id, outcome)))
        self._live -= 1
        self._check_done()
