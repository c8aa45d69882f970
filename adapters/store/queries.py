"""Small query steps the repositories share: a lookup that must find its row, and a half-open time window."""

from __future__ import annotations

from sqlalchemy import Connection, Row, Select


def one_row(connection: Connection, query: Select, missing: Exception) -> Row:
    """The first row ``query`` finds; none raises ``missing`` (the repository's ``Unknown...`` error)."""
    row = connection.execute(query).first()
    if row is None:
        raise missing
    return row


def in_period(query: Select, column, start: float | None, end: float | None) -> Select:
    """``query`` narrowed to ``start <= column < end``; a bound that is None is left open."""
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column < end)
    return query
