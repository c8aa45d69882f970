"""The audit log: who read or changed which customer data, when (``audit_log``, made by migration 0003 with
the console's tables). ``SqlAudit`` is the unit of work's ``app.ports.AuditRepository``; the console reads
it back through ``entries``."""

from __future__ import annotations

from functools import partial
from typing import Callable, Optional

from sqlalchemy import Connection, Engine, Index, func, select
from sqlmodel import Field, SQLModel

from adapters.store.pipeline import write_rows
from adapters.store.settings import StoreAccess
from app.ports import AuditEntry


class AuditBase(SQLModel):
    at: float
    user: str = Field(max_length=64)
    action: str = Field(max_length=64, description="e.g. customers.lookup, customers.update, orders.create")
    entity: str = Field(max_length=32, description="customer, order, call_record, complaint, user")
    entity_id: str = Field(max_length=128)
    detail: str = ""


class AuditLog(AuditBase, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_entity", "entity", "entity_id"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)


AUDIT = AuditLog.__table__


class SqlAudit:
    """``add(entry)`` writes one row per entity ID; ``entries(user=None, entity=None, entity_id=None,
    limit=200, offset=0, action=None)`` newest first; ``times(action, since, entity=, entity_id=, user=)`` when those
    rows were written, oldest first (what the console's login lockout counts); ``count(...)`` with the same
    filters: how many and the oldest time (the lookup limit's check). ``write_at_commit`` (a unit of work's):
    where ``add`` leaves its rows, written as the unit commits (in its round trip on PostgreSQL)."""

    def __init__(
        self,
        engine: Engine,
        *,
        connection: Connection | None = None,
        write_at_commit: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        self.engine = engine
        self.db = StoreAccess(engine, connection)
        self.write_at_commit = write_at_commit

    def add(self, *entries: AuditEntry) -> None:
        rows = [
            dict(
                at=entry.at,
                user=entry.user,
                action=entry.action,
                entity=entry.entity,
                entity_id=str(i),
                detail=entry.detail,
            )
            for entry in entries
            for i in entry.entity_ids
        ]
        if not rows:
            return
        if self.write_at_commit is not None:  # if it fails, the unit rolls back whole (the audit with the change)
            self.write_at_commit(partial(self._insert, rows))
        else:
            self._insert(rows)

    def _insert(self, rows: list[dict]) -> None:
        with self.db.write() as connection:
            write_rows(connection, AUDIT, rows)

    def entries(
        self,
        user: str | None = None,
        entity: str | None = None,
        entity_id: str | None = None,
        limit: int = 200,
        offset: int = 0,
        action: str | None = None,
    ) -> list[AuditLog]:
        query = select(AUDIT).order_by(AUDIT.c.at.desc(), AUDIT.c.id.desc()).limit(limit).offset(offset)
        for column, value in (("user", user), ("entity", entity), ("entity_id", entity_id), ("action", action)):
            if value is not None:
                query = query.where(AUDIT.c[column] == value)
        with self.db.read() as connection:
            return [AuditLog.model_validate(dict(row._mapping)) for row in connection.execute(query)]

    @staticmethod
    def _since(columns, action: str, since: float, where: dict[str, str]):
        """``action`` rows written at or after ``since``, matching ``where`` (``user``, ``entity``, ``entity_id``)."""
        unknown = set(where) - {"user", "entity", "entity_id"}
        if unknown:
            raise TypeError(f"the audit log is not searched by {', '.join(sorted(unknown))}")
        query = select(*columns).where(AUDIT.c.action == action, AUDIT.c.at >= since)
        for column, value in where.items():
            query = query.where(AUDIT.c[column] == value)
        return query

    def times(self, action: str, since: float, **where: str) -> list[float]:
        query = self._since([AUDIT.c.at], action, since, where).order_by(AUDIT.c.at)
        with self.db.read() as connection:
            return [float(at) for at in connection.execute(query).scalars()]

    def count(self, action: str, since: float, **where: str) -> tuple[int, float | None]:
        """How many such rows since ``since``, and when the oldest was written: a limit's check in one row,
        however many there are."""
        query = self._since([func.count(), func.min(AUDIT.c.at)], action, since, where)
        with self.db.read() as connection:
            count, oldest = connection.execute(query).one()
        return int(count), None if oldest is None else float(oldest)
