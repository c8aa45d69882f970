"""Which agent a call rings: strategies in the core, skill levels, priority classes, sticky agent, ownership."""

from __future__ import annotations

import random

import pytest

from core.center import CallCenter
from core.config import OverflowStep
from core.log import Verb
from core.ports import InMemoryCallerHistory
from tests.unit.fakes import driver, make_center, records, served

# --- agent-selection strategies ------------------------------------------------------------------


def test_rrmemory_goes_on_after_the_agent_rung_last_and_wraps_around():
    d = driver(("a1", "a2", "a3"), strategy="rrmemory")
    assert [served(d, f"c{i}") for i in range(5)] == ["a1", "a2", "a3", "a1", "a2"]


def test_rrmemory_skips_busy_agents_and_remembers_the_last_one_rung():
    d = driver(("a1", "a2", "a3", "a4"), strategy="rrmemory")
    assert d.connect("c1") == "a1"
    d.not_ready("a2")
    assert d.connect("c2") == "a3"
    d.ready("a2")
    assert d.connect("c3") == "a4"
    assert d.connect("c4") == "a2"  # wrapped around; a1 still talks


def test_fewestcalls_picks_the_agent_with_fewest_answered_calls():
    d = driver(("a1", "a2", "a3"), strategy="fewestcalls")
    d.not_ready("a2")
    d.not_ready("a3")
    assert served(d, "c1") == "a1"
    assert served(d, "c2") == "a1"
    d.ready("a2")
    d.ready("a3")
    assert served(d, "c3") == "a2"  # 2, 0, 0 calls: fewest, first in order
    assert served(d, "c4") == "a3"
    assert served(d, "c5") == "a2"  # 2, 1, 1


def test_leasttalk_picks_the_agent_with_least_talk_time():
    d = driver(("a1", "a2", "a3"), strategy="leasttalk")
    d.not_ready("a2")
    d.not_ready("a3")
    served(d, "c1", talk=100)
    d.ready("a2")
    d.not_ready("a1")
    served(d, "c2", talk=10)
    d.ready("a3")
    d.not_ready("a2")
    served(d, "c3", talk=50)
    d.ready("a1")
    d.ready("a2")
    assert d.connect("c4") == "a2"  # 100, 10, 50 seconds
    assert d.connect("c5") == "a3"
    assert d.connect("c6") == "a1"


def test_longestidle_picks_the_agent_idle_longest():
    d = driver(("a1", "a2", "a3"), login=False, strategy="longestidle")
    d.login("a3")
    d.advance(1)
    d.login("a1")
    d.advance(1)
    d.login("a2")
    assert served(d, "c1") == "a3"
    assert served(d, "c2") == "a1"  # a3 became idle again just now
    assert served(d, "c3") == "a2"
    assert served(d, "c4") == "a3"


def test_longestidle_counts_idle_from_the_end_of_a_pause():
    d = driver(("a1", "a2"), strategy="longestidle")
    d.not_ready("a1")
    d.advance(10)
    d.ready("a1")
    assert d.connect("c1") == "a2"


def test_linear_always_tries_agents_in_configured_order():
    d = driver(("a1", "a2", "a3"), strategy="linear")
    assert d.connect("c1") == "a1"
    assert d.connect("c2") == "a2"
    d.agent_hangs_up("c1")
    assert d.connect("c3") == "a1"
    assert d.connect("c4") == "a3"


def test_random_uses_the_injected_random_source():
    seed = 1234
    d = driver(("a1", "a2", "a3", "a4"), strategy="random", rng=random.Random(seed))
    twin = random.Random(seed)
    expected, got = [], []
    for i in range(12):
        expected.append(twin.choice(["a1", "a2", "a3", "a4"]))
        got.append(served(d, f"c{i}"))
    assert got == expected
    assert len(set(got)) > 1


def test_random_chooses_among_idle_agents_of_the_best_level_only():
    class Pick:
        def __init__(self):
            self.seen = []

        def choice(self, seq):
            self.seen.append([a.agent_id for a in seq])
            return seq[-1]

    rng = Pick()
    d = driver(("a1", ("a2", {"sales": 2}), ("a3", {"sales": 2}), "a4"), strategy="random", rng=rng)
    d.not_ready("a3")
    assert d.connect("c1") == "a2"
    assert d.connect("c2") == "a4"
    assert rng.seen == [["a2"], ["a1", "a4"]]


def test_random_without_a_random_source_is_refused_when_built():
    """Regression: this used to fail on the first call, after the call was already queued and logged."""
    config = make_center(strategy="random", rng=random.Random(1)).config
    with pytest.raises(ValueError, match="random"):
        CallCenter(config)


# --- skills -------------------------------------------------------------------------------------


def test_higher_skill_level_is_offered_the_call_first():
    d = driver(("a1", ("a2", {"sales": 3}), ("a3", {"sales": 2})), strategy="linear")
    assert d.connect("c1") == "a2"
    assert d.connect("c2") == "a3"
    assert d.connect("c3") == "a1"


def test_agent_takes_waiting_calls_of_its_best_skill_first():
    d = driver((("a1", {"sales": 1, "service": 2}),), ivr_after=None)
    d.connect("c0")
    d.arrive("s1", hotline="400")  # sales, earlier
    d.advance(1)
    d.arrive("v1", hotline="800")  # service, later but a1's better skill
    d.agent_hangs_up("c0")
    assert d.rung("v1") == "a1"


def test_one_agent_in_several_groups_serves_both_in_arrival_order_and_holds_one_call():
    d = driver((("a1", {"sales": 1, "service": 1}),), ivr_after=None)
    d.connect("s0", hotline="400")
    d.arrive("v1", hotline="800")
    d.advance(1)
    d.arrive("s1", hotline="400")
    assert d.rung("v1") is None and d.rung("s1") is None
    d.agent_hangs_up("s0")
    assert d.rung("v1") == "a1"
    d.answer("v1")
    d.agent_hangs_up("v1")
    assert d.rung("s1") == "a1"
    assert records(d.log, Verb.CONNECT)[0].queue == "sales"
    assert records(d.log, Verb.CONNECT)[1].queue == "service"


def test_agent_without_the_skill_is_never_offered_the_call():
    d = driver(("a1", ("b1", {"service": 1})), ivr_after=None)
    d.connect("c1")
    d.arrive("c2", hotline="400")
    assert d.rung("c2") is None


# --- priority classes ---------------------------------------------------------------------------


def test_vip_before_important_before_normal_and_fifo_within_a_class():
    d = driver(("a1",), ivr_after=None, vip=frozenset({"v1", "v2"}), important=frozenset({"i1", "i2"}))
    d.connect("first")
    for caller in ("n1", "i1", "v1", "n2", "v2", "i2"):
        d.advance(1)
        d.arrive(caller, caller=caller)
    classes = {r.call_id: r.field("priority") for r in records(d.log, Verb.ENTERQUEUE)}
    assert classes["v1"] == "vip" and classes["i1"] == "important" and classes["n1"] == "normal"
    order = []
    d.agent_hangs_up("first")
    for _ in range(6):
        call = d.ringing["a1"]
        order.append(call)
        d.answer(call)
        d.agent_hangs_up(call)
    assert order == ["v1", "v2", "i1", "i2", "n1", "n2"]


def test_enterqueue_records_caller_position_and_hotline():
    d = driver(("a1",), ivr_after=None)
    d.connect("c0")
    d.arrive("c1", caller="139")
    d.arrive("c2", caller="138")
    enter = records(d.log, Verb.ENTERQUEUE, call_id="c2")[0]
    assert (enter.queue, enter.field("caller"), enter.field("position"), enter.field("hotline")) == (
        "sales",
        "138",
        2,
        "400",
    )


# --- sticky agent -------------------------------------------------------------------------------


def test_sticky_caller_waits_for_their_last_agent():
    history = InMemoryCallerHistory({"13800000000": "a2"})
    d = driver(("a1", "a2"), strategy="linear", sticky_wait=30, history=history)
    d.connect("x", caller="other")  # a1 talks
    d.not_ready("a2", "break")
    d.ready("a1")  # no-op, a1 talks
    d.agent_hangs_up("x")  # a1 idle again
    d.arrive("c1", caller="13800000000")
    assert d.rung("c1") is None and "c1" in d.held  # a1 is idle but c1 waits for a2
    d.advance(10)
    d.ready("a2")
    assert d.rung("c1") == "a2"


def test_sticky_caller_goes_to_anyone_after_sticky_wait():
    history = InMemoryCallerHistory({"13800000000": "a2"})
    d = driver(("a1", "a2"), strategy="linear", sticky_wait=30, history=history)
    d.not_ready("a2")
    d.arrive("c1", caller="13800000000")
    d.advance(29)
    assert d.rung("c1") is None
    d.advance(1)
    assert d.rung("c1") == "a1"


def test_sticky_agent_ready_is_rung_directly_and_history_comes_from_served_calls():
    d = driver(("a1", "a2"), strategy="linear", sticky_wait=30)
    d.not_ready("a1")
    assert served(d, "c1", caller="138") == "a2"
    d.ready("a1")
    assert d.connect("c2", caller="138") == "a2"  # linear alone would pick a1


def test_sticky_agent_logging_out_releases_the_waiting_caller():
    history = InMemoryCallerHistory({"138": "a2"})
    d = driver(("a1", "a2"), strategy="linear", sticky_wait=300, history=history)
    d.connect("x")  # a1
    d.not_ready("a2")
    d.arrive("c1", caller="138")
    d.agent_hangs_up("x")
    assert d.rung("c1") is None
    d.logout("a2")
    assert d.rung("c1") == "a1"


def test_sticky_off_by_default():
    history = InMemoryCallerHistory({"138": "a2"})
    d = driver(("a1", "a2"), strategy="linear", history=history)
    d.not_ready("a2")
    d.arrive("c1", caller="138")
    assert d.rung("c1") == "a1"


# --- customer ownership -------------------------------------------------------------------------


def test_owner_is_tried_first():
    d = driver(("a1", "a2", "a3"), strategy="linear", ownership=True, owners={"138": "a3"})
    assert d.connect("c1", caller="138") == "a3"
    assert d.connect("c2", caller="139") == "a1"


def test_other_agents_take_the_call_when_the_owner_is_busy():
    d = driver(("a1", "a2", "a3"), strategy="linear", ownership=True, owners={"138": "a3"})
    d.not_ready("a3")
    assert d.connect("c1", caller="138") == "a1"


def test_ownership_off_ignores_owners():
    d = driver(("a1", "a2", "a3"), strategy="linear", owners={"138": "a3"})
    assert d.connect("c1", caller="138") == "a1"


def test_rrmemory_remembers_per_group_when_a_call_overflows():
    """Regression: a ring through overflow moved the memory of the home queue, not of the group rung."""
    steps = (OverflowStep("service", after_wait=10),)
    specs = ("a1", "a2", ("b1", {"service": 1}), ("b2", {"service": 1}))
    d = driver(specs, strategy="rrmemory", overflow={"sales": steps}, ivr_after=None)
    d.arrive("s1", hotline="800")
    assert d.rung("s1") == "b1"
    d.answer("s1")
    d.agent_hangs_up("s1")
    assert d.connect("x1") == "a1"
    assert d.connect("x2") == "a2"
    d.arrive("c1")
    d.advance(10)
    assert d.rung("c1") == "b2"  # service memory: b1 was rung last
    d.answer("c1")
    d.agent_hangs_up("c1")
    d.arrive("s2", hotline="800")
    assert d.rung("s2") == "b1"  # b2 was rung last in service: wrap around to b1
    d.agent_hangs_up("x2")
    d.agent_hangs_up("x1")
    d.arrive("c2")
    assert d.rung("c2") == "a1"  # sales memory still says a2: wrap around to a1
