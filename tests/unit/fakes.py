"""Test doubles for the core: config builders, a deterministic driver with a timer heap, log helpers.

The driver plays the part a real driver (SimPy twin, Asterisk) plays: it feeds messages to
``CallCenter.handle``, keeps the timers the core asks for in a heap and fires them when the test advances
time, and tracks what every agent's phone is doing from the actions alone. Its tracking asserts the
"one call per agent, one agent per call" invariant on every action, so any test that drives the core
through it checks that invariant for free.
Over 400 lines: the one set of test doubles for the core (config builders, the driver and its steps), so no
test file keeps a copy of them.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
from collections import deque
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable

from core.center import CallCenter, CommandRejected
from core.config import AgentProfile, CenterConfig, Hotline, Policy
from core.log import TERMINAL_VERBS, LogRecord, Verb
from core.messages import (
    AgentAnswered,
    AgentDidNotAnswer,
    AgentHungUp,
    CallArrived,
    CallbackAgentDidNotAnswer,
    CallerHungUp,
    CancelTimer,
    ClaimCallback,
    CompleteCallback,
    ConnectCall,
    DialCallback,
    HangUp,
    HoldCall,
    LogIn,
    LogOut,
    MakeNotReady,
    MakeReady,
    PlayCallbackPrompt,
    PromptFinished,
    RingAgent,
    StartTimer,
    StopRinging,
    TimerFired,
    TransferCaller,
)

CST = timezone(timedelta(hours=8))
# Monday 2024-01-01 10:00 China Standard Time, as epoch seconds (computed, not read from a clock)
T0 = datetime(2024, 1, 1, 10, 0, tzinfo=CST).timestamp()


def local_epoch(year: int, month: int, day: int, hour: int, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=CST).timestamp()


# --- config builders -------------------------------------------------------------------------------


def agents(*specs) -> tuple[AgentProfile, ...]:
    """``agents("a1", ("a2", {"sales": 2}))``: a bare id gets skill sales at level 1."""
    out = []
    for spec in specs:
        if isinstance(spec, str):
            out.append(AgentProfile(spec, {"sales": 1}))
        else:
            agent_id, skills = spec
            out.append(AgentProfile(agent_id, dict(skills)))
    return tuple(out)


DEFAULT_HOTLINES = (Hotline("400", "sales"), Hotline("800", "service"))


def make_config(agent_specs=("a1", "a2", "a3"), *, hotlines=DEFAULT_HOTLINES, **kw) -> CenterConfig:
    policy_fields = set(Policy.__dataclass_fields__)
    policy_kw = {k: v for k, v in kw.items() if k in policy_fields}
    config_kw = {k: v for k, v in kw.items() if k not in policy_fields}
    policy_kw.setdefault("callback_reserve", None)  # unit tests opt in to callback dispatch
    return CenterConfig(agents(*agent_specs), tuple(hotlines), Policy(**policy_kw), **config_kw)


def make_center(agent_specs=("a1", "a2", "a3"), *, rng=None, history=None, **kw) -> CallCenter:
    return CallCenter(make_config(agent_specs, **kw), rng=rng, history=history)


# --- log helpers -----------------------------------------------------------------------------------


def verbs(log: Iterable[LogRecord], *, call_id: str | None = None, agent: str | None = None) -> list[str]:
    return [r.verb for r in log if (call_id is None or r.call_id == call_id) and (agent is None or r.agent == agent)]


def records(log: Iterable[LogRecord], verb: str, **match) -> list[LogRecord]:
    return [r for r in log if r.verb == verb and all(getattr(r, k) == v for k, v in match.items())]


def terminal(log: Iterable[LogRecord], call_id: str) -> list[LogRecord]:
    return [r for r in log if r.call_id == call_id and r.verb in TERMINAL_VERBS]


def of_type(actions, kind) -> list:
    return [a for a in actions if isinstance(a, kind)]


def assert_indexes_agree(center: CallCenter) -> None:
    """The core's indexes agree with its agents: idle lists, idle count, logged-in counts per group."""
    ready = [a for a in center.agents.values() if a.state == "ready"]
    assert center.n_idle == len(ready)
    for group in center.groups:
        assert set(center.idle[group]) == {a.agent_id for a in ready if group in a.skills}, group
        assert center.logged_in[group] == sum(
            1 for a in center.agents.values() if a.state != "out" and group in a.skills_to_come
        ), group


# --- the driver ------------------------------------------------------------------------------------

Reaction = Callable[["Driver"], object]  # returns a message to send, or None


class Driver:
    """Feeds the core, keeps its timers in a heap, and tracks every phone from the actions.

    Hooks (all optional) let a test script the outside world: each returns an iterable of
    ``(delay, reaction)`` pairs, where ``delay`` None means "at once, before anything else happens"
    and ``reaction`` is a message or a callable ``driver -> message | None`` evaluated when it is due.
    """

    def __init__(
        self,
        center: CallCenter,
        *,
        now: float = T0,
        honor_cancel: bool = True,
        on_ring=None,
        on_connect=None,
        on_prompt=None,
        on_dial=None,
        check=None,
    ) -> None:
        self.center = center
        self.now = now
        self.honor_cancel = honor_cancel
        self.on_ring = on_ring
        self.on_connect = on_connect
        self.on_prompt = on_prompt
        self.on_dial = on_dial
        self.check = check
        self._heap: list = []
        self._seq = itertools.count()
        self._immediate: deque = deque()
        self.cancelled: set[int] = set()
        self.timers: dict[int, StartTimer] = {}  # token -> pending StartTimer
        self.actions: list = []
        self.ringing: dict[str, str] = {}  # agent -> call ringing on their phone
        self.talking: dict[str, str] = {}  # agent -> call bridged to them
        self.dialing: dict[str, str] = {}  # agent -> callback ticket they dial
        self.agent_of: dict[str, str] = {}  # call -> agent ringing or talking
        self.ring_gen: dict[tuple[str, str], int] = {}
        self.connected: set[str] = set()  # calls ever bridged to an agent
        self.held: set[str] = set()
        self.prompted: set[str] = set()
        self.hung_up: dict[str, str] = {}  # call -> reason of the core's HangUp
        self.arrived: list[str] = []
        self.rejected: list[tuple[object, CommandRejected]] = []
        self.max_busy = 0

    @property
    def log(self) -> list[LogRecord]:
        return self.center.log

    # --- sending ---

    def send(self, msg) -> list:
        """Hand one message to the core; raises CommandRejected as the core does."""
        if getattr(msg, "now", self.now) > self.now:
            self.now = msg.now
        before = len(self.center.log)
        try:
            actions = self.center.handle(msg)
        except CommandRejected:
            assert len(self.center.log) == before, f"rejected {msg} but logged {self.center.log[before:]}"
            raise
        if isinstance(msg, CallArrived):
            self.arrived.append(msg.call_id)
        if isinstance(msg, CompleteCallback):
            assert self.dialing.get(msg.agent_id) == msg.ticket_id
            del self.dialing[msg.agent_id]
        if isinstance(msg, CallbackAgentDidNotAnswer) and self.dialing.get(msg.agent_id) == msg.ticket_id:
            del self.dialing[msg.agent_id]  # a late report of an ended callback changes nothing
        self.actions.extend(actions)
        for action in actions:
            self._track(action)
        for action in actions:  # a ring may be stopped after the prompt starts, but in the same batch
            if isinstance(action, PlayCallbackPrompt):
                assert action.call_id not in self.agent_of, f"{action.call_id} in the prompt still rings"
        if self.check is not None:
            self.check(self, msg, actions)
        self._drain()
        return actions

    def try_send(self, msg) -> list | None:
        try:
            return self.send(msg)
        except CommandRejected as error:
            self.rejected.append((msg, error))
            return None

    def _drain(self) -> None:
        while self._immediate:
            reaction = self._immediate.popleft()
            self._deliver(reaction)

    def _deliver(self, reaction) -> None:
        msg = reaction(self) if callable(reaction) else reaction
        if msg is None:
            return
        if hasattr(msg, "now") and msg.now != self.now:
            msg = dataclasses.replace(msg, now=self.now)
        if isinstance(msg, (ClaimCallback, CompleteCallback, LogIn, LogOut, MakeReady, MakeNotReady)):
            self.try_send(msg)
        else:
            self.send(msg)

    def schedule(self, at: float, reaction) -> None:
        heapq.heappush(self._heap, (at, next(self._seq), "event", reaction))

    def _react(self, pairs) -> None:
        for delay, reaction in pairs or ():
            if delay is None:
                self._immediate.append(reaction)
            else:
                self.schedule(self.now + delay, reaction)

    # --- tracking (asserts one call per agent and one agent per call) ---

    def busy(self, agent_id: str) -> bool:
        return agent_id in self.ringing or agent_id in self.talking or agent_id in self.dialing

    def _track(self, action) -> None:
        if isinstance(action, StartTimer):
            self.timers[action.timer.token] = action
            heapq.heappush(self._heap, (action.at, next(self._seq), "timer", action))
        elif isinstance(action, CancelTimer):
            self.cancelled.add(action.timer.token)
            self.timers.pop(action.timer.token, None)
        elif isinstance(action, RingAgent):
            call, agent = action.call_id, action.agent_id
            assert not self.busy(agent), f"{agent} rung with {call} while holding {self._holding(agent)}"
            assert call not in self.agent_of, f"{call} rung at {agent} while at {self.agent_of[call]}"
            assert call not in self.hung_up, f"{call} rung after it ended"
            self.ringing[agent] = call
            self.agent_of[call] = agent
            key = (call, agent)
            self.ring_gen[key] = self.ring_gen.get(key, 0) + 1
            if self.on_ring:
                self._react(self.on_ring(self, call, agent, self.ring_gen[key]))
        elif isinstance(action, StopRinging):
            if self.ringing.get(action.agent_id) == action.call_id:
                del self.ringing[action.agent_id]
                del self.agent_of[action.call_id]
        elif isinstance(action, ConnectCall):
            call, agent = action.call_id, action.agent_id
            assert self.ringing.get(agent) == call, f"connect {call} to {agent} that was not ringing it"
            del self.ringing[agent]
            self.talking[agent] = call
            self.connected.add(call)
            if self.on_connect:
                self._react(self.on_connect(self, call, agent))
        elif isinstance(action, (HangUp, TransferCaller)):  # either way the call is over for us
            call = action.call_id
            assert call not in self.hung_up, f"{call} hung up twice"
            self.hung_up[call] = action.reason if isinstance(action, HangUp) else "transferred"
            agent = self.agent_of.pop(call, None)
            if agent is not None:
                assert self.talking.get(agent) == call, f"hang up {call} still ringing at {agent}"
                del self.talking[agent]
        elif isinstance(action, DialCallback):
            holding = self._holding(action.agent_id)
            assert not self.busy(action.agent_id), f"{action.agent_id} dials while holding {holding}"
            self.dialing[action.agent_id] = action.ticket_id
            if self.on_dial:
                self._react(self.on_dial(self, action.ticket_id, action.agent_id))
        elif isinstance(action, HoldCall):
            self.held.add(action.call_id)
        elif isinstance(action, PlayCallbackPrompt):
            self.prompted.add(action.call_id)
            if self.on_prompt:
                self._react(self.on_prompt(self, action.call_id))
        self.max_busy = max(self.max_busy, len(self.ringing) + len(self.talking) + len(self.dialing))

    def _holding(self, agent: str):
        return self.ringing.get(agent), self.talking.get(agent), self.dialing.get(agent)

    # --- time ---

    def run_until(self, until: float) -> None:
        """Fire timers and scheduled reactions due up to ``until`` in time order, then set the clock there."""
        while self._heap and self._heap[0][0] <= until:
            at, _, kind, item = heapq.heappop(self._heap)
            self.now = max(self.now, at)
            if kind == "timer":
                token = item.timer.token
                if self.honor_cancel and token in self.cancelled:
                    continue
                self.timers.pop(token, None)
                self.send(TimerFired(self.now, item.timer))
            else:
                self._deliver(item)
                self._drain()
        self.now = max(self.now, until)

    def advance(self, seconds: float) -> None:
        self.run_until(self.now + seconds)

    def run(self, limit: int = 200_000) -> None:
        """Run until nothing is pending."""
        steps = 0
        while self._heap:
            steps += 1
            assert steps < limit, "the driver never settles"
            self.run_until(self._heap[0][0])

    def pending_timer_kinds(self) -> list[str]:
        return sorted(s.timer.kind for s in self.timers.values())

    # --- shorthands for scripted tests ---

    def login(self, *agent_ids: str) -> None:
        for agent_id in agent_ids:
            self.send(LogIn(self.now, agent_id))

    def logout(self, agent_id: str) -> list:
        return self.send(LogOut(self.now, agent_id))

    def ready(self, agent_id: str) -> list:
        return self.send(MakeReady(self.now, agent_id))

    def not_ready(self, agent_id: str, reason: str = "break") -> list:
        return self.send(MakeNotReady(self.now, agent_id, reason))

    def arrive(self, call_id: str, caller: str = "", hotline: str = "400") -> list:
        return self.send(CallArrived(self.now, call_id, caller or f"1390000{call_id}", hotline))

    def answer(self, call_id: str, agent_id: str | None = None) -> list:
        agent_id = agent_id or self.agent_of[call_id]
        return self.send(AgentAnswered(self.now, call_id, agent_id))

    def refuse(self, call_id: str, agent_id: str | None = None) -> list:
        agent_id = agent_id or self.agent_of[call_id]
        return self.send(AgentDidNotAnswer(self.now, call_id, agent_id))

    def caller_hangs_up(self, call_id: str) -> list:
        return self.send(CallerHungUp(self.now, call_id))

    def agent_hangs_up(self, call_id: str) -> list:
        return self.send(AgentHungUp(self.now, call_id))

    def prompt_done(self, call_id: str, digits: str = "1") -> list:
        return self.send(PromptFinished(self.now, call_id, digits))

    def claim(self, agent_id: str, ticket_id: str) -> list:
        return self.send(ClaimCallback(self.now, agent_id, ticket_id))

    def complete(self, agent_id: str, ticket_id: str, outcome: str) -> list:
        return self.send(CompleteCallback(self.now, agent_id, ticket_id, outcome))

    def connect(self, call_id: str, caller: str = "", hotline: str = "400") -> str:
        """A call arrives and the agent it rings answers at once; returns that agent."""
        self.arrive(call_id, caller, hotline)
        agent = self.agent_of[call_id]
        self.answer(call_id, agent)
        return agent

    def rung(self, call_id: str) -> str | None:
        agent = self.agent_of.get(call_id)
        return agent if agent in self.ringing else None


# --- drivers and steps the center's tests share -------------------------------------------------------


def driver(agent_specs=("a1", "a2", "a3"), *, login=True, **kw) -> Driver:
    """A Driver over ``make_center(agent_specs, **kw)``, its agents logged in unless ``login`` is False."""
    d = Driver(make_center(agent_specs, **kw))
    if login:
        d.login(*[s if isinstance(s, str) else s[0] for s in agent_specs])
    return d


def callback_driver(agent_specs=("a1", "a2", "a3"), **kw) -> Driver:
    """``driver`` without the post-queue IVR timeout (unless given): waiting callers leave by hanging up."""
    kw.setdefault("ivr_after", None)
    return driver(agent_specs, **kw)


def served(d: Driver, call_id: str, talk: float = 10.0, caller: str = "") -> str:
    """A call arrives, is answered by whoever it rings, talks, and the agent hangs up."""
    agent = d.connect(call_id, caller)
    d.advance(talk)
    d.agent_hangs_up(call_id)
    return agent


def abandon(d: Driver, call_id: str, caller: str, hotline: str = "400", wait: float = 10.0) -> str:
    """A caller waits and hangs up; returns the id of the ticket made for them."""
    d.arrive(call_id, caller=caller, hotline=hotline)
    assert d.rung(call_id) is None, "test setup: the call should wait"
    d.advance(wait)
    d.caller_hangs_up(call_id)
    created = records(d.log, Verb.CALLBACK_CREATED, call_id=call_id)
    assert len(created) == 1
    return created[0].field("ticket")


def paused_all(d: Driver, *agent_ids: str) -> None:
    for agent_id in agent_ids:
        d.not_ready(agent_id, "meeting")


def dials(actions) -> list[tuple[str, str]]:
    return [(a.ticket_id, a.agent_id) for a in of_type(actions, DialCallback)]
