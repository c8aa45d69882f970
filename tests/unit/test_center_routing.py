"""Routing in the core: agent states, ringing, strategies, skills, priorities, sticky, ownership,
overflow, post-queue IVR, rejections, opening hours, abandonment and rejected commands."""

from __future__ import annotations

import random

import pytest

from core.center import CallCenter, CommandRejected
from core.config import Airing, Hotline, OpeningHours, OverflowStep
from core.log import Verb
from core.messages import (
    AgentAnswered,
    CallArrived,
    ClaimCallback,
    CompleteCallback,
    ConnectCall,
    HangUp,
    HoldCall,
    LogIn,
    LogOut,
    MakeNotReady,
    MakeReady,
    RingAgent,
    StartTimer,
    StopRinging,
    TimerFired,
    TransferCall,
    TransferCaller,
)
from core.ports import InMemoryCallerHistory
from tests.unit.fakes import (
    T0,
    Driver,
    local_epoch,
    make_center,
    of_type,
    records,
    terminal,
    verbs,
)


def driver(agent_specs=("a1", "a2", "a3"), *, login=True, rng=None, history=None, **kw) -> Driver:
    d = Driver(make_center(agent_specs, rng=rng, history=history, **kw))
    if login:
        d.login(*[s if isinstance(s, str) else s[0] for s in agent_specs])
    return d


def served(d: Driver, call_id: str, talk: float = 10.0, caller: str = "") -> str:
    """A call arrives, is answered by whoever it rings, talks, and the agent hangs up."""
    agent = d.connect(call_id, caller)
    d.advance(talk)
    d.agent_hangs_up(call_id)
    return agent


# --- login / logout ------------------------------------------------------------------------------


def test_login_logs_agentlogin_and_the_agent_takes_calls():
    d = driver(("a1",), login=False)
    d.login("a1")
    assert verbs(d.log) == [Verb.AGENTLOGIN]
    assert d.log[0].agent == "a1" and d.log[0].time == T0
    d.arrive("c1")
    assert d.rung("c1") == "a1"


def test_logout_logs_seconds_logged_in_and_stops_calls():
    d = driver(("a1",))
    d.advance(3600)
    d.logout("a1")
    off = records(d.log, Verb.AGENTLOGOFF)
    assert len(off) == 1 and off[0].agent == "a1" and off[0].field("logintime") == pytest.approx(3600)
    d.arrive("c1")
    assert d.rung("c1") is None
    assert terminal(d.log, "c1")[0].verb == Verb.EXITEMPTY


def test_login_twice_and_logout_twice_are_harmless():
    d = driver(("a1",))
    d.login("a1")
    assert verbs(d.log).count(Verb.AGENTLOGIN) == 1
    d.logout("a1")
    d.logout("a1")
    assert verbs(d.log).count(Verb.AGENTLOGOFF) == 1


def test_logout_while_ringing_withdraws_the_ring_and_the_call_rings_the_next_agent():
    d = driver(("a1", "a2"), strategy="linear")
    d.arrive("c1")
    assert d.rung("c1") == "a1"
    actions = d.logout("a1")
    assert StopRinging("c1", "a1") in actions
    assert d.rung("c1") == "a2"
    assert Verb.RINGNOANSWER not in verbs(d.log)


def test_logged_out_agent_is_not_offered_calls_and_login_picks_up_the_waiting_call():
    d = driver(("a1", "a2"), strategy="linear", ivr_after=None)
    d.logout("a1")
    d.not_ready("a2")
    d.arrive("c1")
    assert d.rung("c1") is None and "c1" in d.held
    d.login("a1")
    assert d.rung("c1") == "a1"


# --- ready / not ready ---------------------------------------------------------------------------


def test_not_ready_logs_pause_with_reason_and_ready_logs_unpause():
    d = driver(("a1",), ivr_after=None)
    d.not_ready("a1", "lunch")
    d.arrive("c1")
    assert d.rung("c1") is None
    d.advance(30)
    d.ready("a1")
    pause, unpause = records(d.log, Verb.PAUSE)[0], records(d.log, Verb.UNPAUSE)[0]
    assert (pause.agent, pause.field("reason"), pause.time) == ("a1", "lunch", T0)
    assert (unpause.agent, unpause.field("reason"), unpause.time) == ("a1", "lunch", T0 + 30)
    assert d.rung("c1") == "a1"


def test_not_ready_twice_with_the_same_reason_logs_once_and_a_new_reason_logs_again():
    d = driver(("a1",))
    d.not_ready("a1", "break")
    d.not_ready("a1", "break")
    assert [r.field("reason") for r in records(d.log, Verb.PAUSE)] == ["break"]
    d.not_ready("a1", "training")
    assert [r.field("reason") for r in records(d.log, Verb.PAUSE)] == ["break", "training"]
    d.ready("a1")
    assert records(d.log, Verb.UNPAUSE)[0].field("reason") == "training"


def test_ready_while_ready_does_nothing():
    d = driver(("a1",))
    assert d.ready("a1") == []
    assert Verb.UNPAUSE not in verbs(d.log)


def test_not_ready_while_ringing_withdraws_the_ring_and_pauses():
    d = driver(("a1", "a2"), strategy="linear")
    d.arrive("c1")
    actions = d.not_ready("a1", "toilet")
    assert StopRinging("c1", "a1") in actions
    assert records(d.log, Verb.PAUSE, agent="a1")[0].field("reason") == "toilet"
    assert d.rung("c1") == "a2"


def test_pause_while_ringing_is_logged_even_with_the_reason_of_an_earlier_pause():
    """Regression: a stale pause reason from before a logout made a pause-while-ringing go unlogged."""
    d = driver(("a1",))
    d.not_ready("a1", "break")
    d.logout("a1")
    d.login("a1")
    d.arrive("c1")
    assert d.rung("c1") == "a1"
    d.not_ready("a1", "break")
    assert [r.field("reason") for r in records(d.log, Verb.PAUSE)] == ["break", "break"]
    d.ready("a1")
    assert records(d.log, Verb.UNPAUSE)[-1].field("reason") == "break"
    assert d.rung("c1") == "a1"


# --- ringing, talking, wrap-up -------------------------------------------------------------------


def test_ring_answer_talk_hangup_logs_connect_and_complete():
    d = driver(("a1",))
    d.advance(5)
    actions = d.arrive("c1", caller="13900001111")
    assert RingAgent("c1", "a1", "13900001111") in actions
    assert HoldCall("c1") not in actions
    d.advance(4)
    actions = d.answer("c1")
    assert ConnectCall("c1", "a1") in actions
    connect = records(d.log, Verb.CONNECT)[0]
    assert (connect.call_id, connect.queue, connect.agent) == ("c1", "sales", "a1")
    assert connect.field("holdtime") == pytest.approx(4) and connect.field("ringtime") == pytest.approx(
        4
    )  # hold time, ring time
    d.advance(120)
    actions = d.agent_hangs_up("c1")
    assert HangUp("c1", "completed") in actions
    done = terminal(d.log, "c1")
    assert [r.verb for r in done] == [Verb.COMPLETEAGENT]
    assert (
        done[0].field("holdtime") == pytest.approx(4)
        and done[0].field("calltime") == pytest.approx(120)
        and done[0].field("origposition") == 1
    )


def test_caller_hangs_up_during_talk_logs_completecaller():
    d = driver(("a1",))
    d.connect("c1")
    d.advance(60)
    d.caller_hangs_up("c1")
    assert [r.verb for r in terminal(d.log, "c1")] == [Verb.COMPLETECALLER]
    assert d.hung_up["c1"] == "completed"


def test_blind_transfer_logs_transfer_sends_the_caller_on_and_frees_the_agent():
    d = driver(("a1",), wrapup=0, ivr_after=None)
    d.connect("c1", caller="13900001111")
    d.arrive("c2")
    d.advance(30)
    actions = d.send(TransferCall(d.now, "c1", "a1", "8001", "hotline-transfer"))
    assert TransferCaller("c1", "a1", "8001", "hotline-transfer") in actions
    assert not of_type(actions, HangUp)
    done = terminal(d.log, "c1")
    assert [r.verb for r in done] == [Verb.TRANSFER]
    assert (done[0].agent, done[0].field("extension"), done[0].field("context")) == ("a1", "8001", "hotline-transfer")
    assert done[0].field("calltime") == pytest.approx(30)  # call time
    assert [(a.call_id, a.agent_id) for a in of_type(actions, RingAgent)] == [
        ("c2", "a1")
    ]  # the agent is free for the next waiting caller
    assert "c1" not in d.center.calls


def test_transfer_of_a_call_not_in_conversation_or_by_another_agent_is_rejected():
    d = driver(("a1", "a2"), ivr_after=None)
    d.arrive("c1")
    with pytest.raises(CommandRejected):
        d.center.handle(TransferCall(d.now, "c1", "a1", "8001"))  # still ringing
    d.answer("c1")
    agent = d.center.calls["c1"].agent_id
    other = "a2" if agent == "a1" else "a1"
    before = len(d.log)
    with pytest.raises(CommandRejected):
        d.center.handle(TransferCall(d.now, "c1", other, "8001"))
    with pytest.raises(CommandRejected):
        d.center.handle(TransferCall(d.now, "c1", agent, " "))
    assert len(d.log) == before and d.center.calls["c1"].state == "talking"


def test_without_wrapup_the_agent_takes_the_next_waiting_call_at_once():
    d = driver(("a1",), wrapup=0, ivr_after=None)
    d.connect("c1")
    d.arrive("c2")
    assert "c2" in d.held
    d.advance(30)
    d.agent_hangs_up("c1")
    assert d.rung("c2") == "a1"
    assert Verb.WRAPUPEND not in verbs(d.log)


def test_wrapup_keeps_the_agent_from_calls_then_ready():
    d = driver(("a1",), wrapup=30, ivr_after=None)
    d.connect("c1")
    d.arrive("c2")
    d.advance(10)
    actions = d.agent_hangs_up("c1")
    assert StartTimer(T0 + 40, of_type(actions, StartTimer)[0].timer) in actions
    assert d.rung("c2") is None
    d.advance(29)
    assert d.rung("c2") is None
    d.advance(1)
    wrap = records(d.log, Verb.WRAPUPEND)
    assert len(wrap) == 1 and wrap[0].agent == "a1" and wrap[0].time == T0 + 40 and wrap[0].field("wrapup") == 30
    assert d.rung("c2") == "a1"


def test_wrapup_then_idle_agent_is_rung_by_the_next_arrival():
    d = driver(("a1",), wrapup=15)
    d.connect("c1")
    d.agent_hangs_up("c1")
    d.advance(15)
    d.arrive("c2")
    assert d.rung("c2") == "a1"


# --- ring no answer ------------------------------------------------------------------------------


def test_ring_timeout_logs_ringnoanswer_pauses_the_agent_and_rings_the_next():
    d = driver(("a1", "a2"), strategy="linear", ring_timeout=15)
    d.arrive("c1")
    assert d.rung("c1") == "a1"
    d.advance(15)
    rna = records(d.log, Verb.RINGNOANSWER)
    assert len(rna) == 1 and rna[0].agent == "a1" and rna[0].call_id == "c1" and rna[0].field("ringtime_ms") == 15000
    pause = records(d.log, Verb.PAUSE)
    assert len(pause) == 1 and pause[0].agent == "a1" and pause[0].field("reason") == "ringnoanswer"
    assert d.rung("c1") == "a2"
    d.answer("c1")
    assert records(d.log, Verb.CONNECT)[0].field("holdtime") == pytest.approx(15)  # hold time counts the failed ring


def test_agent_refusing_the_ring_is_ringnoanswer_and_the_stale_ring_timer_is_ignored():
    d = driver(("a1", "a2"), strategy="linear", ring_timeout=15)
    d.arrive("c1")
    d.advance(3)
    actions = d.refuse("c1", "a1")
    assert StopRinging("c1", "a1") in actions
    assert records(d.log, Verb.RINGNOANSWER)[0].field("ringtime_ms") == 3000
    assert d.rung("c1") == "a2"
    d.advance(12)  # the first ring's timer would have fired now; a2's fires at +18
    assert len(records(d.log, Verb.RINGNOANSWER)) == 1
    assert d.rung("c1") == "a2"


def test_stale_timer_fired_by_a_driver_that_ignores_cancel_is_ignored():
    center = make_center(("a1",), ring_timeout=15)
    d = Driver(center, honor_cancel=False)
    d.login("a1")
    d.arrive("c1")
    d.answer("c1")
    d.advance(100)
    assert Verb.RINGNOANSWER not in verbs(d.log)
    assert d.talking == {"a1": "c1"}


def test_ring_timeout_with_the_only_agent_leaves_the_call_waiting_for_anyone():
    d = driver(("a1", "a2"), strategy="linear", ring_timeout=15, ivr_after=None)
    d.not_ready("a2")
    d.arrive("c1")
    d.advance(15)
    assert d.rung("c1") is None and "c1" in d.held
    d.ready("a2")
    assert d.rung("c1") == "a2"


def test_late_answer_after_ringnoanswer_is_dropped():
    d = driver(("a1", "a2"), strategy="linear", ring_timeout=15)
    d.arrive("c1")
    d.advance(15)
    actions = d.send(AgentAnswered(d.now, "c1", "a1"))
    assert actions == [StopRinging("c1", "a1")]
    assert Verb.CONNECT not in verbs(d.log)
    assert d.rung("c1") == "a2"


def test_ring_timeout_none_starts_no_ring_timer():
    d = driver(("a1",), ring_timeout=None, ivr_after=None)
    d.arrive("c1")
    assert d.pending_timer_kinds() == []
    d.advance(3600)
    assert d.rung("c1") == "a1"


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


# --- overflow -----------------------------------------------------------------------------------

OVERFLOW_AGENTS = ("a1", ("b1", {"service": 1}), ("c1", {"backoffice": 1}))


def test_overflow_by_wait_threshold_in_configured_order():
    steps = (OverflowStep("service", after_wait=20), OverflowStep("backoffice", after_wait=40))
    d = driver(OVERFLOW_AGENTS, overflow={"sales": steps}, ivr_after=None)
    d.connect("x")  # a1 busy
    d.connect("y", hotline="800")  # b1 busy
    d.arrive("c1")
    d.advance(19.9)
    assert d.rung("c1") is None
    d.advance(0.1)
    over = records(d.log, Verb.OVERFLOW, call_id="c1")
    assert [(r.queue, r.field("home_queue")) for r in over] == [("service", "sales")]
    assert d.rung("c1") is None  # b1 still talks
    d.advance(20)
    assert [r.queue for r in records(d.log, Verb.OVERFLOW, call_id="c1")] == ["service", "backoffice"]
    assert d.rung("c1") == "c1"
    d.answer("c1")
    assert records(d.log, Verb.CONNECT, call_id="c1")[0].queue == "sales"  # the home queue keeps the call


def test_overflow_group_agent_rings_at_the_threshold_when_idle():
    steps = (OverflowStep("service", after_wait=20), OverflowStep("backoffice", after_wait=40))
    d = driver(OVERFLOW_AGENTS, overflow={"sales": steps}, ivr_after=None)
    d.connect("x")
    d.arrive("c1")
    d.advance(20)
    assert d.rung("c1") == "b1"


def test_overflowed_call_is_taken_by_whichever_group_frees_first():
    steps = (OverflowStep("service", after_wait=20),)
    d = driver(OVERFLOW_AGENTS, overflow={"sales": steps}, ivr_after=None)
    d.connect("x")
    d.connect("y", hotline="800")
    d.arrive("c1")
    d.advance(25)
    d.agent_hangs_up("y")
    assert d.rung("c1") == "b1"


def test_overflow_by_queue_length_on_arrival():
    steps = (OverflowStep("service", queue_length=2),)
    d = driver(OVERFLOW_AGENTS, overflow={"sales": steps}, ivr_after=None)
    d.connect("x")
    d.arrive("c1")
    d.arrive("c2")
    d.connect("z", hotline="800")  # keep b1 busy for a moment
    assert not records(d.log, Verb.OVERFLOW)
    d.agent_hangs_up("z")
    d.arrive("c3")  # two callers wait in sales: c3 is also offered to service
    assert [(r.call_id, r.queue) for r in records(d.log, Verb.OVERFLOW)] == [("c3", "service")]
    assert d.rung("c3") == "b1"
    assert d.rung("c1") is None


def test_overflow_timers_are_cancelled_when_the_call_is_answered():
    steps = (OverflowStep("service", after_wait=20),)
    d = driver(OVERFLOW_AGENTS, overflow={"sales": steps})
    d.connect("c1")
    d.advance(100)
    assert not records(d.log, Verb.OVERFLOW)


# --- post-queue IVR -----------------------------------------------------------------------------


def test_exitwithtimeout_after_ivr_after_then_prompt_then_ticket():
    d = driver(("a1",), ivr_after=60)
    d.connect("x")
    d.arrive("c1", caller="13911112222")
    d.advance(59)
    assert "c1" not in d.prompted
    d.advance(1)
    exit_ = terminal(d.log, "c1")
    assert [r.verb for r in exit_] == [Verb.EXITWITHTIMEOUT]
    assert exit_[0].field("waittime") == pytest.approx(60) and exit_[0].field("position") == 1
    assert "c1" in d.prompted
    d.advance(8)
    actions = d.prompt_done("c1", "1")
    assert HangUp("c1", "callback-prompt-done") in actions
    assert [r.field("digits") for r in records(d.log, Verb.CALLBACK_PROMPT, call_id="c1")] == ["1"]
    created = records(d.log, Verb.CALLBACK_CREATED, call_id="c1")
    assert len(created) == 1
    assert (created[0].field("number"), created[0].field("priority"), created[0].field("hotline")) == (
        "13911112222",
        "normal",
        "400",
    )
    ticket = d.center.tickets.tickets[created[0].field("ticket")]
    assert ticket.number == "13911112222" and ticket.status == "open"


def test_ivr_timeout_while_ringing_frees_the_agent():
    d = driver(("a1",), ivr_after=60, ring_timeout=None)
    d.arrive("c1")
    d.advance(60)
    assert Verb.EXITWITHTIMEOUT in verbs(d.log, call_id="c1")
    assert d.rung("c1") is None and "a1" not in d.ringing
    d.arrive("c2")
    assert d.rung("c2") == "a1"


def test_exitempty_when_nobody_is_logged_in():
    d = driver(("a1",), login=False)
    d.arrive("c1")
    assert [r.verb for r in terminal(d.log, "c1")] == [Verb.EXITEMPTY]
    assert verbs(d.log, call_id="c1")[:2] == [Verb.ENTERQUEUE, Verb.EXITEMPTY]
    assert "c1" in d.prompted and "c1" not in d.held
    d.prompt_done("c1", "")
    assert len(records(d.log, Verb.CALLBACK_CREATED, call_id="c1")) == 1


def test_paused_agents_count_as_logged_in_so_no_exitempty():
    d = driver(("a1",), ivr_after=None)
    d.not_ready("a1")
    d.arrive("c1")
    assert terminal(d.log, "c1") == []
    assert "c1" in d.held


def test_overflow_group_members_count_against_exitempty():
    steps = (OverflowStep("service", after_wait=20),)
    d = driver((("b1", {"service": 1}),), overflow={"sales": steps}, ivr_after=None)
    d.arrive("c1")
    assert terminal(d.log, "c1") == []
    d.advance(20)
    assert d.rung("c1") == "b1"


def test_full_at_ivr_queue_length():
    d = driver(("a1",), ivr_queue_length=2, ivr_after=None)
    d.connect("x")
    d.arrive("c1")
    d.arrive("c2")
    assert terminal(d.log, "c2") == []
    d.arrive("c3")
    full = terminal(d.log, "c3")
    assert [r.verb for r in full] == [Verb.FULL] and full[0].field("position") == 3
    assert "c3" in d.prompted


def test_caller_hanging_up_in_the_prompt_still_gets_a_ticket():
    d = driver(("a1",), login=False)
    d.arrive("c1")
    d.advance(3)
    actions = d.caller_hangs_up("c1")
    assert [r.field("digits") for r in records(d.log, Verb.CALLBACK_PROMPT, call_id="c1")] == [""]
    assert len(records(d.log, Verb.CALLBACK_CREATED, call_id="c1")) == 1
    assert [r.verb for r in terminal(d.log, "c1")] == [Verb.EXITEMPTY]  # not also an ABANDON
    assert HangUp("c1", "callback-prompt-done") in actions


def test_ivr_after_none_never_times_out():
    d = driver(("a1",), ivr_after=None)
    d.connect("x")
    d.arrive("c1")
    d.advance(86400)
    assert terminal(d.log, "c1") == []


# --- rejections and opening hours ---------------------------------------------------------------


def test_blacklisted_caller_is_rejected():
    d = driver(("a1",), blacklist=frozenset({"13666666666"}))
    actions = d.arrive("c1", caller="13666666666")
    assert actions == [HangUp("c1", "blacklist")]
    rej = terminal(d.log, "c1")
    assert [(r.verb, r.field("reason"), r.field("caller"), r.field("hotline")) for r in rej] == [
        (Verb.REJECTED, "blacklist", "13666666666", "400")
    ]
    assert Verb.ENTERQUEUE not in verbs(d.log)
    assert not records(d.log, Verb.CALLBACK_CREATED)


def test_unknown_hotline_is_rejected():
    d = driver(("a1",))
    actions = d.arrive("c1", hotline="999")
    assert actions == [HangUp("c1", "unknown-number")]
    assert [r.field("reason") for r in terminal(d.log, "c1")] == ["unknown-number"]


NINE_TO_SIX_WEEKDAYS = tuple((day, 9 * 3600.0, 18 * 3600.0) for day in range(5))


def hours_driver(out_of_hours: str = "hangup") -> Driver:
    hotlines = (Hotline("400", "sales", OpeningHours(NINE_TO_SIX_WEEKDAYS, out_of_hours=out_of_hours)),)
    return driver(("a1",), hotlines=hotlines)


@pytest.mark.parametrize(
    "when, is_open",
    [
        (local_epoch(2024, 1, 1, 10), True),  # Monday 10:00
        (local_epoch(2024, 1, 1, 9), True),  # Monday 09:00, opening second
        (local_epoch(2024, 1, 1, 8, 59), False),
        (local_epoch(2024, 1, 1, 17, 59), True),
        (local_epoch(2024, 1, 1, 18), False),  # closing second is closed
        (local_epoch(2024, 1, 5, 12), True),  # Friday
        (local_epoch(2024, 1, 6, 12), False),  # Saturday
        (local_epoch(2024, 1, 7, 12), False),  # Sunday
        (local_epoch(2024, 1, 2, 2), False),  # Tuesday 02:00 local = Monday 18:00 UTC
    ],
)
def test_opening_hours_in_local_time(when, is_open):
    d = hours_driver()
    d.now = when
    d.arrive("c1")
    if is_open:
        assert Verb.ENTERQUEUE in verbs(d.log, call_id="c1")
        assert Verb.OUTOFHOURS not in verbs(d.log)
    else:
        assert [r.verb for r in terminal(d.log, "c1")] == [Verb.OUTOFHOURS]


def test_out_of_hours_hangup_makes_no_ticket():
    d = hours_driver("hangup")
    d.now = local_epoch(2024, 1, 1, 20)
    actions = d.arrive("c1", caller="139")
    assert actions == [HangUp("c1", "out-of-hours")]
    ooh = terminal(d.log, "c1")[0]
    assert (ooh.field("action"), ooh.field("caller"), ooh.field("hotline")) == ("hangup", "139", "400")
    assert not records(d.log, Verb.CALLBACK_CREATED)


def test_out_of_hours_callback_makes_a_ticket():
    d = hours_driver("callback")
    d.now = local_epoch(2024, 1, 6, 20)
    actions = d.arrive("c1", caller="139")
    assert HangUp("c1", "out-of-hours") in actions
    assert terminal(d.log, "c1")[0].field("action") == "callback"
    created = records(d.log, Verb.CALLBACK_CREATED, call_id="c1")
    assert len(created) == 1 and created[0].field("number") == "139"
    assert Verb.ENTERQUEUE not in verbs(d.log)


# --- abandonment --------------------------------------------------------------------------------


def test_abandon_records_wait_time_and_makes_a_ticket():
    d = driver(("a1",), ivr_after=None)
    d.connect("x")
    d.arrive("c1", caller="139")
    d.advance(12)
    d.caller_hangs_up("c1")
    ab = terminal(d.log, "c1")
    assert [r.verb for r in ab] == [Verb.ABANDON]
    assert (ab[0].field("position"), ab[0].field("origposition")) == (1, 1)
    assert ab[0].field("waittime") == pytest.approx(12) and ab[0].field("short") is False
    assert len(records(d.log, Verb.CALLBACK_CREATED, call_id="c1")) == 1


def test_short_abandon_is_flagged():
    d = driver(("a1",), ivr_after=None)
    d.connect("x")
    d.arrive("c1")
    d.advance(4.9)
    d.caller_hangs_up("c1")
    assert terminal(d.log, "c1")[0].field("short") is True
    d.arrive("c2")
    d.advance(5)
    d.caller_hangs_up("c2")
    assert terminal(d.log, "c2")[0].field("short") is False


def test_abandon_while_ringing_stops_the_ring_and_frees_the_agent():
    d = driver(("a1",), ivr_after=None)
    d.connect("x")
    d.arrive("c1")
    d.arrive("c2")
    d.agent_hangs_up("x")
    assert d.rung("c1") == "a1"
    actions = d.caller_hangs_up("c1")
    assert StopRinging("c1", "a1") in actions
    assert Verb.ABANDON in verbs(d.log, call_id="c1")
    assert Verb.PAUSE not in verbs(d.log)
    assert d.rung("c2") == "a1"


def test_repeat_abandon_from_a_number_with_an_open_ticket_is_a_duplicate():
    d = driver(("a1",), ivr_after=None)
    d.connect("x")
    d.arrive("c1", caller="139")
    d.caller_hangs_up("c1")
    d.arrive("c2", caller="139")
    d.advance(30)
    d.caller_hangs_up("c2")
    first = records(d.log, Verb.CALLBACK_CREATED)
    assert [r.call_id for r in first] == ["c1"]
    dup = records(d.log, Verb.CALLBACK_DUPLICATE)
    assert [(r.call_id, r.field("ticket")) for r in dup] == [("c2", first[0].field("ticket"))]
    assert terminal(d.log, "c2")[0].verb == Verb.ABANDON  # still recorded as abandoned


def test_abandon_without_caller_id_makes_no_ticket():
    d = driver(("a1",), ivr_after=None)
    d.connect("x")
    d.send(CallArrived(d.now, "c1", "", "400"))
    d.caller_hangs_up("c1")
    assert Verb.ABANDON in verbs(d.log, call_id="c1")
    assert not records(d.log, Verb.CALLBACK_CREATED)


def test_vip_abandon_makes_an_urgent_ticket_linked_to_the_airing():
    airing = Airing("air1", "CCTV", T0 - 600, 120, "400", "wok")
    d = driver(("a1",), ivr_after=None, vip=frozenset({"139"}), airings=(airing,))
    d.connect("x", caller="100")
    d.arrive("c1", caller="139")
    d.caller_hangs_up("c1")
    created = records(d.log, Verb.CALLBACK_CREATED)[0]
    assert (created.field("priority"), created.field("airing")) == ("urgent", "air1")


def test_late_caller_hangup_after_the_call_ended_is_ignored():
    d = driver(("a1",))
    d.connect("c1")
    d.agent_hangs_up("c1")
    n = len(d.log)
    assert d.caller_hangs_up("c1") == []
    assert len(d.log) == n


# --- pending not-ready / logout -----------------------------------------------------------------


def test_not_ready_during_a_call_applies_after_the_call():
    d = driver(("a1",), ivr_after=None)
    d.connect("c1")
    d.not_ready("a1", "lunch")
    assert Verb.PAUSE not in verbs(d.log)
    d.arrive("c2")
    d.agent_hangs_up("c1")
    assert [r.field("reason") for r in records(d.log, Verb.PAUSE)] == ["lunch"]
    assert d.rung("c2") is None
    d.ready("a1")
    assert d.rung("c2") == "a1"


def test_not_ready_during_wrapup_applies_after_wrapup():
    d = driver(("a1",), wrapup=20)
    d.connect("c1")
    d.agent_hangs_up("c1")
    d.not_ready("a1", "meeting")
    assert Verb.PAUSE not in verbs(d.log)
    d.advance(20)
    assert verbs(d.log, agent="a1")[-2:] == [Verb.WRAPUPEND, Verb.PAUSE]


def test_logout_during_a_call_applies_after_the_call_and_wrapup():
    d = driver(("a1",), wrapup=20, ivr_after=None)
    d.connect("c1")
    d.logout("a1")
    assert Verb.AGENTLOGOFF not in verbs(d.log)
    d.arrive("c2")
    d.agent_hangs_up("c1")
    d.advance(20)
    assert verbs(d.log, agent="a1")[-2:] == [Verb.WRAPUPEND, Verb.AGENTLOGOFF]
    assert d.rung("c2") is None


def test_ready_during_a_call_cancels_a_pending_not_ready():
    d = driver(("a1",), ivr_after=None)
    d.connect("c1")
    d.not_ready("a1")
    d.ready("a1")
    d.arrive("c2")
    d.agent_hangs_up("c1")
    assert Verb.PAUSE not in verbs(d.log)
    assert d.rung("c2") == "a1"


def test_login_during_a_call_cancels_a_pending_logout():
    d = driver(("a1",))
    d.connect("c1")
    d.logout("a1")
    d.login("a1")
    d.agent_hangs_up("c1")
    assert Verb.AGENTLOGOFF not in verbs(d.log)
    d.arrive("c2")
    assert d.rung("c2") == "a1"


# --- rejected commands --------------------------------------------------------------------------


def snapshot(center: CallCenter):
    return (
        len(center.log),
        {a.agent_id: (a.state, a.reason, a.call_id, a.ticket_id, a.pending) for a in center.agents.values()},
        {c: (call.state, call.agent_id) for c, call in center.calls.items()},
        {t: (tk.status, tk.claimer) for t, tk in center.tickets.tickets.items()},
    )


@pytest.mark.parametrize(
    "make_msg",
    [
        lambda now: MakeReady(now, "a2"),  # a2 is logged out
        lambda now: MakeNotReady(now, "a2", "break"),
        lambda now: MakeReady(now, "nobody"),
        lambda now: LogIn(now, "nobody"),
        lambda now: LogOut(now, "nobody"),
        lambda now: CallArrived(now, "c1", "139", "400"),  # c1 is in progress
        lambda now: ClaimCallback(now, "a1", "cb-gone"),  # a1 talks
        lambda now: ClaimCallback(now, "a3", "cb-none"),  # no such ticket
        lambda now: CompleteCallback(now, "a3", "cb-none", "ordered"),
    ],
)
def test_impossible_commands_are_rejected_and_change_nothing(make_msg):
    d = driver(("a1", "a2", "a3"), strategy="linear")
    d.logout("a2")
    d.connect("c1", caller="139")
    before = snapshot(d.center)
    with pytest.raises(CommandRejected):
        d.center.handle(make_msg(d.now))
    assert snapshot(d.center) == before


def test_unknown_message_type_is_a_type_error():
    center = make_center()
    with pytest.raises(TypeError):
        center.handle(object())


def test_timer_fired_for_an_unknown_timer_is_ignored():
    from core.messages import Timer

    d = driver(("a1",))
    assert d.send(TimerFired(d.now, Timer("ring", "c9", 999))) == []


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


def test_queue_length_overflow_steps_apply_in_configured_order():
    steps = (OverflowStep("backoffice", queue_length=1), OverflowStep("service", queue_length=1))
    d = driver(OVERFLOW_AGENTS, overflow={"sales": steps}, ivr_after=None)
    d.connect("x")
    d.arrive("c1")
    d.arrive("c2")
    assert [r.queue for r in records(d.log, Verb.OVERFLOW, call_id="c2")] == ["backoffice", "service"]
    assert d.rung("c2") == "c1"  # the backoffice agent, first in the configured order


def test_a_caller_with_an_open_ticket_sent_to_the_prompt_is_a_duplicate():
    d = driver(("a1",), login=False)
    d.arrive("c1", caller="139")
    d.prompt_done("c1", "1")
    d.arrive("c2", caller="139")
    d.prompt_done("c2", "1")
    ticket = records(d.log, Verb.CALLBACK_CREATED)[0].field("ticket")
    assert [(r.call_id, r.field("ticket")) for r in records(d.log, Verb.CALLBACK_DUPLICATE)] == [("c2", ticket)]
    assert [r.verb for r in terminal(d.log, "c2")] == [Verb.EXITEMPTY]


def test_full_never_sends_a_caller_to_the_prompt_while_an_agent_is_free():
    """Regression: a caller still ringing an agent counted as waiting, so the next caller got FULL
    although another agent sat idle."""
    d = driver(("a1", "a2"), strategy="linear", ivr_queue_length=1, ivr_after=None)
    d.arrive("c1")
    assert d.rung("c1") == "a1"  # ringing, not answered yet
    d.arrive("c2")
    assert terminal(d.log, "c2") == []
    assert d.rung("c2") == "a2"
