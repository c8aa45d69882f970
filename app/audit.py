"""Reads worth an audit row (a screen pop, a customer's history, an order or call record opened): the rows
alone, in a unit of work (the console's runs on the request's connection, so it commits the read's
transaction too). Changes write theirs inside their own use case."""

from __future__ import annotations

from typing import Iterable

from app.ports import AuditEntry, UnitOfWork


def note_access(entries: AuditEntry | Iterable[AuditEntry], uow: UnitOfWork) -> None:
    """Write the entries (one or several) that name an entity, in one commit; nothing when none does."""
    wanted = [e for e in ([entries] if isinstance(entries, AuditEntry) else entries) if e.entity_ids]
    if not wanted:
        return
    with uow:
        uow.audit.add(*wanted)
        uow.commit()
