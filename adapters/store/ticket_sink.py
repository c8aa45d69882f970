"""``TicketSink``: the callback tickets kept in step with a core's event stream (its CALLBACK_* records),
through the application layer's ``persist_core_records``."""

from __future__ import annotations

import logging
from typing import Iterable

from sqlalchemy import Engine

from adapters.store.tickets import DEFAULT_RETRY_AFTER, DEFAULT_TTL
from adapters.store.uow import SqlUnitOfWork
from app.core_records import CALLBACK_VERBS, persist_core_records
from core.log import LogRecord

log = logging.getLogger(__name__)


class TicketSink:
    """Keeps ``callback_ticket`` in step with a core's event stream: an ``EventSink`` (``append(record)``,
    one transaction per CALLBACK_* record; other records cost a set look-up) that composes with the core's
    list through ``adapters.store.eventlog.FanOut``, and ``consume(records)`` for a batch in one transaction
    (a replayed twin or live log). Both run ``app.core_records.persist_core_records`` without the event log
    (an ``EventLogSink`` writes that).

    A record that contradicts the database changes nothing and is listed in ``conflicts`` (and logged)
    instead of raising into the core. Replaying a log twice is harmless.
    """

    def __init__(
        self, engine: Engine, *, source: str = "", ttl: float = DEFAULT_TTL, retry_after: float = DEFAULT_RETRY_AFTER
    ) -> None:
        self.engine = engine
        self.source = source
        self.ttl = ttl
        self.retry_after = retry_after
        self.conflicts: list[str] = []
        self.applied = 0

    def append(self, record: LogRecord, /) -> None:
        if record.verb in CALLBACK_VERBS:
            self.consume([record])

    def consume(self, records: Iterable[LogRecord]) -> int:
        """Apply a batch in one transaction; returns how many callback records were applied."""
        uow = SqlUnitOfWork(self.engine, ticket_source=self.source, ticket_ttl=self.ttl, retry_after=self.retry_after)
        result = persist_core_records(records, None, uow)
        for message in result.conflicts:
            log.warning("callback ticket not updated: %s", message)
        self.conflicts += result.conflicts
        self.applied += result.applied
        return result.applied
