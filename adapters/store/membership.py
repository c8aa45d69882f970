"""``SqlMemberships``: ``core.membership.MembershipRepository`` on the database. The points ledger is
append-only (``points_entry``, one row per ``PointsEntry``, numbered per customer); ``(customer_id, seq)`` is
the primary key, so two workers that both append entry n+1 to the same stale membership conflict instead of
both succeeding, and the loser gets ``MembershipConflict``. The rules (earning, redeeming, the balance never
below zero) are the core's: use ``core.membership.record_purchase`` / ``redeem_points`` /
``reverse_purchase`` with this repository."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from adapters.store.models import MembershipRow, PointsEntryRow
from adapters.store.settings import StoreAccess
from core.membership import Membership, MembershipError, PointsEntry

MEMBERSHIP = MembershipRow.__table__
ENTRY = PointsEntryRow.__table__


class MembershipConflict(MembershipError):
    """The ledger changed under us; read the membership again and retry."""


def _entry(row) -> PointsEntry:
    return PointsEntry(float(row.at), row.kind, int(row.points), int(row.balance), row.order_id, row.note)


def _entry_rows(membership: Membership, first_seq: int) -> list[dict]:
    return [
        dict(
            customer_id=membership.customer_id,
            seq=first_seq + i,
            at=e.at,
            kind=e.kind,
            points=e.points,
            balance=e.balance,
            order_id=e.order_id,
            note=e.note,
        )
        for i, e in enumerate(membership.entries[first_seq:])
    ]


class SqlMemberships:
    """Memberships and points.

    * ``get(customer_id) -> Membership | None``;
    * ``add(membership)`` -- ``MembershipError`` if the customer is a member already;
    * ``update(membership)`` -- appends the entries added since the copy was read; ``MembershipConflict`` if
      the copy does not extend the stored ledger by at least one entry (someone else changed it first, or
      nothing changed);
    * ``balance(customer_id) -> int`` (0 for a non-member).
    """

    def __init__(self, engine: Engine, *, connection: Connection | None = None) -> None:
        self.engine = engine
        self.db = StoreAccess(engine, connection)

    def get(self, customer_id: str) -> Membership | None:
        with self.db.read() as connection:
            row = connection.execute(select(MEMBERSHIP).where(MEMBERSHIP.c.customer_id == customer_id)).first()
            if row is None:
                return None
            entries = connection.execute(
                select(ENTRY).where(ENTRY.c.customer_id == customer_id).order_by(ENTRY.c.seq)
            ).all()
        return Membership(customer_id, float(row.member_since), [_entry(e) for e in entries])

    def add(self, membership: Membership) -> None:
        try:
            with self.db.guarded() as connection:
                connection.execute(
                    insert(MEMBERSHIP).values(
                        customer_id=membership.customer_id,
                        member_since=membership.member_since,
                        balance=membership.balance,
                    )
                )
                rows = _entry_rows(membership, 0)
                if rows:
                    connection.execute(insert(ENTRY), rows)
        except IntegrityError:
            raise MembershipError(f"customer {membership.customer_id} is already a member (or is unknown)") from None

    def update(self, membership: Membership) -> None:
        try:
            with self.db.guarded() as connection:
                stored = [
                    _entry(row)
                    for row in connection.execute(
                        select(ENTRY).where(ENTRY.c.customer_id == membership.customer_id).order_by(ENTRY.c.seq)
                    )
                ]
                # the copy must extend the stored ledger: same entries first, then at least one new one.
                # Equal content is not enough -- two copies redeeming the same points at the same time
                # would look alike, and only one of them may be stored.
                if len(membership.entries) <= len(stored) or membership.entries[: len(stored)] != stored:
                    raise MembershipConflict(
                        f"membership of {membership.customer_id}: this copy does not extend "
                        f"the {len(stored)} stored entries (read it again)"
                    )
                rows = _entry_rows(membership, len(stored))
                if rows:
                    connection.execute(insert(ENTRY), rows)
                changed = connection.execute(
                    update(MEMBERSHIP)
                    .where(MEMBERSHIP.c.customer_id == membership.customer_id)
                    .values(balance=membership.balance)
                ).rowcount
                if changed != 1:
                    raise MembershipError(f"customer {membership.customer_id} is not a member")
        except IntegrityError:
            raise MembershipConflict(f"membership of {membership.customer_id} changed concurrently") from None

    def balance(self, customer_id: str) -> int:
        with self.db.read() as connection:
            value = connection.execute(
                select(MEMBERSHIP.c.balance).where(MEMBERSHIP.c.customer_id == customer_id)
            ).scalar()
        return int(value or 0)
