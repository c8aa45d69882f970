"""Membership: a customer becomes a member on their first purchase; points accrue by rule, can be redeemed
(never more than the balance), and every change is kept as history."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Iterable, Protocol

from core.catalog import money

EARNED = "earned"
BONUS = "bonus"
REDEEMED = "redeemed"
REVERSED = "reversed"  # points of a returned order taken back


class MembershipError(ValueError):
    """A points operation the rules forbid."""


class NotAMember(MembershipError):
    def __init__(self, customer_id: str) -> None:
        super().__init__(f"customer {customer_id} is not a member yet (membership starts with the first purchase)")
        self.customer_id = customer_id


class InsufficientPoints(MembershipError):
    def __init__(self, customer_id: str, wanted: int, balance: int) -> None:
        super().__init__(f"customer {customer_id} has {balance} points, cannot redeem {wanted}")
        self.customer_id, self.wanted, self.balance = customer_id, wanted, balance


@dataclass(frozen=True, slots=True)
class PointsRule:
    """Points per whole yuan spent (rounded down), a bonus with the first purchase, and what a point is
    worth when redeemed."""

    points_per_yuan: Decimal = Decimal("1")
    first_purchase_bonus: int = 0
    yuan_per_point: Decimal = Decimal("0.01")
    minimum_redemption: int = 1

    def __post_init__(self) -> None:
        if Decimal(self.points_per_yuan) < 0 or self.first_purchase_bonus < 0:
            raise MembershipError("points rules cannot take points away")
        if Decimal(self.yuan_per_point) <= 0 or self.minimum_redemption < 1:
            raise MembershipError("a point must be worth something and at least one point is redeemed")

    def points_for(self, amount: Decimal) -> int:
        if amount <= 0:
            return 0
        return int((Decimal(amount) * Decimal(self.points_per_yuan)).to_integral_value(rounding=ROUND_FLOOR))

    def value_of(self, points: int) -> Decimal:
        return money(Decimal(self.yuan_per_point) * points)


@dataclass(frozen=True, slots=True)
class PointsEntry:
    at: float
    kind: str  # earned | bonus | redeemed | reversed
    points: int  # signed change
    balance: int  # after the change
    order_id: str = ""
    note: str = ""


@dataclass(slots=True)
class Membership:
    customer_id: str
    member_since: float
    entries: list[PointsEntry] = field(default_factory=list)

    @property
    def balance(self) -> int:
        return self.entries[-1].balance if self.entries else 0

    def history(self) -> list[PointsEntry]:
        """Newest first."""
        return list(reversed(self.entries))

    def _add(self, at: float, kind: str, points: int, order_id: str, note: str) -> PointsEntry:
        if self.entries and at < self.entries[-1].at:
            raise MembershipError(f"points change at {at} is older than the last one ({self.entries[-1].at})")
        entry = PointsEntry(at, kind, points, self.balance + points, order_id, note)
        self.entries.append(entry)
        return entry

    def earn(self, points: int, at: float, *, order_id: str = "", kind: str = EARNED, note: str = "") -> PointsEntry:
        if points < 0:
            raise MembershipError("earned points cannot be negative")
        return self._add(at, kind, points, order_id, note)

    def redeem(self, points: int, at: float, *, order_id: str = "", note: str = "") -> PointsEntry:
        if points <= 0:
            raise MembershipError("redeem a positive number of points")
        if points > self.balance:
            raise InsufficientPoints(self.customer_id, points, self.balance)
        return self._add(at, REDEEMED, -points, order_id, note)

    def earned_for(self, order_id: str) -> int:
        return sum(e.points for e in self.entries if e.order_id == order_id and e.kind in (EARNED, BONUS, REVERSED))


class MembershipRepository(Protocol):
    def get(self, customer_id: str) -> Membership | None: ...

    def add(self, membership: Membership) -> None: ...

    def update(self, membership: Membership) -> None: ...


class InMemoryMemberships:
    """A MembershipRepository in a dict. For tests; not persistence."""

    def __init__(self, memberships: Iterable[Membership] = ()) -> None:
        self._by_customer = {m.customer_id: m for m in memberships}

    def get(self, customer_id: str) -> Membership | None:
        return self._by_customer.get(customer_id)

    def add(self, membership: Membership) -> None:
        if membership.customer_id in self._by_customer:
            raise MembershipError(f"customer {membership.customer_id} is already a member")
        self._by_customer[membership.customer_id] = membership

    def update(self, membership: Membership) -> None:
        self._by_customer[membership.customer_id] = membership


def record_purchase(
    memberships: MembershipRepository, rule: PointsRule, customer_id: str, order_id: str, amount: Decimal, now: float
) -> Membership:
    """Points for a purchase; the first purchase makes the customer a member (with the bonus)."""
    membership = memberships.get(customer_id)
    first = membership is None
    if membership is None:
        membership = Membership(customer_id, member_since=now)
        memberships.add(membership)
    if any(e.order_id == order_id and e.kind == EARNED for e in membership.entries):
        raise MembershipError(f"order {order_id} already earned points")
    membership.earn(rule.points_for(amount), now, order_id=order_id)
    if first and rule.first_purchase_bonus:
        membership.earn(rule.first_purchase_bonus, now, order_id=order_id, kind=BONUS, note="first purchase")
    memberships.update(membership)
    return membership


def redeem_points(
    memberships: MembershipRepository, rule: PointsRule, customer_id: str, points: int, now: float, order_id: str = ""
) -> Decimal:
    """Spend points; returns the discount in yuan they are worth."""
    membership = memberships.get(customer_id)
    if membership is None:
        raise NotAMember(customer_id)
    if points < rule.minimum_redemption:
        raise MembershipError(f"redeem at least {rule.minimum_redemption} points")
    membership.redeem(points, now, order_id=order_id)
    memberships.update(membership)
    return rule.value_of(points)


def reverse_purchase(memberships: MembershipRepository, customer_id: str, order_id: str, now: float) -> int:
    """A returned order's points are taken back, as far as the balance allows (points already spent
    are not clawed below zero). Returns the points taken."""
    membership = memberships.get(customer_id)
    if membership is None:
        raise NotAMember(customer_id)
    take = min(membership.earned_for(order_id), membership.balance)
    if take > 0:
        membership._add(now, REVERSED, -take, order_id, "order returned")
        memberships.update(membership)
    return take
