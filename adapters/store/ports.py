"""Repository ports of the store, as ``typing.Protocol``s over the core's own types (``LogRecord``,
``Ticket``), so that the core's callers (drivers, console workers, the periodic task) depend on these and
not on SQL. They belong next to ``core/ports.py``; they live here until the core needs them itself."""

from __future__ import annotations

from typing import Iterable, Protocol, Sequence

from core.log import LogRecord
from core.tickets import Ticket


class EventLogRepository(Protocol):
    def append(self, records: Iterable[LogRecord], source: str = "") -> int:
        """Store records in order, in one transaction; returns how many."""

    def records(self, source: str | None = None) -> list[LogRecord]:
        """Records of one source (all sources: None) in time order, data fields as text."""

    def sources(self) -> list[str]: ...


class CallbackTicketRepository(Protocol):
    """Callback tickets with the core's rules, enforced by the database: one open ticket per number,
    one claimer at a time, outcomes and retries, expiry, the callback order."""

    def create(self, ticket: Ticket) -> Ticket: ...

    def get(self, ticket_id: str) -> Ticket | None: ...

    def open_ticket_for(self, number: str) -> Ticket | None: ...

    def ordered(self, now: float | None = None, queues: Sequence[str] | None = None,
                limit: int | None = None) -> list[Ticket]:
        """Claimable tickets in callback order: urgent first, then first-come."""

    def claim(self, ticket_id: str, agent_id: str, now: float) -> Ticket:
        """Exactly one concurrent caller wins; the others get ``TicketError``."""

    def claim_next(self, agent_id: str, now: float, queues: Sequence[str] | None = None) -> Ticket | None: ...

    def release(self, ticket_id: str, agent_id: str, now: float) -> Ticket: ...

    def complete(self, ticket_id: str, agent_id: str, outcome: str, now: float) -> Ticket: ...

    def retry_due(self, now: float) -> list[Ticket]: ...

    def expire(self, now: float) -> list[Ticket]: ...
