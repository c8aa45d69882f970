"""Reads worth an audit row (a screen pop, a customer's history, an order or call record opened): the row
alone, in a unit of work of its own. Changes write theirs inside their own use case."""

from __future__ import annotations

from app.ports import AuditEntry, UnitOfWork


def note_access(entry: AuditEntry, uow: UnitOfWork) -> None:
    if not entry.entity_ids:
        return
    with uow:
        uow.audit.add(entry)
        uow.commit()
