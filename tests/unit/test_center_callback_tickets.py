"""Callback tickets inside the core: ordering, claiming, outcomes, retries and expiry."""

from __future__ import annotations

import pytest

from core.center import CommandRejected
from core.log import Verb
from core.messages import ExpireCallbacks, StartTimer
from core.tickets import OUTCOMES
from tests.unit.fakes import T0, abandon, dials, of_type, paused_all, records, verbs
from tests.unit.fakes import callback_driver as driver

DAY = 86400.0


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


def test_every_outcome_is_known():
    assert set(OUTCOMES) == {"ordered", "cancelled", "unreachable", "inquiry", "complaint", "wrong_number"}
