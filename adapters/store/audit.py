"""The audit log: who read or changed which customer data, when (``audit_log``, made by migration 0003 with
the console's tables). ``SqlAudit`` is the unit of work's ``app.ports.AuditRepository``; the console reads
it back through ``entries``."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import Connection, Engine, Index, insert, select
from sqlmodel import Field, SQLModel

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
    rows were written, oldest first (what the console's login lockout and lookup limit count)."""

    def __init__(self, engine: Engine, *, connection: Connection | None = None) -> None:
        self.engine = engine
        self.db = StoreAccess(engine, connection)

    def add(self, entry: AuditEntry) -> None:
        rows = [
            dict(
                at=entry.at,
                user=entry.user,
                action=entry.action,
                entity=entry.entity,
                entity_id=str(i),
                detail=entry.detail,
            )
            for i in entry.entity_ids
        ]
        if not rows:
            return
        if self.db.connection is not None:
            # in a unit of work: an append that nobody catches and retries needs no savepoint of its own (two
            # round trips); if it fails, the unit fails and rolls back whole, as it must (audit with the change)
            self.db.connection.execute(insert(AUDIT), rows)
            return
        with self.db.write() as connection:
            connection.execute(insert(AUDIT), rows)

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

    def times(
        self,
        action: str,
        since: float,
        *,
        entity: str | None = None,
        entity_id: str | None = None,
        user: str | None = None,
    ) -> list[float]:
        query = select(AUDIT.c.at).where(AUDIT.c.action == action, AUDIT.c.at >= since).order_by(AUDIT.c.at)
        for column, value in (("user", user), ("entity", entity), ("entity_id", entity_id)):
            if value is not None:
                query = query.where(AUDIT.c[column] == value)
        with self.db.read() as connection:
            return [float(at) for at in connection.execute(query).scalars()]
