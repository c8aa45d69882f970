"""SqlAirings, SqlMemberships and SqlCallRecords on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.store.airings import AiringError, SqlAirings, UnknownAiring
from adapters.store.call_records import ComplaintConflict, SqlCallRecords, UnknownRecord
from adapters.store.ids import SqlIds
from adapters.store.membership import MembershipConflict, SqlMemberships
from core.call_records import (
    CLOSED,
    COMPLAINT,
    IN_PROGRESS,
    INQUIRY,
    OPEN,
    RESOLVED,
    CallRecord,
    CallRecordError,
    open_complaint,
    record_call,
)
from core.config import Airing
from core.membership import (
    BONUS,
    EARNED,
    REDEEMED,
    REVERSED,
    InsufficientPoints,
    MembershipError,
    NotAMember,
    PointsRule,
    record_purchase,
    redeem_points,
    reverse_purchase,
)
from tests.helpers import race
from tests.integration.store.business_fixtures import T0, stocked_store

# --- airings -----------------------------------------------------------------------------------------

A1 = Airing("A1", "CCTV-2", T0, 600.0, "4008001234", "不粘锅", "live", 12000.0)
A2 = Airing("A2", "湖南卫视", T0 + 3600, 120.0, "4008005678", "刀具", "spot", 3500.5)


def test_airings_round_trip_and_list_by_hotline_and_time(engine):
    airings = SqlAirings(engine)
    assert airings.add_many([A2, A1]) == 2
    assert airings.get("A1") == A1 and airings.get("A2") == A2
    assert airings.list() == [A1, A2]
    assert airings.list(hotline="4008005678") == [A2]
    assert airings.list(start=T0 + 1) == [A2] and airings.list(end=T0 + 1) == [A1]
    with pytest.raises(UnknownAiring):
        airings.get("A9")


def test_adding_an_existing_airing_stores_nothing_but_replacing_overwrites(engine):
    airings = SqlAirings(engine)
    airings.add(A1)
    moved = Airing("A1", "CCTV-2", T0 + 60, 600.0, "4008001234", "不粘锅", "live", 15000.0)
    with pytest.raises(AiringError):
        airings.add_many([A2, moved])
    assert airings.list() == [A1]
    assert airings.replace_many([moved, A2]) == 2
    assert airings.list() == [moved, A2]
    airings.delete("A2")
    assert airings.list() == [moved]
    with pytest.raises(UnknownAiring):
        airings.delete("A2")


# --- membership --------------------------------------------------------------------------------------

RULE = PointsRule(points_per_yuan=Decimal("1"), first_purchase_bonus=100)


def test_points_earned_redeemed_and_reversed_round_trip(engine):
    _, customer = stocked_store(engine)
    memberships = SqlMemberships(engine)
    cid = customer.customer_id
    assert memberships.get(cid) is None and memberships.balance(cid) == 0
    with pytest.raises(NotAMember):
        redeem_points(memberships, RULE, cid, 10, T0)
    record_purchase(memberships, RULE, cid, "O1", Decimal("199.50"), T0 + 10)
    assert memberships.balance(cid) == 299
    assert redeem_points(memberships, RULE, cid, 250, T0 + 20, order_id="O2") == Decimal("2.50")
    with pytest.raises(InsufficientPoints):
        redeem_points(memberships, RULE, cid, 50, T0 + 30)
    assert reverse_purchase(memberships, cid, "O1", T0 + 40) == 49  # not below zero
    stored = memberships.get(cid)
    assert stored.member_since == T0 + 10 and stored.balance == 0 == memberships.balance(cid)
    assert [(e.kind, e.points, e.balance) for e in stored.entries] == [
        (EARNED, 199, 199),
        (BONUS, 100, 299),
        (REDEEMED, -250, 49),
        (REVERSED, -49, 0),
    ]
    with pytest.raises(MembershipError):
        record_purchase(memberships, RULE, cid, "O1", Decimal("10"), T0 + 50)  # the core's rule, via the store


def test_a_stale_membership_cannot_overwrite_newer_points(engine):
    _, customer = stocked_store(engine)
    memberships = SqlMemberships(engine)
    record_purchase(memberships, RULE, customer.customer_id, "O1", Decimal("100"), T0)
    first, second = memberships.get(customer.customer_id), memberships.get(customer.customer_id)
    first.redeem(150, T0 + 1)
    memberships.update(first)
    second.redeem(150, T0 + 2)  # the same points again, from an old copy
    with pytest.raises(MembershipConflict):
        memberships.update(second)
    assert memberships.balance(customer.customer_id) == 50


def test_twenty_concurrent_redemptions_of_one_balance_spend_it_once(engine):
    _, customer = stocked_store(engine)
    memberships = SqlMemberships(engine)
    cid = customer.customer_id
    record_purchase(memberships, RULE, cid, "O1", Decimal("100"), T0)  # 200 points
    results = race(20, lambda i: redeem_points(memberships, RULE, cid, 150, T0 + 5), timeout=120)
    assert sum(isinstance(r, Decimal) for r in results) == 1, results
    assert all(isinstance(r, (Decimal, MembershipError)) for r in results), results
    assert memberships.balance(cid) == 50 and memberships.get(cid).balance == 50


# --- call records and complaints ----------------------------------------------------------------------

CUSTOMER_CALL = dict(call_id="c1", caller="+8613800138000", agent_id="a1", started_at=T0, customer_id="C1")


def stored_call(calls: SqlCallRecords, ids: SqlIds, **fields) -> CallRecord:
    """A call of customer C1 (unless ``fields`` say otherwise), given a record id and stored."""
    record = record_call(ids, **{**CUSTOMER_CALL, **fields})
    calls.add(record)
    return record


def test_call_records_round_trip_newest_first(engine):
    calls, ids = SqlCallRecords(engine), SqlIds(engine)
    first = stored_call(
        calls, ids, ended_at=T0 + 90, answered_at=T0 + 12.5, business_type=INQUIRY, summary="price of the pan"
    )
    second = stored_call(
        calls,
        ids,
        call_id="c2",
        agent_id="",
        started_at=T0 + 500,
        ended_at=T0 + 510,
        call_type="dropped",
        business_type="order",
    )
    assert calls.get(first.record_id) == first and calls.get(second.record_id) == second
    assert calls.get(first.record_id).wait == 12.5
    assert calls.for_customer("C1") == [second, first] == calls.for_caller("+8613800138000")
    with pytest.raises(CallRecordError):
        calls.add(first)
    with pytest.raises(UnknownRecord):
        calls.get("R404")


def test_a_complaint_is_followed_to_closure(engine):
    calls, ids = SqlCallRecords(engine), SqlIds(engine)
    record = stored_call(
        calls, ids, ended_at=T0 + 60, answered_at=T0 + 5, business_type=COMPLAINT, summary="pan arrived dented"
    )
    complaint = open_complaint(record, ids, now=T0 + 60, category="delivery", order_id="O7")
    calls.add_complaint(complaint)
    assert calls.get_complaint(complaint.complaint_id) == complaint
    assert [c.complaint_id for c in calls.unclosed(T0 + 3600, older_than=1800)] == [complaint.complaint_id]
    cid = complaint.complaint_id
    calls.change_complaint(cid, lambda c: c.assign("sup-1", T0 + 100))
    with pytest.raises(CallRecordError):  # the core's transition rule
        calls.change_complaint(cid, lambda c: c.close(T0 + 150, "sup-1"))
    calls.change_complaint(cid, lambda c: c.resolve("replacement sent", T0 + 200, "sup-1"))
    calls.change_complaint(cid, lambda c: c.reopen("replacement dented too", T0 + 300, "a1"))
    calls.change_complaint(cid, lambda c: c.resolve("refunded", T0 + 400, "sup-1"))
    closed = calls.change_complaint(cid, lambda c: c.close(T0 + 500, "sup-1"))
    stored = calls.get_complaint(complaint.complaint_id)
    assert stored == closed and stored.status == CLOSED and stored.closed_at == T0 + 500
    assert [s.status for s in stored.steps] == [OPEN, IN_PROGRESS, RESOLVED, IN_PROGRESS, RESOLVED, CLOSED]
    assert (stored.handler, stored.resolution, stored.order_id) == ("sup-1", "refunded", "O7")
    assert calls.unclosed(T0 + 9999) == [] and calls.complaints(status=CLOSED) == [stored]


def test_a_complaint_needs_its_call_record_stored(engine):
    calls, ids = SqlCallRecords(engine), SqlIds(engine)
    record = CallRecord("R-missing", "c1", "", "a1", T0, T0 + 1, business_type=COMPLAINT, summary="rude agent")
    with pytest.raises(CallRecordError):
        calls.add_complaint(open_complaint(record, ids, now=T0))
    assert calls.complaints() == []


def test_two_supervisors_resolving_one_complaint_at_once_cannot_both_win(engine):
    calls, ids = SqlCallRecords(engine), SqlIds(engine)
    record = stored_call(
        calls, ids, caller="", customer_id="", ended_at=T0 + 1, business_type=COMPLAINT, summary="late"
    )
    complaint = open_complaint(record, ids, now=T0)
    calls.add_complaint(complaint)
    cid = complaint.complaint_id
    calls.change_complaint(cid, lambda c: c.assign("sup", T0 + 1))

    def resolve(i: int):
        return calls.change_complaint(cid, lambda c: c.resolve(f"fix {i}", T0 + 2, f"sup-{i}"))

    results = race(10, resolve, timeout=120)
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1 and all(
        isinstance(r, (ComplaintConflict, CallRecordError)) for r in results if r not in winners
    )
    stored = calls.get_complaint(complaint.complaint_id)
    assert stored.resolution == winners[0].resolution and [s.status for s in stored.steps].count(RESOLVED) == 1
