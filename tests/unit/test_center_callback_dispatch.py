"""Callback dispatch inside the core: the inbound reserve, skills, the agent's state around a callback, and
callback rings nobody answers."""

from __future__ import annotations

import pytest

from core.log import Verb
from core.messages import AgentPaused, CallbackAgentDidNotAnswer
from tests.unit.fakes import abandon, dials, of_type, paused_all, records, verbs
from tests.unit.fakes import callback_driver as driver

DAY = 86400.0


# --- dispatch and the inbound reserve -----------------------------------------------------------


@pytest.mark.parametrize("reserve", [0, 1, 2, 3])
def test_dispatch_only_while_more_than_the_reserve_stay_free(reserve):
    agents = ("a1", "a2", "a3", "a4")
    d = driver(agents, callback_reserve=reserve)
    paused_all(d, *agents)
    tickets = [abandon(d, f"c{i}", f"13{i}") for i in range(6)]
    for agent in agents:
        d.ready(agent)
    claimed = records(d.log, Verb.CALLBACK_CLAIMED)
    assert len(claimed) == len(agents) - reserve
    assert [r.field("ticket") for r in claimed] == tickets[: len(agents) - reserve]
    assert len(agents) - len(d.dialing) == reserve


def test_dispatch_happens_as_soon_as_an_agent_beyond_the_reserve_frees():
    d = driver(("a1", "a2", "a3"), callback_reserve=2)
    d.connect("x")  # one agent talks: 2 free, none beyond the reserve
    d.arrive("c1", caller="139")
    assert d.rung("c1") is not None  # calls come first
    d.caller_hangs_up("c1")
    ticket = records(d.log, Verb.CALLBACK_CREATED)[0].field("ticket")
    assert not d.dialing
    d.agent_hangs_up("x")  # 3 free
    assert list(d.dialing.values()) == [ticket]


def test_reserve_none_never_dispatches_but_manual_claims_work():
    agents = ("a1", "a2", "a3", "a4", "a5")
    d = driver(agents, callback_reserve=None)
    paused_all(d, *agents)
    ticket = abandon(d, "c1", "139")
    for agent in agents:
        d.ready(agent)
    d.advance(DAY)
    assert not d.dialing and Verb.CALLBACK_CLAIMED not in verbs(d.log)
    assert dials(d.claim("a3", ticket)) == [(ticket, "a3")]


def test_dispatch_gives_the_ticket_to_the_longest_idle_agent_with_the_skill():
    specs = ("a1", ("b1", {"service": 1}), ("b2", {"service": 1}), "a2")
    d = driver(specs, login=False, callback_reserve=1)
    d.login("b2")
    d.advance(1)
    d.login("a1")
    d.advance(1)
    d.login("b1")
    d.advance(1)
    d.login("a2")
    for agent in ("a1", "a2", "b1", "b2"):
        d.not_ready(agent)
    service_ticket = abandon(d, "c1", "139", hotline="800")
    d.advance(1)
    d.ready("a1")
    d.advance(1)
    d.ready("b2")
    d.advance(1)
    d.ready("b1")  # 3 free, reserve 1: one dispatch to the service agent idle longest
    assert d.dialing == {"b2": service_ticket}


def test_ticket_for_a_queue_without_a_free_skilled_agent_waits():
    specs = ("a1", "a2", ("b1", {"service": 1}))
    d = driver(specs, callback_reserve=0)
    paused_all(d, "a1", "a2", "b1")
    ticket = abandon(d, "c1", "139", hotline="800")
    d.ready("a1")
    d.ready("a2")
    assert not d.dialing
    d.ready("b1")
    assert d.dialing == {"b1": ticket}


def test_an_agent_calling_back_is_not_rung_and_takes_waiting_calls_afterwards():
    d = driver(("a1",), callback_reserve=0)
    paused_all(d, "a1")
    ticket = abandon(d, "c1", "139")
    d.ready("a1")
    assert d.dialing == {"a1": ticket}
    d.arrive("c2", caller="138")
    assert d.rung("c2") is None
    d.complete("a1", ticket, "ordered")
    assert d.rung("c2") == "a1"


def test_callback_is_followed_by_wrapup():
    d = driver(("a1",), callback_reserve=0, wrapup=20)
    paused_all(d, "a1")
    ticket = abandon(d, "c1", "139")
    d.ready("a1")
    d.complete("a1", ticket, "ordered")
    d.arrive("c2", caller="138")
    assert d.rung("c2") is None
    d.advance(20)
    assert d.rung("c2") == "a1"


# --- manual claims and the agent's state --------------------------------------------------------


def test_manual_claim_from_a_paused_agent_returns_them_to_paused():
    d = driver(("a1",), callback_reserve=None)
    d.not_ready("a1", "lunch")
    ticket = abandon(d, "c1", "139")
    d.claim("a1", ticket)
    d.arrive("c2", caller="138")
    d.complete("a1", ticket, "ordered")
    assert d.rung("c2") is None
    # the callback is work: the pause ends when it starts and comes back when it is done
    assert [(r.verb, r.field("reason")) for r in d.log if r.verb in (Verb.PAUSE, Verb.UNPAUSE)] == [
        (Verb.PAUSE, "lunch"),
        (Verb.UNPAUSE, "lunch"),
        (Verb.PAUSE, "lunch"),
    ]
    d.ready("a1")
    assert records(d.log, Verb.UNPAUSE)[-1].field("reason") == "lunch"
    assert d.rung("c2") == "a1"


def test_manual_claim_from_a_paused_agent_made_ready_meanwhile_ends_ready():
    d = driver(("a1",), callback_reserve=None)
    d.not_ready("a1", "lunch")
    ticket = abandon(d, "c1", "139")
    d.claim("a1", ticket)
    d.ready("a1")
    d.arrive("c2", caller="138")
    d.complete("a1", ticket, "ordered")
    assert d.rung("c2") == "a1"
    # regression: the log showed a1 paused from the claim on, while a1 took calls again
    assert [r.verb for r in d.log if r.verb in (Verb.PAUSE, Verb.UNPAUSE)] == [Verb.PAUSE, Verb.UNPAUSE]


def test_manual_claim_from_a_ready_agent_returns_them_to_ready():
    d = driver(("a1",), callback_reserve=None)
    d.connect("x")
    ticket = abandon(d, "c1", "139")
    d.agent_hangs_up("x")
    d.claim("a1", ticket)
    d.complete("a1", ticket, "ordered")
    d.arrive("c2", caller="138")
    assert d.rung("c2") == "a1"


def test_logout_during_a_callback_applies_after_it():
    d = driver(("a1",), callback_reserve=None)
    d.not_ready("a1")
    ticket = abandon(d, "c1", "139")
    d.claim("a1", ticket)
    d.logout("a1")
    assert Verb.AGENTLOGOFF not in verbs(d.log)
    d.complete("a1", ticket, "ordered")
    assert verbs(d.log, agent="a1")[-1] == Verb.AGENTLOGOFF


def test_dispatch_across_queues_is_urgent_first_then_first_come():
    both = {"sales": 1, "service": 1}
    d = driver((("a1", both),), callback_reserve=0, vip=frozenset({"v"}))
    paused_all(d, "a1")
    first = abandon(d, "c1", "n1", hotline="400")
    d.advance(5)
    second = abandon(d, "c2", "n2", hotline="800")
    d.advance(5)
    urgent = abandon(d, "c3", "v", hotline="800")
    order = []
    actions = d.ready("a1")
    for _ in range(3):
        [(ticket, agent)] = dials(actions)
        order.append(ticket)
        actions = d.complete(agent, ticket, "inquiry")
    assert order == [urgent, first, second]
    claimed = records(d.log, Verb.CALLBACK_CLAIMED)
    assert [r.queue for r in claimed] == ["service", "sales", "service"]


# --- the agent does not answer the callback ring ----------------------------------------------------


def test_an_unanswered_callback_ring_gives_the_ticket_back_and_pauses_the_agent():
    d = driver(("a1", "a2"), callback_reserve=0)
    paused_all(d, "a1", "a2")
    ticket = abandon(d, "c1", "139")
    assert dials(d.ready("a1")) == [(ticket, "a1")]
    d.advance(15)
    actions = d.send(CallbackAgentDidNotAnswer(d.now, "a1", ticket))
    t = d.center.tickets.tickets[ticket]
    assert (t.status, t.claimer, t.attempts, t.outcome) == ("open", None, 0, None)  # not an attempt
    assert [(r.verb, r.agent, r.field("ticket")) for r in records(d.log, Verb.CALLBACK_RELEASED)] == [
        (Verb.CALLBACK_RELEASED, "a1", ticket)
    ]
    assert d.center.agents["a1"].state == "paused"
    assert verbs(d.log, agent="a1")[-1] == Verb.PAUSE
    assert [(a.agent_id, a.reason) for a in of_type(actions, AgentPaused)] == [("a1", "ringnoanswer")]
    assert dials(actions) == []  # nobody else is free
    assert dials(d.ready("a2")) == [(ticket, "a2")]  # the next free agent dials it


def test_an_unanswered_callback_ring_is_redialled_by_another_free_agent_at_once():
    d = driver(("a1", "a2"), callback_reserve=0)
    paused_all(d, "a1", "a2")
    ticket = abandon(d, "c1", "139")
    d.ready("a1")
    d.ready("a2")  # a2 is free while a1's phone rings for the callback
    assert d.dialing == {"a1": ticket}
    actions = d.send(CallbackAgentDidNotAnswer(d.now, "a1", ticket))
    assert dials(actions) == [(ticket, "a2")]


def test_a_late_report_of_an_unanswered_callback_ring_changes_nothing():
    d = driver(("a1",), callback_reserve=0)
    paused_all(d, "a1")
    ticket = abandon(d, "c1", "139")
    d.ready("a1")
    d.complete("a1", ticket, "ordered")
    before = list(d.log)
    assert d.send(CallbackAgentDidNotAnswer(d.now, "a1", ticket)) == []
    assert d.log == before and d.center.agents["a1"].state == "ready"


def test_a_logout_asked_for_during_the_callback_ring_applies_when_it_goes_unanswered():
    d = driver(("a1",), callback_reserve=0)
    paused_all(d, "a1")
    ticket = abandon(d, "c1", "139")
    d.ready("a1")
    d.logout("a1")
    d.send(CallbackAgentDidNotAnswer(d.now, "a1", ticket))
    assert d.center.agents["a1"].state == "out"
    assert verbs(d.log, agent="a1")[-2:] == [Verb.CALLBACK_RELEASED, Verb.AGENTLOGOFF]
