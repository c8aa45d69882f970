"""``SqlIds``: a ``core.customers.IdSource`` backed by the database, so that IDs stay unique across processes
and restarts (the production equivalent of ``core.customers.SequentialIds``)."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, insert

from adapters.store.models import IdSequence
from adapters.store.settings import StoreAccess

ID_WIDTH = 8


def next_id(connection: Connection, kind: str) -> str:
    """A new ID "<kind><number>" from the autoincrement of ``id_sequence`` (numbers are shared by all kinds,
    so a kind's numbers have gaps; they never repeat). Runs in the caller's transaction: if it rolls back,
    the number is simply not used."""
    number = connection.execute(insert(IdSequence.__table__).values(kind=kind)).inserted_primary_key[0]
    return f"{kind}{number:0{ID_WIDTH}d}"


class SqlIds:
    """``IdSource`` over the database: ``new_id("C")`` -> "C00000001" (one transaction per ID, or in the
    transaction of the unit of work whose ``connection`` it is given)."""

    def __init__(self, engine: Engine, *, connection: Connection | None = None) -> None:
        self.engine = engine
        self.db = StoreAccess(engine, connection)

    def new_id(self, kind: str) -> str:
        with self.db.write() as connection:
            return next_id(connection, kind)
