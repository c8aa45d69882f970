"""The SimPy driver on recorded calls (``SimSetup.trace``) and recorded agents' orders (``agent_orders``):
calls arrive when recorded with their own patience and talk time; ``take_one`` grants an agent one call."""

from __future__ import annotations

import math

import numpy as np

from adapters.sim.distributions import Fixed
from adapters.sim.model import AgentOrder, CallBehaviour, CallCenterModel, SimSetup, TracedCalls
from core.center import CallCenter
from core.config import AgentProfile, CenterConfig, Hotline, Policy
from reports.call_lives import call_lives

CONFIG = CenterConfig(
    agents=(AgentProfile("a1", {"q": 1}),),
    hotlines=(Hotline("100", "q"),),
    policy=Policy(strategy="linear", ring_timeout=None, ivr_after=None, callback_reserve=None),
)


def run(calls: list[tuple[float, float, float]], orders: tuple[AgentOrder, ...]):
    """calls: (offset, patience, talk) each; the outcome and answer time of every call."""
    trace = TracedCalls(
        call_ids=tuple(f"c{i}" for i in range(len(calls))),
        offsets=tuple(c[0] for c in calls),
        hotlines=("100",) * len(calls),
        callers=("",) * len(calls),
        patience=tuple(c[1] for c in calls),
        handle=tuple(c[2] for c in calls),
    )
    setup = SimSetup(
        epoch=0.0,
        demand={},
        behaviour=CallBehaviour(patience=Fixed(1.0), handle=Fixed(1.0)),
        shifts=(),
        trace=trace,
        agent_orders=orders,
    )
    center = CallCenter(CONFIG)
    CallCenterModel(center, setup, np.random.SeedSequence(1)).run()
    lives = call_lives(center.log).set_index("call_id")
    return {
        cid: (row.outcome, None if math.isnan(row.answered_at) else row.answered_at) for cid, row in lives.iterrows()
    }


def test_traced_calls_arrive_as_recorded_and_keep_their_patience():
    got = run([(10.0, math.inf, 30.0), (20.0, 5.0, 30.0)], (AgentOrder(0.0, "a1", "login"),))
    assert got == {"c0": ("answered", 10.0), "c1": ("abandoned", None)}  # c1 gave up at 25, a1 talked until 40


def test_take_one_grants_one_call_per_recorded_answer():
    orders = (
        AgentOrder(0.0, "a1", "login"),
        AgentOrder(0.0, "a1", "not_ready"),
        AgentOrder(10.0, "a1", "take_one"),
        AgentOrder(100.0, "a1", "take_one"),
    )
    # c0 answered at the grant; c1 waits although a1 is free at 15: a1 was not granted a call before 100
    got = run([(10.0, math.inf, 5.0), (12.0, math.inf, 5.0), (13.0, 200.0, 5.0)], orders)
    assert got["c0"] == ("answered", 10.0) and got["c1"] == ("answered", 100.0)
    assert got["c2"] == ("abandoned", None)  # a1, granted two calls, pauses after c1 although c2 waits
