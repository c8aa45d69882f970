"""Callback tickets inside the core: ordering, claiming, outcomes, retries, expiry and dispatch."""

from __future__ import annotations

import pytest

from core.center import CommandRejected
from core.log import Verb
from core.messages import AgentPaused, CallbackAgentDidNotAnswer, DialCallback, ExpireCallbacks, StartTimer
from core.tickets import OUTCOMES
from tests.unit.fakes import T0, Driver, make_center, of_type, records, verbs

DAY = 86400.0


def driver(agent_specs=("a1", "a2", "a3"), *, login=True, **kw) -> Driver:
    kw.setdefault("ivr_after", None)
    d = Driver(make_center(agent_specs, **kw))
    if login:
        d.login(*[s if isinstance(s, str) else s[0] for s in agent_specs])
    return d


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


# --- ordering -----------------------------------------------------------------------------------


def test_callback_list_is_urgent_first_then_first_come():
    d = driver(("a1",), callback_reserve=0, vip=frozenset({"v1", "v2"}), important=frozenset({"i1"}))
    paused_all(d, "a1")
    tickets = [abandon(d, f"c{i}", caller) for i, caller in enumerate(["n1", "v1", "n2", "i1", "v2"])]
    book = d.center.tickets
    assert [t.number for t in book.ordered()] == ["v1", "i1", "v2", "n1", "n2"]
    assert [book.tickets[t].priority for t in tickets] == ["normal", "urgent", "normal", "urgent", "urgent"]
    dialled = []
    actions = d.ready("a1")
    for _ in range(5):
        [(ticket, agent)] = dials(actions)
        dialled.append(book.tickets[ticket].number)
        d.advance(60)
        actions = d.complete(agent, ticket, "ordered")
    assert dialled == ["v1", "i1", "v2", "n1", "n2"]
    assert dials(actions) == []


def test_ticket_records_hotline_creation_time_and_call():
    d = driver(("a1",), callback_reserve=None)
    paused_all(d, "a1")
    ticket_id = abandon(d, "c1", "139", hotline="800", wait=7)
    ticket = d.center.tickets.tickets[ticket_id]
    assert (ticket.call_id, ticket.number, ticket.hotline, ticket.created_at) == ("c1", "139", "800", T0 + 7)
    assert ticket.status == "open" and ticket.claimer is None


# --- claiming -----------------------------------------------------------------------------------


def test_a_ticket_has_one_claimer_and_a_second_claim_is_rejected():
    d = driver(("a1", "a2"), callback_reserve=None)
    paused_all(d, "a1", "a2")
    ticket = abandon(d, "c1", "139")
    actions = d.claim("a1", ticket)
    assert dials(actions) == [(ticket, "a1")]
    claimed = records(d.log, Verb.CALLBACK_CLAIMED)
    assert [(r.agent, r.field("ticket"), r.call_id, r.queue) for r in claimed] == [("a1", ticket, "c1", "sales")]
    with pytest.raises(CommandRejected):
        d.claim("a2", ticket)
    with pytest.raises(CommandRejected):
        d.claim("a1", ticket)  # a1 is busy calling back
    assert d.center.tickets.tickets[ticket].claimer == "a1"
    assert len(records(d.log, Verb.CALLBACK_CLAIMED)) == 1


def test_only_the_claimer_can_complete():
    d = driver(("a1", "a2"), callback_reserve=None)
    paused_all(d, "a1", "a2")
    ticket = abandon(d, "c1", "139")
    d.claim("a1", ticket)
    with pytest.raises(CommandRejected):
        d.complete("a2", ticket, "ordered")
    with pytest.raises(CommandRejected):
        d.complete("a1", ticket, "sold-a-wok")  # not an outcome
    assert d.center.tickets.tickets[ticket].status == "claimed"
    d.complete("a1", ticket, "ordered")
    with pytest.raises(CommandRejected):
        d.complete("a1", ticket, "ordered")  # done already


def test_claim_of_a_done_ticket_is_rejected():
    d = driver(("a1", "a2"), callback_reserve=None)
    paused_all(d, "a1", "a2")
    ticket = abandon(d, "c1", "139")
    d.claim("a1", ticket)
    d.complete("a1", ticket, "inquiry")
    with pytest.raises(CommandRejected):
        d.claim("a2", ticket)


# --- outcomes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["ordered", "cancelled", "inquiry", "complaint", "wrong_number"])
def test_final_outcomes_close_the_ticket(outcome):
    d = driver(("a1",), callback_reserve=None)
    paused_all(d, "a1")
    ticket = abandon(d, "c1", "139")
    d.claim("a1", ticket)
    d.advance(95)
    actions = d.complete("a1", ticket, outcome)
    done = records(d.log, Verb.CALLBACK_DONE)
    assert [(r.agent, r.field("ticket"), r.field("outcome"), r.field("attempt")) for r in done] == [
        ("a1", ticket, outcome, 1)
    ]
    assert done[0].field("talk") == pytest.approx(95)
    t = d.center.tickets.tickets[ticket]
    assert t.status == "done" and t.outcome == outcome and t.claimer is None
    assert not of_type(actions, StartTimer) or all(s.timer.kind != "retry" for s in of_type(actions, StartTimer))
    assert Verb.CALLBACK_RETRY not in verbs(d.log)
    # the number has no open ticket any more: a new abandon makes a new ticket
    assert abandon(d, "c2", "139") != ticket


def test_unreachable_is_retried_after_callback_retry_after():
    d = driver(("a1",), callback_reserve=None, callback_retry_after=600)
    paused_all(d, "a1")
    ticket = abandon(d, "c1", "139")
    d.claim("a1", ticket)
    d.advance(30)
    actions = d.complete("a1", ticket, "unreachable")
    retry = records(d.log, Verb.CALLBACK_RETRY)
    assert [(r.field("ticket"), r.field("next_attempt_at")) for r in retry] == [(ticket, d.now + 600)]
    timers = [s for s in of_type(actions, StartTimer) if s.timer.kind == "retry"]
    assert len(timers) == 1 and timers[0].at == d.now + 600
    book = d.center.tickets
    assert book.tickets[ticket].status == "waiting"
    assert book.ordered() == []  # not on the list until the retry is due
    with pytest.raises(CommandRejected):
        d.claim("a1", ticket)
    d.advance(599)
    assert book.tickets[ticket].status == "waiting"
    d.advance(1)
    assert book.tickets[ticket].status == "open"
    d.claim("a1", ticket)
    d.complete("a1", ticket, "ordered")
    assert [r.field("attempt") for r in records(d.log, Verb.CALLBACK_DONE)] == [1, 2]  # attempts


def test_retry_is_dispatched_automatically_when_agents_are_free():
    d = driver(("a1", "a2"), callback_reserve=0, callback_retry_after=600)
    paused_all(d, "a1", "a2")
    ticket = abandon(d, "c1", "139")
    actions = d.ready("a1")
    assert dials(actions) == [(ticket, "a1")]
    d.complete("a1", ticket, "unreachable")
    assert d.center.tickets.tickets[ticket].status == "waiting"
    d.advance(600)
    assert dials(d.actions[-3:]) and d.dialing == {"a1": ticket}


def test_a_caller_with_a_ticket_waiting_for_retry_is_a_duplicate():
    d = driver(("a1",), callback_reserve=None)
    paused_all(d, "a1")
    ticket = abandon(d, "c1", "139")
    d.claim("a1", ticket)
    d.complete("a1", ticket, "unreachable")
    d.not_ready("a1")
    d.arrive("c2", caller="139")
    d.caller_hangs_up("c2")
    assert [r.field("ticket") for r in records(d.log, Verb.CALLBACK_DUPLICATE)] == [ticket]


def test_unreachable_too_close_to_expiry_expires_instead_of_retrying():
    d = driver(("a1",), callback_reserve=None, callback_retry_after=1800)
    paused_all(d, "a1")
    ticket = abandon(d, "c1", "139")
    d.advance(3 * DAY - 1000)
    d.claim("a1", ticket)
    d.complete("a1", ticket, "unreachable")
    assert [r.field("ticket") for r in records(d.log, Verb.CALLBACK_EXPIRED)] == [ticket]
    assert Verb.CALLBACK_RETRY not in verbs(d.log)
    assert d.center.tickets.tickets[ticket].status == "expired"


# --- expiry -------------------------------------------------------------------------------------


def test_expire_callbacks_closes_tickets_three_days_old():
    d = driver(("a1",), callback_reserve=None)
    paused_all(d, "a1")
    old = abandon(d, "c1", "139")
    created = d.now
    d.advance(DAY)
    young = abandon(d, "c2", "138")
    d.now = created + 3 * DAY - 1
    d.send(ExpireCallbacks(d.now))
    assert Verb.CALLBACK_EXPIRED not in verbs(d.log)
    d.now = created + 3 * DAY
    d.send(ExpireCallbacks(d.now))
    assert [(r.field("ticket"), r.call_id) for r in records(d.log, Verb.CALLBACK_EXPIRED)] == [(old, "c1")]
    book = d.center.tickets
    assert book.tickets[old].status == "expired" and book.tickets[young].status == "open"
    assert book.open_ticket_for("139") is None
    d.not_ready("a1")
    assert abandon(d, "c3", "139")  # an expired ticket is no reason for a duplicate


def test_expiry_of_a_ticket_waiting_for_retry_cancels_the_retry_timer():
    d = driver(("a1",), callback_reserve=None, callback_retry_after=DAY)
    paused_all(d, "a1")
    ticket = abandon(d, "c1", "139")
    d.claim("a1", ticket)
    d.complete("a1", ticket, "unreachable")  # retry at +1 day
    assert "retry" in d.pending_timer_kinds()
    d.now = d.center.tickets.tickets[ticket].created_at + 3 * DAY
    d.send(ExpireCallbacks(d.now))
    assert "retry" not in d.pending_timer_kinds()


def test_claimed_tickets_do_not_expire_under_the_agent():
    d = driver(("a1",), callback_reserve=None)
    paused_all(d, "a1")
    ticket = abandon(d, "c1", "139")
    d.advance(3 * DAY - 10)
    d.claim("a1", ticket)
    d.advance(20)
    d.send(ExpireCallbacks(d.now))
    assert Verb.CALLBACK_EXPIRED not in verbs(d.log)
    d.complete("a1", ticket, "ordered")
    assert d.center.tickets.tickets[ticket].status == "done"


def test_dispatch_expires_old_tickets_lazily_and_dials_the_next():
    d = driver(("a1", "a2"), callback_reserve=0)
    paused_all(d, "a1", "a2")
    old = abandon(d, "c1", "139")
    d.advance(2 * DAY)
    young = abandon(d, "c2", "138")
    d.advance(1 * DAY)  # old is now three days old, nobody ran ExpireCallbacks
    actions = d.ready("a1")
    assert [r.field("ticket") for r in records(d.log, Verb.CALLBACK_EXPIRED)] == [old]
    assert dials(actions) == [(young, "a1")]


def test_manual_claim_of_a_ticket_past_its_expiry_is_rejected():
    d = driver(("a1",), callback_reserve=None)
    paused_all(d, "a1")
    ticket = abandon(d, "c1", "139")
    d.advance(3 * DAY)
    with pytest.raises(CommandRejected):
        d.claim("a1", ticket)
    d.send(ExpireCallbacks(d.now))
    assert [r.field("ticket") for r in records(d.log, Verb.CALLBACK_EXPIRED)] == [ticket]


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


def test_every_outcome_is_known():
    assert set(OUTCOMES) == {"ordered", "cancelled", "unreachable", "inquiry", "complaint", "wrong_number"}


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
