"""A call rung, answered, talked, transferred and wrapped up; rings that go unanswered."""

from __future__ import annotations

import pytest

from core.center import CommandRejected
from core.log import Verb
from core.messages import (
    AgentAnswered,
    ConnectCall,
    HangUp,
    HoldCall,
    RingAgent,
    StartTimer,
    StopRinging,
    TransferCall,
    TransferCaller,
)
from tests.unit.fakes import T0, Driver, driver, make_center, of_type, records, terminal, verbs

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
