"""``SqlAirings``: the broadcast schedule (``core.config.Airing``) in the database, for media ROI and for the
agent's "which program made you call" survey. Parsing schedules (CSV) is not done here."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from adapters.store.models import AiringRow
from adapters.store.queries import in_period, one_row
from adapters.store.settings import StoreAccess
from core.config import Airing

AIRING = AiringRow.__table__
BATCH = 500  # rows per statement: SQLite allows 32766 parameters, PostgreSQL 65535


def _insert_of(dialect: str):
    """``INSERT ... ON CONFLICT`` of the dialect (a replace without a DELETE ... IN, which PostgreSQL plans
    as a scan of the table growing inside the same transaction: quadratic for a large schedule)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


class AiringError(ValueError):
    pass


class UnknownAiring(AiringError, LookupError):
    def __init__(self, airing_id: str) -> None:
        super().__init__(f"no airing {airing_id!r}")
        self.airing_id = airing_id


def _row(airing: Airing) -> dict:
    return dict(
        id=airing.airing_id,
        channel=airing.channel,
        start=airing.start,
        length=airing.length,
        hotline=airing.hotline,
        product=airing.product,
        kind=airing.kind,
        cost=float(airing.cost),
    )


def _airing(row) -> Airing:
    return Airing(
        row.id, row.channel, float(row.start), float(row.length), row.hotline, row.product, row.kind, float(row.cost)
    )


class SqlAirings:
    """Airings in the database.

    * ``add_many(airings) -> int`` -- new airings only (``AiringError`` if an ID exists; nothing stored then);
    * ``replace_many(airings) -> int`` -- insert or overwrite by ID (re-importing a corrected schedule);
    * ``get(airing_id) -> Airing`` (``UnknownAiring``);
    * ``list(hotline=None, start=None, end=None) -> list[Airing]`` -- by start time; ``start``/``end`` bound
      the airing's start (``start <= a.start < end``);
    * ``delete(airing_id)`` (``UnknownAiring``).
    """

    def __init__(self, engine: Engine, *, connection: Connection | None = None) -> None:
        self.engine = engine
        self.db = StoreAccess(engine, connection)

    def add_many(self, airings: Iterable[Airing]) -> int:
        rows = [_row(a) for a in airings]
        if not rows:
            return 0
        try:
            with self.db.guarded() as connection:
                connection.execute(insert(AIRING), rows)
        except IntegrityError:
            raise AiringError("an airing with one of these IDs exists already (use replace_many)") from None
        return len(rows)

    def add(self, airing: Airing) -> None:
        self.add_many([airing])

    def replace_many(self, airings: Iterable[Airing]) -> int:
        rows = list({row["id"]: row for row in map(_row, airings)}.values())  # the last one of an ID wins
        if not rows:
            return 0
        with self.db.write() as connection:
            upsert = _insert_of(connection.dialect.name)(AIRING)
            upsert = upsert.on_conflict_do_update(
                index_elements=[AIRING.c.id],
                set_={column.name: upsert.excluded[column.name] for column in AIRING.c if column.name != "id"},
            )
            for first in range(0, len(rows), BATCH):  # a statement takes a bounded number of parameters
                connection.execute(upsert, rows[first : first + BATCH])
        return len(rows)

    def get(self, airing_id: str) -> Airing:
        with self.db.read() as connection:
            row = one_row(connection, select(AIRING).where(AIRING.c.id == airing_id), UnknownAiring(airing_id))
        return _airing(row)

    def list(self, hotline: str | None = None, start: float | None = None, end: float | None = None) -> list[Airing]:
        query = select(AIRING).order_by(AIRING.c.start, AIRING.c.id)
        if hotline is not None:
            query = query.where(AIRING.c.hotline == hotline)
        query = in_period(query, AIRING.c.start, start, end)
        with self.db.read() as connection:
            return [_airing(row) for row in connection.execute(query)]

    def delete(self, airing_id: str) -> None:
        with self.db.write() as connection:
            if connection.execute(delete(AIRING).where(AIRING.c.id == airing_id)).rowcount != 1:
                raise UnknownAiring(airing_id)
