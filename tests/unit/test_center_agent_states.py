"""Agents in the core: log in and out, ready and not ready, and a pause or logout asked during work."""

from __future__ import annotations

import pytest

from core.log import Verb
from core.messages import StopRinging
from tests.unit.fakes import T0, driver, records, terminal, verbs

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
