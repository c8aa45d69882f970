"""``SqlUnitOfWork``: ``app.ports.UnitOfWork`` on the store. One connection and one transaction hold every
repository of the unit, so a use case's data and its audit row commit together or not at all.

On SQLite the transaction starts with ``BEGIN IMMEDIATE`` (the write lock first, as ``write_transaction``),
so units in several processes and threads take turns instead of failing on a moved snapshot. On PostgreSQL
the repositories' row locks (``FOR UPDATE``, ``SKIP LOCKED``) and conditional updates are held until the
unit commits, so the concurrency rules (one claimer per ticket, stock never negative) hold across units.
A repository method refuses before it writes; one the database may refuse after writing (a unique key taken)
runs in a savepoint of the unit's transaction (``StoreAccess.guarded``), so that refusal undoes only itself.
With an ``IdempotencyClaim`` the unit writes the request's key as it commits, in the same transaction: a
second request under the same key rolls back whole (``DuplicateRequest``). Rows nobody reads back in the unit
(its audit rows, a placed order's) are written as it commits, and a placed order's stock is checked again under
the SKUs' locks after them (``SqlOrders.place``), so the hot lock waits through no other write of the unit; on
PostgreSQL those writes, the lock and the stock read go in one round trip (``adapters.store.pipeline``). The
commit then raises their errors and the order's refusal.

``StoreSession`` -- one connection for everything one console request does (its token check, reads, the units
of its use cases, the audit rows of its reads): taken from the pool at first use (one pre-ping), given back by
``close()``. On PostgreSQL the reads and the unit share one transaction; on SQLite a unit needs the write lock
first (``BEGIN IMMEDIATE``), so a read transaction still open (it changed nothing) is committed before it.
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy import Connection, Engine, RootTransaction
from sqlalchemy.exc import DBAPIError, IntegrityError

from adapters.store.airings import SqlAirings
from adapters.store.audit import SqlAudit
from adapters.store.call_records import SqlCallRecords
from adapters.store.campaigns import SqlCampaigns
from adapters.store.catalog import SqlCatalog
from adapters.store.customers import SqlCustomers
from adapters.store.eventlog import SqlEventLog
from adapters.store.idempotency import DuplicateRequest, IdempotencyClaim, SqlIdempotency
from adapters.store.ids import SqlIds
from adapters.store.membership import SqlMemberships
from adapters.store.orders import SqlOrders
from adapters.store.pipeline import pipelined, send_commit
from adapters.store.tickets import DEFAULT_RETRY_AFTER, DEFAULT_TTL, SqlTickets


class StoreSession:
    """One pooled connection for a run of reads and units of work (a console request); ``close()`` gives it
    back, rolling back whatever was not committed (a later ``connection()`` takes one again).

    ``connection(write=False)`` -- the connection, in a transaction (begun if none is open); ``write=True`` on
    SQLite: a transaction holding the write lock. ``opened`` -- whether a connection was taken; ``idle`` --
    nothing uncommitted on it (closing needs no round trip)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._locked: RootTransaction | None = None  # SQLite: the transaction that holds the write lock

    @property
    def opened(self) -> bool:
        return self._connection is not None

    @property
    def idle(self) -> bool:
        return self._connection is None or not self._connection.in_transaction()

    def connection(self, write: bool = False) -> Connection:
        connection = self._connection
        if connection is None:
            connection = self._connection = self.engine.connect()
        if self.engine.dialect.name != "sqlite":
            if not connection.in_transaction():
                connection.begin()
            return connection
        if write and (self._locked is None or not self._locked.is_active):
            if connection.in_transaction():
                connection.commit()  # a read transaction: it cannot take the write lock safely (moved snapshot)
            connection.execution_options(sqlite_begin="BEGIN IMMEDIATE")
            self._locked = connection.begin()
        elif not connection.in_transaction():
            connection.execution_options(sqlite_begin="BEGIN")
            connection.begin()
        return connection

    def commit(self) -> None:
        if self._connection is not None and self._connection.in_transaction():
            self._connection.commit()

    def close(self) -> None:
        connection, self._connection, self._locked = self._connection, None, None
        if connection is None:
            return
        try:
            connection.close()  # rolls back what was not committed
        except DBAPIError:
            # the server ended the session (idle-in-transaction timeout, a restart): nothing of it was committed,
            # and the pool must not hand this connection out again
            connection.invalidate()


class SqlUnitOfWork:
    """A fresh unit per use case: ``with SqlUnitOfWork(engine) as uow: ...; uow.commit()``. Leaving the block
    without ``commit()`` rolls back. The repositories exist only inside the block.

    ``ticket_source``, ``ticket_ttl``, ``retry_after``, ``ticket_log_source``: the callback tickets' source,
    timings and the event-log source of their CALLBACK_EXPIRED records (as ``SqlTickets``; None: none are
    written); ``order_log_source``: the event-log source of the ORDER_PLACED records (as ``SqlOrders``);
    ``session``: run on that ``StoreSession``'s connection (its transaction; the unit's commit commits it and
    gives the connection back to the pool, the session takes one again if used again) instead of a
    connection of its own.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        ticket_source: str = "",
        ticket_ttl: float = DEFAULT_TTL,
        retry_after: float = DEFAULT_RETRY_AFTER,
        ticket_log_source: str | None = None,
        order_log_source: str = "",
        idempotency: IdempotencyClaim | None = None,
        session: StoreSession | None = None,
    ) -> None:
        self.engine = engine
        self.session = session
        self.idempotency = idempotency
        self.ticket_source = ticket_source
        self.ticket_ttl = ticket_ttl
        self.retry_after = retry_after
        self.ticket_log_source = ticket_log_source
        self.order_log_source = order_log_source
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None
        self._writes: list[Callable[[], None]] = []  # writes the repositories leave for the commit
        self._before_commit: list[Callable[[], Callable[[], None]]] = []  # and checks: each sends, then decides

    def __enter__(self) -> SqlUnitOfWork:
        if self._connection is not None:
            raise RuntimeError("this unit of work is in use: make a new one per use case")
        if self.session is not None:
            connection = self.session.connection(write=True)
            self._transaction = connection.get_transaction()
        else:
            connection = self.engine.connect()
            if self.engine.dialect.name == "sqlite":
                connection.execution_options(sqlite_begin="BEGIN IMMEDIATE")
            try:
                self._transaction = connection.begin()
            except BaseException:
                connection.close()
                raise
        self._connection = connection
        engine, on = self.engine, {"connection": connection}
        self.tickets = SqlTickets(
            engine,
            source=self.ticket_source,
            ttl=self.ticket_ttl,
            retry_after=self.retry_after,
            log_source=self.ticket_log_source,
            **on,
        )
        self.orders = SqlOrders(
            engine,
            log_source=self.order_log_source,
            refuse_resent=True,
            write_at_commit=self._writes.append,
            before_commit=self._before_commit.append,
            **on,
        )
        self.customers = SqlCustomers(engine, **on)
        self.catalog = SqlCatalog(engine, **on)
        self.airings = SqlAirings(engine, **on)
        self.call_records = SqlCallRecords(engine, **on)
        self.event_log = SqlEventLog(engine, **on)
        self.audit = SqlAudit(engine, write_at_commit=self._writes.append, **on)
        self.ids = SqlIds(engine, **on)
        self.memberships = SqlMemberships(engine, **on)
        self.campaigns = SqlCampaigns(engine, **on)
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.rollback()
        finally:
            if self._connection is not None and self.session is None:
                self._connection.close()
            self._connection = self._transaction = None
            self._writes, self._before_commit = [], []

    def commit(self) -> None:
        if self._transaction is None or self._connection is None:
            raise RuntimeError("commit outside the unit of work's with-block")
        claim = self.idempotency
        if claim is not None and not claim.claimed:
            try:
                SqlIdempotency.claim(self._connection, claim)
            except IntegrityError:
                self.rollback()
                raise DuplicateRequest(
                    f"Idempotency-Key {claim.key!r} was used by another request: nothing was changed by this one"
                ) from None
        writes, checks = self._writes, self._before_commit
        self._writes, self._before_commit = [], []
        with pipelined(self._connection):  # one round trip on PostgreSQL: the rows left, then the locks (last)
            for write in writes:
                write()
            decisions = [check() for check in checks]
            if not decisions:  # nothing to decide: the commit goes with the writes
                send_commit(self._connection)
        for decide in decisions:  # a placed order's stock, under its locks
            decide()
        self._transaction.commit()
        if self.session is not None:
            # the request's work is done: its connection goes back to the pool here, in the worker thread, not
            # when the event loop gets round to the request's end (a busy loop would hold the pool meanwhile)
            self.session.close()

    def rollback(self) -> None:
        """Undo what was not committed (nothing after a commit)."""
        if self._transaction is not None and self._transaction.is_active:
            self._transaction.rollback()
