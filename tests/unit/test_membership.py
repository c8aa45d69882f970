"""Membership: member on first purchase, points by rule, redemption within the balance, history."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.membership import (
    BONUS,
    EARNED,
    REDEEMED,
    REVERSED,
    InMemoryMemberships,
    InsufficientPoints,
    Membership,
    MembershipError,
    NotAMember,
    PointsRule,
    record_purchase,
    redeem_points,
    reverse_purchase,
)

RULE = PointsRule(points_per_yuan=Decimal("1"), first_purchase_bonus=100, yuan_per_point=Decimal("0.01"))


def test_the_first_purchase_makes_a_member_with_the_bonus():
    repo = InMemoryMemberships()
    assert repo.get("C1") is None
    membership = record_purchase(repo, RULE, "C1", "O1", Decimal("399.90"), now=10.0)
    assert membership.member_since == 10.0
    assert membership.balance == 399 + 100
    assert [(e.kind, e.points, e.balance) for e in membership.entries] == [(EARNED, 399, 399), (BONUS, 100, 499)]
    record_purchase(repo, RULE, "C1", "O2", Decimal("59.90"), now=20.0)
    assert repo.get("C1").balance == 499 + 59  # no second bonus
    assert repo.get("C1").member_since == 10.0


def test_points_follow_the_rule():
    assert PointsRule(points_per_yuan=Decimal("2")).points_for(Decimal("10.60")) == 21
    assert PointsRule().points_for(Decimal("0.99")) == 0
    assert PointsRule().points_for(Decimal("-5")) == 0
    assert PointsRule(yuan_per_point=Decimal("0.05")).value_of(30) == Decimal("1.50")
    with pytest.raises(MembershipError):
        PointsRule(points_per_yuan=Decimal("-1"))
    with pytest.raises(MembershipError):
        PointsRule(yuan_per_point=Decimal("0"))


def test_redeeming_within_the_balance():
    repo = InMemoryMemberships()
    record_purchase(repo, RULE, "C1", "O1", Decimal("400"), now=1)
    assert redeem_points(repo, RULE, "C1", 300, now=2, order_id="O2") == Decimal("3.00")
    assert repo.get("C1").balance == 200
    with pytest.raises(InsufficientPoints, match="has 200 points, cannot redeem 201") as failure:
        redeem_points(repo, RULE, "C1", 201, now=3)
    assert (failure.value.wanted, failure.value.balance) == (201, 200)
    assert repo.get("C1").balance == 200
    with pytest.raises(MembershipError, match="at least"):
        redeem_points(repo, PointsRule(minimum_redemption=100), "C1", 50, now=3)


def test_only_members_redeem():
    with pytest.raises(NotAMember, match="first purchase"):
        redeem_points(InMemoryMemberships(), RULE, "C9", 1, now=0)


def test_history_newest_first():
    repo = InMemoryMemberships()
    record_purchase(repo, RULE, "C1", "O1", Decimal("50"), now=1)
    redeem_points(repo, RULE, "C1", 20, now=2, order_id="O2")
    history = repo.get("C1").history()
    assert [(e.at, e.kind, e.points, e.balance) for e in history] == [
        (2, REDEEMED, -20, 130),
        (1, BONUS, 100, 150),
        (1, EARNED, 50, 50),
    ]


def test_an_order_earns_once_and_time_moves_forward():
    repo = InMemoryMemberships()
    record_purchase(repo, RULE, "C1", "O1", Decimal("50"), now=5)
    with pytest.raises(MembershipError, match="already earned"):
        record_purchase(repo, RULE, "C1", "O1", Decimal("50"), now=6)
    with pytest.raises(MembershipError, match="older"):
        record_purchase(repo, RULE, "C1", "O2", Decimal("50"), now=4)


def test_a_returned_order_takes_its_points_back_as_far_as_they_remain():
    repo = InMemoryMemberships()
    record_purchase(repo, RULE, "C1", "O1", Decimal("200"), now=1)  # 200 + 100 bonus
    redeem_points(repo, RULE, "C1", 250, now=2)
    assert reverse_purchase(repo, "C1", "O1", now=3) == 50
    membership = repo.get("C1")
    assert membership.balance == 0 and membership.entries[-1].kind == REVERSED
    assert reverse_purchase(repo, "C1", "O1", now=4) == 0


def test_bad_point_changes():
    membership = Membership("C1", 0.0)
    with pytest.raises(MembershipError):
        membership.earn(-1, 1.0)
    with pytest.raises(MembershipError):
        membership.redeem(0, 1.0)
    with pytest.raises(MembershipError, match="already a member"):
        InMemoryMemberships([membership]).add(Membership("C1", 1.0))


@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("buy"), st.decimals(min_value=0, max_value=5000, places=2)),
            st.tuples(st.just("redeem"), st.integers(min_value=1, max_value=3000)),
        ),
        max_size=40,
    )
)
def test_property_balance_is_the_sum_of_history_and_never_negative(operations):
    repo = InMemoryMemberships()
    for n, (op, value) in enumerate(operations):
        try:
            if op == "buy":
                record_purchase(repo, RULE, "C1", f"O{n}", value, now=float(n))
            else:
                redeem_points(repo, RULE, "C1", value, now=float(n))
        except (InsufficientPoints, NotAMember):
            pass
        membership = repo.get("C1")
        if membership is not None:
            assert membership.balance == sum(e.points for e in membership.entries) >= 0
            assert all(e.balance >= 0 for e in membership.entries)
