"""Commands people send: log in at an extension (hot-desking), end wrap-up early, and supervisors forcing
an agent's state (MakeReady / MakeNotReady / LogOut) in every state the agent can be in."""

from __future__ import annotations

import pytest

from core.center import CommandRejected
from core.log import Verb
from core.messages import DialCallback, EndWrapUp, LogIn, RingAgent, StopRinging
from tests.unit import fakes
from tests.unit.fakes import Driver, of_type, records, terminal, verbs


def driver(agent_specs=("a1", "a2"), **kw) -> Driver:
    return fakes.driver(agent_specs, **kw)


# --- hot-desking ----------------------------------------------------------------------------------


def test_login_at_an_extension_is_logged_and_rings_and_callbacks_go_to_that_phone():
    d = driver(("a1",), login=False, callback_reserve=0)
    d.send(LogIn(d.now, "a1", "2001"))
    assert records(d.log, Verb.AGENTLOGIN)[0].field("extension") == "2001"
    actions = d.arrive("c1")
    assert of_type(actions, RingAgent) == [RingAgent("c1", "a1", "1390000c1", "2001")]
    d.answer("c1")
    d.arrive("c2")
    d.caller_hangs_up("c2")  # a ticket, dialled once a1 is free
    actions = d.agent_hangs_up("c1")
    assert of_type(actions, DialCallback)[0].extension == "2001"


def test_login_without_an_extension_rings_the_agents_own_phone():
    d = driver(("a1",))
    assert records(d.log, Verb.AGENTLOGIN)[0].field("extension") == ""
    assert of_type(d.arrive("c1"), RingAgent)[0].extension == ""


def test_one_agent_per_phone_and_a_logged_in_agent_cannot_move_without_logging_out():
    d = driver(("a1", "a2", "a3"), login=False)
    d.send(LogIn(d.now, "a1", "2001"))
    d.send(LogIn(d.now, "a3"))
    with pytest.raises(CommandRejected, match="2001 is taken by agent a1"):
        d.send(LogIn(d.now, "a2", "2001"))
    with pytest.raises(CommandRejected, match="a3 is taken by agent a3"):
        d.send(LogIn(d.now, "a2", "a3"))  # nor at another agent's own phone while that agent uses it
    with pytest.raises(CommandRejected, match="log out first"):
        d.send(LogIn(d.now, "a1", "2002"))
    d.send(LogIn(d.now, "a1", "2001"))  # the same phone again: nothing happens
    d.send(LogIn(d.now, "a1"))
    assert verbs(d.log) == [Verb.AGENTLOGIN, Verb.AGENTLOGIN]
    d.logout("a1")
    d.send(LogIn(d.now, "a2", "2001"))
    d.send(LogIn(d.now, "a1", "2002"))
    assert [r.field("extension") for r in records(d.log, Verb.AGENTLOGIN)] == ["2001", "", "2001", "2002"]


# --- ending wrap-up early -------------------------------------------------------------------------


def test_end_wrapup_makes_the_agent_ready_now_and_logs_the_real_duration():
    d = driver(("a1",), wrapup=60.0, ivr_after=None)
    d.connect("c1")
    d.agent_hangs_up("c1")
    d.arrive("c2")
    d.advance(12)
    d.send(EndWrapUp(d.now, "a1"))
    assert records(d.log, Verb.WRAPUPEND)[0].field("wrapup") == pytest.approx(12)
    assert d.rung("c2") == "a1"
    d.advance(60)  # the wrap-up timer, cancelled, must not end a second wrap-up
    assert len(records(d.log, Verb.WRAPUPEND)) == 1


@pytest.mark.parametrize("asked, verb", [("pause", Verb.PAUSE), ("logout", Verb.AGENTLOGOFF)])
def test_end_wrapup_honours_a_pending_pause_or_logout(asked, verb):
    d = driver(("a1",), wrapup=60.0)
    d.connect("c1")
    d.agent_hangs_up("c1")
    d.not_ready("a1") if asked == "pause" else d.logout("a1")
    d.send(EndWrapUp(d.now, "a1"))
    assert verbs(d.log, agent="a1")[-2:] == [Verb.WRAPUPEND, verb]


def test_end_wrapup_is_rejected_when_the_agent_is_not_in_wrapup():
    d = driver(("a1",), wrapup=60.0)
    for when in ("ready", "talking"):
        if when == "talking":
            d.connect("c1")
        with pytest.raises(CommandRejected, match="not in wrap-up"):
            d.send(EndWrapUp(d.now, "a1"))
    with pytest.raises(CommandRejected, match="no agent"):
        d.send(EndWrapUp(d.now, "zz"))


# --- supervisors forcing an agent's state ---------------------------------------------------------


def test_force_not_ready_while_ringing_withdraws_the_ring_and_pauses_at_once():
    d = driver(("a1", "a2"), strategy="linear")
    d.arrive("c1")
    actions = d.not_ready("a1", "supervisor")
    assert StopRinging("c1", "a1") in actions
    assert d.rung("c1") == "a2"
    assert records(d.log, Verb.PAUSE)[0].field("reason") == "supervisor"
    assert Verb.RINGNOANSWER not in verbs(d.log)


@pytest.mark.parametrize("force", ["not_ready", "logout"])
def test_force_during_a_call_applies_when_the_call_and_wrapup_end(force):
    d = driver(("a1",), wrapup=20.0)
    d.connect("c1")
    d.not_ready("a1") if force == "not_ready" else d.logout("a1")
    assert terminal(d.log, "c1") == [] and d.center.agents["a1"].state == "talking"
    d.agent_hangs_up("c1")
    assert d.center.agents["a1"].state == "wrapup"
    d.advance(20)
    assert d.center.agents["a1"].state == ("paused" if force == "not_ready" else "out")


def test_force_ready_cancels_a_pending_pause_but_not_the_call_or_the_wrapup():
    d = driver(("a1",), wrapup=20.0)
    d.connect("c1")
    d.not_ready("a1")
    d.ready("a1")
    d.agent_hangs_up("c1")
    d.ready("a1")
    assert d.center.agents["a1"].state == "wrapup"
    d.advance(20)
    assert d.center.agents["a1"].state == "ready" and records(d.log, Verb.PAUSE) == []


def test_force_states_during_a_callback_apply_when_it_is_done():
    d = driver(("a1",), callback_reserve=0)
    d.not_ready("a1")
    d.arrive("c1")
    d.caller_hangs_up("c1")  # abandoned: a ticket
    d.ready("a1")
    assert "a1" in d.dialing
    d.not_ready("a1", "meeting")
    d.logout("a1")
    ticket = d.dialing["a1"]
    d.complete("a1", ticket, "ordered")
    assert verbs(d.log, agent="a1")[-2:] == [Verb.CALLBACK_DONE, Verb.AGENTLOGOFF]
