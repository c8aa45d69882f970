"""Properties of the core over random call/agent timelines, driven by the fake driver until all ends.

* every call ends exactly once with one outcome (one terminal verb per call; afterwards only CALLBACK_*);
* offered = answered + abandoned + sent to callback + rejected;
* no agent ever holds two calls and no call is with two agents (checked on every action by the driver);
  nobody logged out or paused has a ringing or talking phone (checked after every handle);
* a callback ticket never has two claimers at once;
* FIFO within a priority class for one queue of homogeneous agents.
Over 400 lines: the generators of random timelines and the invariants they check belong together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.center import CallCenter
from core.config import (
    STRATEGIES,
    AgentProfile,
    CenterConfig,
    Hotline,
    OpeningHours,
    OverflowStep,
    Policy,
)
from core.log import OUTCOME_OF_VERB, TERMINAL_VERBS, LogRecord, Verb
from core.messages import (
    AgentAnswered,
    AgentDidNotAnswer,
    AgentHungUp,
    CallArrived,
    CallerHungUp,
    ClaimCallback,
    CompleteCallback,
    ExpireCallbacks,
    LogIn,
    LogOut,
    MakeNotReady,
    MakeReady,
    PromptFinished,
    RingAgent,
    TransferCall,
)
from core.tickets import OUTCOMES
from tests.unit.fakes import T0, Driver

GROUPS = ("sales", "service", "backoffice")
CALLERS = tuple(f"1390000000{i}" for i in range(8))
HOTLINES = (
    Hotline("400", "sales"),
    Hotline("800", "service"),
    # open Monday 09:00-10:05 local; T0 is Monday 10:00, so these close 300 s into the run
    Hotline("600", "sales", OpeningHours(((0, 9 * 3600.0, 10 * 3600.0 + 300),), out_of_hours="callback")),
    Hotline("601", "service", OpeningHours(((0, 9 * 3600.0, 10 * 3600.0 + 300),), out_of_hours="hangup")),
)
DAY = 86400.0


# --- the invariant checker ------------------------------------------------------------------------


@dataclass
class Invariants:
    """Reads the log incrementally after every handle and checks what must always hold."""

    seen: int = 0
    ended: dict[str, str] = field(default_factory=dict)  # call -> terminal verb
    claimer: dict[str, str] = field(default_factory=dict)  # ticket -> agent holding it now
    logged_in: set[str] = field(default_factory=set)
    paused: set[str] = field(default_factory=set)

    def __call__(self, d: Driver, msg, actions) -> None:
        log = d.center.log
        for record in log[self.seen :]:
            verb, call, agent = record.verb, record.call_id, record.agent
            if call in self.ended:
                assert verb.startswith("CALLBACK_"), f"{verb} for {call} after it ended with {self.ended[call]}"
            if verb in TERMINAL_VERBS:
                self.ended[call] = verb
            elif verb == Verb.CALLBACK_CLAIMED:
                ticket = record.field("ticket")
                holder = self.claimer.get(ticket)
                assert holder is None, f"{ticket} claimed by {agent} while {holder} has it"
                assert agent in self.logged_in
                self.claimer[ticket] = agent
            elif verb in (Verb.CALLBACK_DONE, Verb.CALLBACK_RELEASED):
                assert self.claimer.pop(record.field("ticket"), None) == agent, (
                    f"{agent} closed {record.field('ticket')} unclaimed"
                )
            elif verb == Verb.AGENTLOGIN:
                assert agent not in self.logged_in
                self.logged_in.add(agent)
                self.paused.discard(agent)
            elif verb == Verb.AGENTLOGOFF:
                assert agent in self.logged_in
                self.logged_in.discard(agent)
                self.paused.discard(agent)
                assert not d.busy(agent), f"{agent} logged off holding work"
            elif verb == Verb.PAUSE:
                assert agent in self.logged_in
                self.paused.add(agent)
            elif verb == Verb.UNPAUSE:
                assert agent in self.paused, f"{agent} unpaused without a pause"
                self.paused.discard(agent)
            elif verb == Verb.CONNECT:
                assert agent in self.logged_in and agent not in self.paused
        self.seen = len(log)
        for agent in list(d.ringing) + list(d.talking) + list(d.dialing):
            assert agent in self.logged_in, f"{agent} holds work while logged out"
        for agent in list(d.ringing) + list(d.talking):
            assert agent not in self.paused, f"{agent} has a call while paused"


def check_the_end(d: Driver, inv: Invariants) -> None:
    log = d.center.log
    terminals: dict[str, list[str]] = {}
    for record in log:
        if record.verb in TERMINAL_VERBS:
            terminals.setdefault(record.call_id, []).append(record.verb)
    offered = d.arrived
    assert len(set(offered)) == len(offered)
    for call in offered:
        assert len(terminals.get(call, [])) == 1, f"{call} ended {terminals.get(call)}"
    assert set(terminals) == set(offered)
    outcomes = {"answered": 0, "abandoned": 0, "callback": 0, "rejected": 0}
    for verbs_ in terminals.values():
        outcomes[OUTCOME_OF_VERB[verbs_[0]]] += 1
    assert len(offered) == sum(outcomes.values())
    assert outcomes["answered"] == len(d.connected)
    # everything ended: no calls in the core, no phone busy, no ticket held
    assert d.center.calls == {}
    assert not d.ringing and not d.talking and not d.dialing
    assert inv.claimer == {}
    # each call that went to the prompt left a CALLBACK_PROMPT record
    prompted = {r.call_id for r in log if r.verb in (Verb.EXITWITHTIMEOUT, Verb.EXITEMPTY, Verb.FULL)}
    assert prompted == {r.call_id for r in log if r.verb == Verb.CALLBACK_PROMPT}


# --- random timelines -----------------------------------------------------------------------------


@dataclass
class CallSpec:
    at: float
    caller: str
    hotline: str
    patience: float
    talk: float
    agent_hangs_up: bool
    transferred: bool  # the agent sends the caller on (blind transfer) instead of hanging up


@st.composite
def skills(draw):
    chosen = draw(st.lists(st.sampled_from(GROUPS), min_size=1, max_size=3, unique=True))
    return {g: draw(st.integers(1, 3)) for g in chosen}


@st.composite
def policies(draw, n_agents: int):
    overflow = {}
    if draw(st.booleans()):
        overflow["sales"] = tuple(
            OverflowStep(group, draw(st.sampled_from([None, 10.0, 30.0])), draw(st.sampled_from([None, 1, 3])))
            for group in draw(st.lists(st.sampled_from(("service", "backoffice")), max_size=2, unique=True))
        )
    return Policy(
        strategy=draw(st.sampled_from(STRATEGIES)),
        wrapup=draw(st.sampled_from([0.0, 5.0, 30.0])),
        ring_timeout=draw(st.sampled_from([None, 10.0, 15.0])),
        ivr_after=draw(st.sampled_from([None, 20.0, 60.0])),
        ivr_queue_length=draw(st.sampled_from([None, 1, 3])),
        sticky_wait=draw(st.sampled_from([0.0, 0.0, 20.0])),
        ownership=draw(st.booleans()),
        overflow=overflow,
        callback_reserve=draw(st.sampled_from([None, 0, 1, 2])),
        callback_retry_after=draw(st.sampled_from([60.0, 1800.0])),
        callback_ttl=draw(st.sampled_from([900.0, 3 * DAY])),
    )


AGENT_OPS = ("login", "logout", "ready", "ready", "ready", "notready", "notready2", "claim", "claim", "expire")


@st.composite
def timelines(draw):
    n_agents = draw(st.integers(1, 5))
    agent_ids = [f"a{i}" for i in range(n_agents)]
    profiles = tuple(AgentProfile(a, draw(skills())) for a in agent_ids)
    policy = draw(policies(n_agents))
    pool = st.sampled_from(CALLERS)
    config = CenterConfig(
        profiles,
        HOTLINES,
        policy,
        blacklist=frozenset(draw(st.lists(pool, max_size=1))),
        vip=frozenset(draw(st.lists(pool, max_size=2))),
        important=frozenset(draw(st.lists(pool, max_size=2))),
        owners={c: draw(st.sampled_from(agent_ids)) for c in draw(st.lists(pool, max_size=3))},
    )
    t = 0.0
    calls = []
    for _ in range(draw(st.integers(0, 25))):
        t += draw(st.floats(0, 60, allow_nan=False))
        calls.append(
            CallSpec(
                at=t,
                caller=draw(st.one_of(pool, st.just(""))) if draw(st.integers(0, 9)) == 0 else draw(pool),
                hotline=draw(st.sampled_from(["400", "400", "400", "400", "800", "800", "600", "601", "999"])),
                patience=draw(st.floats(1, 400, allow_nan=False)),
                talk=draw(st.floats(1, 300, allow_nan=False)),
                agent_hangs_up=draw(st.booleans()),
                transferred=draw(st.integers(0, 5)) == 0,
            )
        )
    ops = draw(
        st.lists(
            st.tuples(st.floats(0, 1500, allow_nan=False), st.sampled_from(agent_ids), st.sampled_from(AGENT_OPS)),
            max_size=30,
        )
    )
    first_in = draw(st.lists(st.sampled_from(agent_ids), min_size=int(draw(st.integers(0, 4)) > 0), unique=True))
    seed = draw(st.integers(0, 2**32 - 1))
    honor_cancel = draw(st.booleans())
    return config, calls, ops, first_in, seed, honor_cancel


def build_driver(config, calls, ops, first_in, seed, honor_cancel, *, instant_answer=False):
    rnd = random.Random(seed)
    spec_of = {f"c{i}": spec for i, spec in enumerate(calls)}
    center = CallCenter(config, rng=random.Random(seed ^ 0x5EED))

    def on_ring(d, call, agent, gen):
        if instant_answer:
            return [(None, lambda d: AgentAnswered(d.now, call, agent))]
        roll = rnd.random()

        def still_ringing(d):
            return d.ringing.get(agent) == call and d.ring_gen[(call, agent)] == gen

        if roll < 0.7:

            def answer(d):
                if still_ringing(d) or rnd.random() < 0.3:  # sometimes a late answer races the core
                    return AgentAnswered(d.now, call, agent)
                return None

            return [(rnd.uniform(0, 12), answer)]
        if roll < 0.85:
            return [(rnd.uniform(0, 5), lambda d: AgentDidNotAnswer(d.now, call, agent) if still_ringing(d) else None)]
        return []  # the phone just rings

    def on_connect(d, call, agent):
        spec = spec_of[call]
        if spec.transferred:
            return [(spec.talk, lambda d: TransferCall(d.now, call, agent, "back-office"))]
        end = AgentHungUp if spec.agent_hangs_up else CallerHungUp
        return [(spec.talk, lambda d: end(d.now, call))]

    def on_prompt(d, call):
        roll = rnd.random()
        if roll < 0.5:
            return [(6.0, lambda d: PromptFinished(d.now, call, "1"))]
        if roll < 0.75:
            return [(8.0, lambda d: PromptFinished(d.now, call, ""))]
        return [(3.0, lambda d: CallerHungUp(d.now, call))]

    def on_dial(d, ticket, agent):
        outcome = rnd.choice(OUTCOMES + ("unreachable",))
        return [(rnd.uniform(10, 300), lambda d: CompleteCallback(d.now, agent, ticket, outcome))]

    inv = Invariants()
    d = Driver(
        center,
        honor_cancel=honor_cancel,
        on_ring=on_ring,
        on_connect=on_connect,
        on_prompt=on_prompt,
        on_dial=on_dial,
        check=inv,
    )
    for agent in first_in:
        d.send(LogIn(d.now, agent))

    for i, spec in enumerate(calls):
        call = f"c{i}"
        d.schedule(T0 + spec.at, lambda d, call=call, spec=spec: CallArrived(d.now, call, spec.caller, spec.hotline))
        d.schedule(
            T0 + spec.at + spec.patience,
            lambda d, call=call: None if call in d.connected else CallerHungUp(d.now, call),
        )

    def op_message(d, agent, op):
        if op == "login":
            return LogIn(d.now, agent)
        if op == "logout":
            return LogOut(d.now, agent)
        if op == "ready":
            return MakeReady(d.now, agent)
        if op in ("notready", "notready2"):
            return MakeNotReady(d.now, agent, "break" if op == "notready" else "lunch")
        if op == "claim":
            listed = d.center.tickets.ordered()
            return ClaimCallback(d.now, agent, listed[0].ticket_id) if listed else None
        return ExpireCallbacks(d.now)

    for at, agent, op in ops:
        d.schedule(T0 + at, lambda d, agent=agent, op=op: op_message(d, agent, op))
    d.schedule(T0 + 4 * DAY, lambda d: ExpireCallbacks(d.now))
    return d, inv


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timelines())
def test_every_call_ends_once_and_no_agent_holds_two(timeline):
    d, inv = build_driver(*timeline)
    d.run()
    check_the_end(d, inv)


# --- FIFO within a priority class ---------------------------------------------------------------


@st.composite
def fifo_timelines(draw):
    n_agents = draw(st.integers(1, 4))
    agent_ids = [f"a{i}" for i in range(n_agents)]
    profiles = tuple(AgentProfile(a, {"sales": 1}) for a in agent_ids)
    policy = Policy(
        strategy=draw(st.sampled_from(STRATEGIES)),
        wrapup=draw(st.sampled_from([0.0, 5.0, 30.0])),
        ring_timeout=draw(st.sampled_from([None, 15.0])),
        ivr_after=draw(st.sampled_from([None, 30.0, 120.0])),
        ivr_queue_length=draw(st.sampled_from([None, 2, 5])),
        callback_reserve=draw(st.sampled_from([None, 0, 1])),
        callback_retry_after=60.0,
    )
    pool = st.sampled_from(CALLERS)
    config = CenterConfig(
        profiles,
        (Hotline("400", "sales"),),
        policy,
        vip=frozenset(draw(st.lists(pool, max_size=3))),
        important=frozenset(draw(st.lists(pool, max_size=3))),
    )
    t = 0.0
    calls = []
    for _ in range(draw(st.integers(2, 30))):
        t += draw(st.floats(0, 30, allow_nan=False))
        calls.append(
            CallSpec(
                t,
                draw(pool),
                "400",
                draw(st.floats(1, 600, allow_nan=False)),
                draw(st.floats(1, 200, allow_nan=False)),
                draw(st.booleans()),
                draw(st.integers(0, 5)) == 0,
            )
        )
    ops = draw(
        st.lists(
            st.tuples(
                st.floats(0, 900, allow_nan=False),
                st.sampled_from(agent_ids),
                st.sampled_from(("login", "logout", "ready", "notready", "claim")),
            ),
            max_size=12,
        )
    )
    first_in = draw(st.lists(st.sampled_from(agent_ids), min_size=1, unique=True))
    return config, calls, ops, first_in, draw(st.integers(0, 2**32 - 1)), draw(st.booleans())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fifo_timelines())
def test_fifo_within_a_priority_class(timeline):
    d, inv = build_driver(*timeline, instant_answer=True)
    d.run()
    check_the_end(d, inv)
    log = d.center.log
    entered = {r.call_id: (i, r.field("priority")) for i, r in enumerate(log) if r.verb == Verb.ENTERQUEUE}
    connected = [r.call_id for r in log if r.verb == Verb.CONNECT]
    for cls in ("vip", "important", "normal"):
        order = [c for c in connected if entered[c][1] == cls]
        assert order == sorted(order, key=lambda c: entered[c][0]), f"{cls} calls connected out of order"


@settings(max_examples=100, deadline=None)
@given(fifo_timelines())
def test_higher_class_is_never_passed_over(timeline):
    """When an agent takes a waiting call, no call of a better class is waiting (one queue, one level)."""
    d, inv = build_driver(*timeline, instant_answer=True)
    d.run()
    log = d.center.log
    waiting: dict[str, int] = {}
    rank = {"vip": 0, "important": 1, "normal": 2}
    for r in log:
        if r.verb == Verb.ENTERQUEUE:
            waiting[r.call_id] = rank[r.field("priority")]
        elif r.verb == Verb.CONNECT:
            mine = waiting.pop(r.call_id)
            assert all(other >= mine for other in waiting.values()), "a better class was waiting"
        elif r.verb in TERMINAL_VERBS:
            waiting.pop(r.call_id, None)


def test_the_driver_catches_an_agent_given_two_calls():
    """The checks above are only as good as the driver's tracking: make sure it does fire."""

    class Broken:
        log: list = []

        def handle(self, msg):
            return [RingAgent(msg.call_id, "a1", msg.caller)]

    d = Driver(Broken())
    d.send(CallArrived(T0, "c1", "139", "400"))
    with pytest.raises(AssertionError, match="a1 rung with c2"):
        d.send(CallArrived(T0, "c2", "138", "400"))


def test_the_checker_catches_a_second_terminal_verb_and_a_double_claim():
    class Scripted:
        def __init__(self, records):
            self.log, self.records = [], list(records)

        def handle(self, msg):
            self.log.append(self.records.pop(0))
            return []

    for records_ in (
        [LogRecord(T0, "c1", "q", "NONE", Verb.ABANDON), LogRecord(T0, "c1", "q", "NONE", Verb.EXITEMPTY)],
        [
            LogRecord(T0, "NONE", "NONE", "a1", Verb.AGENTLOGIN),
            LogRecord(T0, "NONE", "NONE", "a2", Verb.AGENTLOGIN),
            LogRecord(T0, "c1", "q", "a1", Verb.CALLBACK_CLAIMED, "t1"),
            LogRecord(T0, "c1", "q", "a2", Verb.CALLBACK_CLAIMED, "t1"),
        ],
    ):
        d = Driver(Scripted(records_), check=Invariants())
        with pytest.raises(AssertionError):
            for _ in records_:
                d.send(ExpireCallbacks(T0))
