"""Use cases of orders, callback tickets and the core's records (``app.orders``, ``app.callbacks``,
``app.core_records``) on the in-memory unit of work."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.callbacks import (
    ClaimNextCallback,
    ReleaseCallback,
    claim_callback,
    claim_next_callback,
    complete_callback,
    expire_callbacks,
    release_callback,
)
from app.core_records import persist_core_records
from app.orders import CancelOrder, cancel_order, place_order
from core.catalog import OutOfStock, Product
from core.customers import Customer
from core.log import NONE, LogRecord, Verb
from core.messages import ClaimCallback, CompleteCallback, ExpireCallbacks
from core.orders import CANCELLED, OrderError, PlaceOrder
from core.phones import parse_phone
from core.regions import Address, Division
from core.tickets import Ticket, TicketError
from tests.unit.app_fakes import HOME, T0, TTL, AuditFailure, FailingAudit, FakeUnitOfWork

BLENDER = Product("BL-1", "破壁料理机", Decimal("399.00"), frozenset({"A1"}))


def shop(audit=None, units: int = 3, addresses=(HOME,)) -> FakeUnitOfWork:
    uow = FakeUnitOfWork(audit)
    uow.customers.add(Customer("C1", "王女士", [parse_phone("13800138000")], T0, addresses=list(addresses)))
    uow.catalog.add_product(BLENDER)
    uow.catalog.receive("W1", "BL-1", units)
    return uow


def order(quantity: int = 1, address: Address | None = HOME) -> PlaceOrder:
    return PlaceOrder(
        now=T0 + 60, customer_id="C1", lines=[("BL-1", quantity)], payment="cod", address=address, agent_id="agent"
    )


# --- orders --------------------------------------------------------------------------------------------


def test_an_order_holds_its_stock_and_is_stored_with_its_record_and_audit_row():
    uow = shop()
    placed = place_order(order(2), uow)
    assert uow.commits == 1 and uow.orders.get(placed.order_id).total == Decimal("798.00")
    assert uow.catalog.available("BL-1") == 1
    assert [r.verb for r in uow.event_log.records()] == [Verb.ORDER_PLACED]
    (entry,) = uow.audit.entries
    assert (entry.at, entry.user, entry.action, entry.entity_ids) == (T0 + 60, "agent", "orders.create", ("C1",))
    assert entry.detail == f"order {placed.order_id} total 798.00"


def test_without_an_address_the_order_goes_to_the_first_one_on_file():
    other = Address(Division("440305", "广东省", "深圳市", "南山区"), "科技园")
    uow = shop(addresses=(other, HOME))
    assert place_order(order(address=None), uow).address == other


def test_without_an_address_and_none_on_file_the_order_is_refused_and_nothing_is_stored():
    uow = shop(addresses=())
    before = uow.state()
    with pytest.raises(OrderError, match="no address on file"):
        place_order(order(address=None), uow)
    assert uow.state() == before and uow.commits == 0


def test_out_of_stock_stores_neither_order_nor_audit_row():
    uow = shop(units=1)
    before = uow.state()
    with pytest.raises(OutOfStock):
        place_order(order(2), uow)
    assert uow.state() == before and uow.commits == 0


def test_an_order_whose_audit_row_fails_is_not_stored_and_holds_no_stock():
    uow = shop(FailingAudit())
    before = uow.state()
    with pytest.raises(AuditFailure):
        place_order(order(2), uow)
    assert uow.state() == before and uow.catalog.available("BL-1") == 3 and uow.event_log.rows == []


def test_a_cancelled_order_gives_its_stock_back_and_says_why_in_the_audit():
    uow = shop()
    placed = place_order(order(2), uow)
    cancelled = cancel_order(CancelOrder(T0 + 120, placed.order_id, "changed her mind", "sup"), uow)
    assert cancelled.status == CANCELLED and uow.catalog.available("BL-1") == 3
    assert uow.audit.entries[-1].detail == f"order {placed.order_id}: changed her mind"
    assert uow.audit.entries[-1].user == "sup"


# --- callback tickets ----------------------------------------------------------------------------------


def ticket(ticket_id: str, number: str, created: float, priority: str = "normal", queue: str = "sales") -> Ticket:
    return Ticket(ticket_id, f"call-{ticket_id}", number, priority, "400", "", created, queue)


def with_tickets(audit=None) -> FakeUnitOfWork:
    uow = FakeUnitOfWork(audit)
    uow.tickets.create(ticket("cb-1", "139", T0))
    uow.tickets.create(ticket("cb-2", "150", T0 + 10, priority="urgent"))
    uow.tickets.create(ticket("cb-3", "151", T0 + 20, queue="service"))
    return uow


def test_a_ticket_has_one_claimer_and_only_the_winning_claim_is_audited():
    uow = with_tickets()
    assert claim_callback(ClaimCallback(T0 + 60, "a1", "cb-1"), uow).claimer == "a1"
    with pytest.raises(TicketError, match="already claimed by a1"):
        claim_callback(ClaimCallback(T0 + 61, "a2", "cb-1"), uow)
    assert [(e.user, e.action, e.entity_ids) for e in uow.audit.entries] == [("a1", "callbacks.claim", ("cb-1",))]
    assert uow.commits == 1


def test_claim_next_takes_urgent_first_within_the_queues_and_nothing_when_none_is_left():
    uow = with_tickets()
    assert claim_next_callback(ClaimNextCallback(T0 + 60, "a1"), uow).ticket_id == "cb-2"
    assert claim_next_callback(ClaimNextCallback(T0 + 61, "a2", ["service"]), uow).ticket_id == "cb-3"
    assert claim_next_callback(ClaimNextCallback(T0 + 62, "a3", ["service"]), uow) is None
    assert [e.entity_ids for e in uow.audit.entries] == [("cb-2",), ("cb-3",)] and uow.commits == 2


def test_an_unreachable_callback_waits_for_a_retry_and_the_outcome_is_audited():
    uow = with_tickets()
    claim_callback(ClaimCallback(T0 + 60, "a1", "cb-1"), uow)
    done = complete_callback(CompleteCallback(T0 + 120, "a1", "cb-1", "unreachable"), uow)
    assert (done.status, done.attempts, done.next_try_at) == ("waiting", 1, T0 + 120 + 1800)
    assert (uow.audit.entries[-1].action, uow.audit.entries[-1].detail) == ("callbacks.complete", "unreachable")


def test_only_the_claimer_releases_a_ticket():
    uow = with_tickets()
    claim_callback(ClaimCallback(T0 + 60, "a1", "cb-1"), uow)
    with pytest.raises(TicketError, match="not claimed by a2"):
        release_callback(ReleaseCallback(T0 + 61, "a2", "cb-1"), uow)
    released = release_callback(ReleaseCallback(T0 + 62, "a1", "cb-1"), uow)
    assert (released.status, released.claimer) == ("open", None)
    assert uow.audit.actions() == ["callbacks.claim", "callbacks.release"]


def test_a_claim_whose_audit_row_fails_leaves_the_ticket_open():
    uow = with_tickets(FailingAudit())
    with pytest.raises(AuditFailure):
        claim_callback(ClaimCallback(T0 + 60, "a1", "cb-1"), uow)
    assert uow.tickets.get("cb-1").status == "open" and uow.commits == 0


def test_housekeeping_reopens_due_retries_and_expires_old_tickets():
    uow = with_tickets()
    claim_callback(ClaimCallback(T0 + 60, "a1", "cb-1"), uow)
    complete_callback(CompleteCallback(T0 + 120, "a1", "cb-1", "unreachable"), uow)
    reopened, expired = expire_callbacks(ExpireCallbacks(T0 + 120 + 1800), uow)
    assert [t.ticket_id for t in reopened] == ["cb-1"] and expired == []
    reopened, expired = expire_callbacks(ExpireCallbacks(T0 + TTL + 30), uow)
    assert sorted(t.ticket_id for t in expired) == ["cb-1", "cb-2", "cb-3"]


# --- the core's records --------------------------------------------------------------------------------


def cb(time: float, verb: str, ticket_id: str, *data, agent: str = NONE) -> LogRecord:
    return LogRecord(time, "c1", "sales", agent, verb, ticket_id, *data)


STREAM = [
    LogRecord(T0 - 30, "c1", "sales", NONE, Verb.ENTERQUEUE, "", "139", 1, "400", "normal"),
    cb(T0, Verb.CALLBACK_CREATED, "cb-c1", "139", "urgent", "400", "air-1"),
    cb(T0 + 5, Verb.CALLBACK_CLAIMED, "cb-c1", agent="a1"),
    cb(T0 + 65, Verb.CALLBACK_DONE, "cb-c1", "unreachable", 1, 60.0, agent="a1"),
    cb(T0 + 65, Verb.CALLBACK_RETRY, "cb-c1", T0 + 1865),
]


def test_the_core_records_go_to_the_event_log_and_the_tickets_in_one_unit():
    uow = FakeUnitOfWork()
    result = persist_core_records(STREAM, "live", uow)
    assert (result.logged, result.applied, result.conflicts, uow.commits) == (5, 4, [], 1)
    assert uow.event_log.records("live") == STREAM
    got = uow.tickets.get("cb-c1")
    assert (got.status, got.attempts, got.outcome, got.next_try_at, got.priority) == (
        "waiting",
        1,
        "unreachable",
        T0 + 1865,
        "urgent",
    )


def test_records_that_contradict_the_store_are_listed_not_raised_and_source_none_skips_the_log():
    uow = FakeUnitOfWork()
    persist_core_records(STREAM[:3], None, uow)
    again = persist_core_records(STREAM[:3], None, uow)
    assert uow.event_log.rows == [] and again.applied == 0
    assert len(again.conflicts) == 2
    assert "exists already" in again.conflicts[0] and "claimed by a1" in again.conflicts[1]


def test_a_batch_that_fails_half_way_stores_no_record_at_all():
    uow = FakeUnitOfWork()
    broken = STREAM[:2] + [cb(T0 + 9, Verb.CALLBACK_RETRY, "cb-c1", "not a time")]
    with pytest.raises(ValueError):
        persist_core_records(broken, "live", uow)
    assert uow.event_log.rows == [] and uow.tickets.get("cb-c1") is None and uow.commits == 0
