"""Callback tickets in the database, with the core's rules (``core.tickets``) enforced by the database:

* one open ticket per number (and source): a partial unique index on ``(source, number)`` over the open
  statuses;
* one claimer at a time: a claim is a conditional ``UPDATE ... WHERE status = 'open'`` and wins only if it
  changed the row (``rowcount == 1``); on PostgreSQL two concurrent claims serialise on the row lock and the
  loser re-reads ``status = 'claimed'`` and changes nothing. ``claim_next`` picks the best ticket with
  ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so agents asking at once get different tickets;
* outcomes, retries and expiry as in ``TicketBook`` (an unreachable ticket waits ``retry_after`` seconds,
  unless that would be past its expiry ``created_at + ttl``); every change bumps ``version``, and
  ``complete`` is an optimistic update on it;
* the callback order: urgent first, then first-come (``created_at``, then id).

A ``waiting`` ticket whose retry time has come is claimable (the core reopens it from a timer without
writing a record); ``retry_due`` turns such tickets back to ``open`` in the database.
Over 400 lines: one repository, each method one guarded statement with its reason beside it.
"""

from __future__ import annotations

import logging
from typing import Sequence

from sqlalchemy import Connection, Engine, Row, Update, and_, case, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from adapters.store.eventlog import insert_records
from adapters.store.models import CallbackTicket
from adapters.store.settings import StoreAccess
from core.config import Policy
from core.log import NONE, LogRecord, Verb
from core.tickets import (
    EXPIRABLE_STATUSES,
    OPEN_STATUSES,
    PRIORITIES,
    Ticket,
    TicketError,
    UnknownTicket,
    after_attempt,
    check_outcome,
    check_priority,
)

log = logging.getLogger(__name__)

TICKETS = CallbackTicket.__table__
col = TICKETS.c  # the ticket table's columns: col.status, col.number, ...
DEFAULT_TTL = Policy().callback_ttl  # the core's defaults
DEFAULT_RETRY_AFTER = Policy().callback_retry_after
_TICKET_FIELDS = ("call_id", "number", "priority", "hotline", "airing", "queue", "created_at")


class TicketConflict(TicketError):
    """The ticket changed under us (another worker got there first)."""


def to_ticket(row) -> Ticket:
    return Ticket(
        ticket_id=row.id,
        call_id=row.call_id,
        number=row.number,
        priority=row.priority,
        hotline=row.hotline,
        airing=row.airing,
        created_at=float(row.created_at),
        queue=row.queue,
        status=row.status,
        claimer=row.claimer,
        attempts=int(row.attempts),
        outcome=row.outcome,
        next_try_at=float(row.next_try_at),
    )


def _claimable(now: float | None):
    """Open, or waiting with its retry due; not past expiry."""
    if now is None:
        return col.status == "open"
    return and_(or_(col.status == "open", and_(col.status == "waiting", col.next_try_at <= now)), col.expires_at > now)


_RANK = case({p: i for i, p in enumerate(PRIORITIES)}, value=col.priority, else_=len(PRIORITIES))
CALLBACK_ORDER = (_RANK, col.created_at, col.id)


def _changed(connection: Connection, statement: Update) -> Row | None:
    """The ticket's row as ``statement`` left it (None: it matched nothing), in the same round trip."""
    return connection.execute(statement.returning(*TICKETS.c)).first()


class SqlTickets:
    """``app.ports.CallbackTicketRepository`` over SQLAlchemy. Every method is one transaction, or part of
    the transaction of the unit of work whose ``connection`` it is given (``create`` in a savepoint of it).

    ``log_source``: when set, tickets expired by ``expire`` also get a CALLBACK_EXPIRED record in the event
    log (in the same transaction), so that reports count them.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        source: str = "",
        ttl: float = DEFAULT_TTL,
        retry_after: float = DEFAULT_RETRY_AFTER,
        log_source: str | None = None,
        connection: Connection | None = None,
    ) -> None:
        self.engine = engine
        self.db = StoreAccess(engine, connection)
        self.source = source
        self.ttl = ttl
        self.retry_after = retry_after
        self.log_source = log_source
        self.is_postgresql = engine.dialect.name == "postgresql"

    # --- reading ---------------------------------------------------------------------------------

    def _row(self, connection: Connection, ticket_id: str, lock: bool = False):
        query = select(TICKETS).where(col.id == ticket_id)
        if lock and self.is_postgresql:
            query = query.with_for_update()
        return connection.execute(query).first()

    def get(self, ticket_id: str) -> Ticket | None:
        with self.db.read() as connection:
            row = self._row(connection, ticket_id)
        return to_ticket(row) if row else None

    def open_ticket_for(self, number: str) -> Ticket | None:
        query = select(TICKETS).where(col.source == self.source, col.number == number, col.status.in_(OPEN_STATUSES))
        with self.db.read() as connection:
            row = connection.execute(query).first()
        return to_ticket(row) if row else None

    def ordered(
        self, now: float | None = None, queues: Sequence[str] | None = None, limit: int | None = None
    ) -> list[Ticket]:
        """Claimable tickets (open; with ``now`` also waiting ones whose retry is due, and none past expiry)
        in callback order."""
        query = select(TICKETS).where(col.source == self.source, _claimable(now)).order_by(*CALLBACK_ORDER)
        if queues is not None:
            query = query.where(col.queue.in_(list(queues)))
        if limit is not None:
            query = query.limit(limit)
        with self.db.read() as connection:
            return [to_ticket(row) for row in connection.execute(query)]

    def all(self, statuses: Sequence[str] | None = None) -> list[Ticket]:
        query = select(TICKETS).where(col.source == self.source).order_by(*CALLBACK_ORDER)
        if statuses is not None:
            query = query.where(col.status.in_(list(statuses)))
        with self.db.read() as connection:
            return [to_ticket(row) for row in connection.execute(query)]

    def expires_at(self, ticket_id: str) -> float | None:
        with self.db.read() as connection:
            return connection.execute(select(col.expires_at).where(col.id == ticket_id)).scalar_one_or_none()

    # --- creating --------------------------------------------------------------------------------

    def create(self, ticket: Ticket) -> Ticket:
        check_priority(ticket.priority)
        values = {name: getattr(ticket, name) for name in _TICKET_FIELDS}
        values.update(
            id=ticket.ticket_id,
            source=self.source,
            status="open",
            claimer=None,
            attempts=0,
            outcome=None,
            next_try_at=0.0,
            expires_at=ticket.created_at + self.ttl,
            version=1,
            updated_at=ticket.created_at,
        )
        try:
            with self.db.guarded() as connection:
                # look first, for a message naming the clash; the unique indexes catch a concurrent one
                clashes = sorted(
                    connection.execute(
                        select(col.id).where(
                            or_(
                                col.id == ticket.ticket_id,
                                and_(
                                    col.source == self.source,
                                    col.number == ticket.number,
                                    col.status.in_(OPEN_STATUSES),
                                ),
                            )
                        )
                    ).scalars()
                )
                if ticket.ticket_id in clashes:
                    raise TicketError(f"ticket {ticket.ticket_id} exists already")
                if clashes:
                    raise TicketError(f"number {ticket.number} already has an open ticket ({clashes[0]})")
                connection.execute(insert(TICKETS), values)
        except IntegrityError as error:
            if self.get(ticket.ticket_id) is not None:
                raise TicketError(f"ticket {ticket.ticket_id} exists already") from None
            raise TicketError(f"number {ticket.number} already has an open ticket") from error
        return Ticket(
            **{
                **ticket_as_dict(ticket),
                "status": "open",
                "claimer": None,
                "attempts": 0,
                "outcome": None,
                "next_try_at": 0.0,
            }
        )

    # --- claiming --------------------------------------------------------------------------------

    def _explain(self, connection: Connection, ticket_id: str, now: float | None) -> TicketError:
        row = self._row(connection, ticket_id)
        if row is None:
            return UnknownTicket(f"no ticket {ticket_id}")
        if row.status == "claimed":
            return TicketConflict(f"ticket {ticket_id} is already claimed by {row.claimer}")
        if now is not None and row.status in EXPIRABLE_STATUSES and now >= row.expires_at:
            return TicketError(f"ticket {ticket_id} has expired")
        if row.status == "waiting":
            return TicketError(f"ticket {ticket_id} waits for its retry at {row.next_try_at:.0f}")
        return TicketError(f"ticket {ticket_id} is {row.status}, not open")

    def claim(self, ticket_id: str, agent_id: str, now: float) -> Ticket:
        """Claim one ticket. Exactly one of any number of concurrent claimers wins; the others get
        ``TicketConflict`` (already claimed) or ``TicketError``."""
        with self.db.write() as connection:
            row = _changed(
                connection,
                update(TICKETS)
                .where(col.id == ticket_id, _claimable(now))
                .values(status="claimed", claimer=agent_id, version=col.version + 1, updated_at=now),
            )
            if row is None:
                raise self._explain(connection, ticket_id, now)
            return to_ticket(row)

    def claim_next(self, agent_id: str, now: float, queues: Sequence[str] | None = None) -> Ticket | None:
        """Claim the first claimable ticket in callback order (of ``queues``), or None. On PostgreSQL the
        candidate is locked with ``FOR UPDATE SKIP LOCKED``, so concurrent agents get different tickets."""
        for _ in range(100):
            with self.db.write() as connection:
                query = select(col.id).where(col.source == self.source, _claimable(now)).order_by(*CALLBACK_ORDER)
                if queues is not None:
                    query = query.where(col.queue.in_(list(queues)))
                query = query.limit(1)
                if self.is_postgresql:
                    query = query.with_for_update(skip_locked=True)
                ticket_id = connection.execute(query).scalar_one_or_none()
                if ticket_id is None:
                    return None
                row = _changed(
                    connection,
                    update(TICKETS)
                    .where(col.id == ticket_id, _claimable(now))
                    .values(status="claimed", claimer=agent_id, version=col.version + 1, updated_at=now),
                )
                if row is not None:
                    return to_ticket(row)
            # somebody else claimed it between our read and our update (SQLite): try the next one
        raise TicketConflict("could not claim a ticket: too much contention")

    def release(self, ticket_id: str, agent_id: str, now: float) -> Ticket:
        """The claimer gives the ticket back unworked."""
        with self.db.write() as connection:
            row = _changed(
                connection,
                update(TICKETS)
                .where(col.id == ticket_id, col.status == "claimed", col.claimer == agent_id)
                .values(status="open", claimer=None, version=col.version + 1, updated_at=now),
            )
            if row is None:
                if self._row(connection, ticket_id) is None:
                    raise UnknownTicket(f"no ticket {ticket_id}")
                raise TicketError(f"ticket {ticket_id} is not claimed by {agent_id}")
            return to_ticket(row)

    def hand_over(self, ticket_id: str, agent_id: str | None, now: float) -> Ticket:
        """A claimed ticket, whoever holds it, back to the queue (``agent_id`` None) or to ``agent_id``."""
        values = {"status": "open", "claimer": None} if agent_id is None else {"claimer": agent_id}
        with self.db.write() as connection:
            row = _changed(
                connection,
                update(TICKETS)
                .where(col.id == ticket_id, col.status == "claimed")
                .values(version=col.version + 1, updated_at=now, **values),
            )
            if row is None:
                if self._row(connection, ticket_id) is None:
                    raise UnknownTicket(f"no ticket {ticket_id}")
                raise TicketError(f"ticket {ticket_id} is not claimed")
            return to_ticket(row)

    def claimed_by(self, agent_id: str) -> list[Ticket]:
        query = select(TICKETS).where(col.source == self.source, col.status == "claimed", col.claimer == agent_id)
        with self.db.read() as connection:
            return [to_ticket(row) for row in connection.execute(query.order_by(*CALLBACK_ORDER))]

    def complete(self, ticket_id: str, agent_id: str, outcome: str, now: float) -> Ticket:
        """Record an attempt by the claimer (``core.tickets.after_attempt`` says what follows)."""
        check_outcome(outcome)
        with self.db.write() as connection:
            row = self._row(connection, ticket_id, lock=True)
            if row is None:
                raise UnknownTicket(f"no ticket {ticket_id}")
            if row.status != "claimed" or row.claimer != agent_id:
                raise TicketError(f"ticket {ticket_id} is not claimed by {agent_id}")
            values = {
                "attempts": row.attempts + 1,
                "claimer": None,
                "outcome": outcome,
                "version": row.version + 1,
                "updated_at": now,
            }
            status, next_try_at = after_attempt(outcome, now, row.expires_at, self.retry_after)
            values["status"] = status
            if next_try_at is not None:
                values["next_try_at"] = next_try_at
            done = _changed(
                connection,
                update(TICKETS)
                .where(
                    col.id == ticket_id, col.version == row.version, col.status == "claimed", col.claimer == agent_id
                )
                .values(**values),
            )
            if done is None:
                raise TicketConflict(f"ticket {ticket_id} changed while completing it")
            return to_ticket(done)

    # --- housekeeping ----------------------------------------------------------------------------

    def retry_due(self, now: float) -> list[Ticket]:
        """Waiting tickets whose retry time has come are open again."""
        with self.db.write() as connection:
            rows = connection.execute(
                update(TICKETS)
                .where(col.source == self.source, col.status == "waiting", col.next_try_at <= now, col.expires_at > now)
                .values(status="open", version=col.version + 1, updated_at=now)
                .returning(*TICKETS.c)
            ).all()
        return sorted((to_ticket(r) for r in rows), key=lambda t: (PRIORITIES.index(t.priority), t.created_at))

    def expire(self, now: float) -> list[Ticket]:
        """Open and waiting tickets past their expiry (``created_at + ttl``) are closed as expired.
        A claimed ticket is being worked and is left alone (its outcome decides)."""
        with self.db.write() as connection:
            rows = connection.execute(
                update(TICKETS)
                .where(col.source == self.source, col.status.in_(EXPIRABLE_STATUSES), col.expires_at <= now)
                .values(status="expired", version=col.version + 1, updated_at=now)
                .returning(*TICKETS.c)
            ).all()
            tickets = sorted((to_ticket(r) for r in rows), key=lambda t: (t.created_at, t.ticket_id))
            if self.log_source is not None and tickets:
                insert_records(
                    connection,
                    (LogRecord(now, t.call_id, t.queue, NONE, Verb.CALLBACK_EXPIRED, t.ticket_id) for t in tickets),
                    self.log_source,
                )
        return tickets

    def housekeeping(self, now: float) -> tuple[list[Ticket], list[Ticket]]:
        """One round of the periodic task: reopen due retries, then expire. Returns (reopened, expired)."""
        return self.retry_due(now), self.expire(now)

    # --- facts from a core's event stream (``app.core_records``) --------------------------------------
    # The core is the authority for its own stream, but each fact goes through a conditional update, so one
    # that contradicts the database (a ticket claimed meanwhile by a console worker, a replayed log) changes
    # nothing and answers False.

    def _record(self, ticket_id: str, at: float, where, **values) -> bool:
        with self.db.write() as connection:
            return (
                connection.execute(
                    update(TICKETS)
                    .where(col.id == ticket_id, *where)
                    .values(version=col.version + 1, updated_at=at, **values)
                ).rowcount
                == 1
            )

    def record_claimed(self, ticket_id: str, agent_id: str, at: float) -> bool:
        # 'waiting' too: the core reopens a ticket from its retry timer without writing a record
        return self._record(ticket_id, at, [col.status.in_(("open", "waiting"))], status="claimed", claimer=agent_id)

    def record_released(self, ticket_id: str, at: float) -> bool:
        return self._record(ticket_id, at, [col.status == "claimed"], status="open", claimer=None)

    def record_done(self, ticket_id: str, agent_id: str, outcome: str, attempts: int | None, at: float) -> bool:
        # an unreachable attempt is followed at once by CALLBACK_RETRY (waiting) or CALLBACK_EXPIRED
        return self._record(
            ticket_id,
            at,
            [col.status == "claimed", col.claimer == agent_id],
            status="waiting" if outcome == "unreachable" else "done",
            claimer=None,
            outcome=outcome,
            attempts=col.attempts + 1 if attempts is None else attempts,
        )

    def record_retry(self, ticket_id: str, next_try_at: float, at: float) -> bool:
        return self._record(ticket_id, at, [col.status == "waiting"], next_try_at=next_try_at)

    def record_expired(self, ticket_id: str, at: float) -> bool:
        return self._record(ticket_id, at, [col.status.in_(EXPIRABLE_STATUSES)], status="expired", claimer=None)


def ticket_as_dict(ticket: Ticket) -> dict:
    return {name: getattr(ticket, name) for name in Ticket.__slots__}
