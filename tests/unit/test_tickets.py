"""TicketBook on its own: one open ticket per number, one claimer, callback order, retries, expiry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.tickets import OUTCOMES, PRIORITIES, Ticket, TicketBook, TicketError, after_attempt

TTL = 3 * 86400.0
RETRY = 1800.0


def book() -> TicketBook:
    return TicketBook(ttl=TTL, retry_after=RETRY)


def ticket(
    n: int, *, number: str | None = None, priority: str = "normal", at: float = 0.0, queue: str = "sales"
) -> Ticket:
    return Ticket(f"t{n}", f"c{n}", number or f"139{n:04d}", priority, "400", "", at, queue=queue)


def test_create_lists_the_ticket_as_open():
    b = book()
    t = b.create(ticket(1, at=10))
    assert t.status == "open" and t.is_open and t.claimer is None and t.attempts == 0
    assert b.open_ticket_for(t.number) is t
    assert b.ordered() == [t]
    assert b.due_queues() == ["sales"]
    assert b.expires_at(t) == 10 + TTL


def test_one_open_ticket_per_number():
    b = book()
    b.create(ticket(1, number="139"))
    with pytest.raises(TicketError):
        b.create(ticket(2, number="139"))
    assert list(b.tickets) == ["t1"]


def test_unknown_priority_is_refused():
    with pytest.raises(TicketError):
        book().create(ticket(1, priority="whenever"))
    assert PRIORITIES == ("urgent", "normal")


def test_ordered_is_priority_then_first_come():
    b = book()
    b.create(ticket(1, at=5))
    b.create(ticket(2, priority="urgent", at=9))
    b.create(ticket(3, at=1))
    b.create(ticket(4, priority="urgent", at=2))
    assert [t.ticket_id for t in b.ordered()] == ["t4", "t2", "t3", "t1"]


def test_next_due_follows_callback_order_and_leaves_the_ticket_listed():
    b = book()
    b.create(ticket(1, at=5))
    b.create(ticket(2, priority="urgent", at=9))
    found, expired = b.next_due(100, "sales")
    assert found.ticket_id == "t2" and expired == []
    found_again, _ = b.next_due(100, "sales")
    assert found_again is found  # not claimed yet, so still first
    b.claim("t2", "a1")
    assert b.next_due(100, "sales")[0].ticket_id == "t1"


def test_next_due_is_per_queue():
    b = book()
    b.create(ticket(1, at=1, queue="sales"))
    b.create(ticket(2, at=2, queue="service", priority="urgent"))
    assert sorted(b.due_queues()) == ["sales", "service"]
    assert b.next_due(100, "sales")[0].ticket_id == "t1"
    assert b.next_due(100, "service")[0].ticket_id == "t2"
    assert b.next_due(100, "backoffice") == (None, [])
    b.claim("t2", "a1")
    b.next_due(100, "service")  # drops the claimed ticket from the list
    assert b.due_queues() == ["sales"]


def test_next_due_expires_old_tickets_on_the_way():
    b = book()
    b.create(ticket(1, at=0))
    b.create(ticket(2, at=100))
    found, expired = b.next_due(TTL + 50, "sales")
    assert [t.ticket_id for t in expired] == ["t1"]
    assert found.ticket_id == "t2"
    assert b.tickets["t1"].status == "expired" and b.open_ticket_for("1390001") is None


def test_next_due_on_an_empty_book():
    assert book().next_due(0, "sales") == (None, [])
    assert book().due_queues() == []


def test_claim_is_exclusive():
    b = book()
    b.create(ticket(1))
    b.claim("t1", "a1")
    with pytest.raises(TicketError, match="already claimed by a1"):
        b.claim("t1", "a2")
    t = b.tickets["t1"]
    assert (t.status, t.claimer) == ("claimed", "a1")
    assert b.ordered() == []
    assert t.is_open


def test_claim_of_unknown_ticket():
    with pytest.raises(TicketError):
        book().claim("nope", "a1")


def test_release_gives_the_ticket_back_in_its_old_place():
    b = book()
    b.create(ticket(1, at=1))
    b.create(ticket(2, at=2))
    b.claim("t1", "a1")
    with pytest.raises(TicketError):
        b.release("t1", "a2")
    b.release("t1", "a1")
    assert (b.tickets["t1"].status, b.tickets["t1"].claimer) == ("open", None)
    assert b.next_due(10, "sales")[0].ticket_id == "t1"
    b.claim("t1", "a2")  # anyone can claim it now
    assert b.next_due(10, "sales")[0].ticket_id == "t2"


@pytest.mark.parametrize("outcome", [o for o in OUTCOMES if o != "unreachable"])
def test_complete_with_a_final_outcome_closes_the_ticket(outcome):
    b = book()
    b.create(ticket(1, number="139"))
    b.claim("t1", "a1")
    t = b.complete("t1", "a1", outcome, 60)
    assert (t.status, t.outcome, t.attempts, t.claimer) == ("done", outcome, 1, None)
    assert not t.is_open
    assert b.open_ticket_for("139") is None
    b.create(ticket(2, number="139"))  # the number may get a new ticket


def test_complete_checks_outcome_and_claimer_before_changing_anything():
    b = book()
    b.create(ticket(1))
    with pytest.raises(TicketError):
        b.complete("t1", "a1", "ordered", 1)  # not claimed
    b.claim("t1", "a1")
    with pytest.raises(TicketError):
        b.complete("t1", "a1", "maybe", 1)
    with pytest.raises(TicketError):
        b.complete("t1", "a2", "ordered", 1)
    t = b.tickets["t1"]
    assert (t.status, t.claimer, t.attempts) == ("claimed", "a1", 0)


def test_unreachable_waits_for_a_retry_then_is_listed_again():
    b = book()
    b.create(ticket(1, at=0))
    b.claim("t1", "a1")
    t = b.complete("t1", "a1", "unreachable", 100)
    assert (t.status, t.next_try_at, t.attempts) == ("waiting", 100 + RETRY, 1)
    assert t.is_open and b.open_ticket_for(t.number) is t
    assert b.next_due(200, "sales") == (None, [])
    assert b.retry_due("t1") is t
    assert t.status == "open"
    assert b.next_due(100 + RETRY, "sales")[0] is t
    assert b.retry_due("t1") is None  # only a waiting ticket is due for a retry
    assert b.retry_due("nope") is None


def test_unreachable_past_expiry_expires():
    b = book()
    b.create(ticket(1, at=0))
    b.claim("t1", "a1")
    t = b.complete("t1", "a1", "unreachable", TTL - RETRY)
    assert t.status == "expired"
    assert b.open_ticket_for(t.number) is None


def test_expire_closes_open_and_waiting_tickets_but_not_claimed_ones():
    b = book()
    b.create(ticket(1, at=0))
    b.create(ticket(2, at=0))
    b.create(ticket(3, at=0))
    b.create(ticket(4, at=10))
    b.claim("t2", "a1")
    b.claim("t3", "a2")
    b.complete("t3", "a2", "unreachable", 5)
    assert b.expire(TTL - 1) == []
    assert sorted(t.ticket_id for t in b.expire(TTL)) == ["t1", "t3"]
    assert [b.tickets[i].status for i in ("t1", "t2", "t3", "t4")] == ["expired", "claimed", "expired", "open"]
    assert b.expire(TTL) == []  # only once
    assert b.retry_due("t3") is None


def test_a_released_ticket_is_offered_once():
    b = book()
    b.create(ticket(1, at=1))
    b.claim("t1", "a1")
    b.release("t1", "a1")
    b.claim("t1", "a2")
    b.release("t1", "a2")  # listed twice now internally; still offered as one ticket
    seen = []
    while True:
        found, _ = b.next_due(10, "sales")
        if found is None:
            break
        seen.append(found.ticket_id)
        b.claim(found.ticket_id, "a9")
    assert seen == ["t1"]


@given(
    outcome=st.sampled_from(OUTCOMES),
    now=st.floats(0, 10 * TTL, allow_nan=False),
    created=st.floats(0, 10 * TTL, allow_nan=False),
)
def test_after_attempt_retries_only_an_unreachable_callee_before_expiry(outcome, now, created):
    """The one rule both the book and the store (``adapters.store.tickets``) follow."""
    status, next_try_at = after_attempt(outcome, now, created + TTL, RETRY)
    if outcome != "unreachable":
        assert (status, next_try_at) == ("done", None)
    elif now + RETRY < created + TTL:
        assert (status, next_try_at) == ("waiting", now + RETRY)
    else:
        assert (status, next_try_at) == ("expired", None)
