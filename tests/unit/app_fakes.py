"""In-memory doubles of the application layer's ports (``app.ports``) for unit tests of the use cases.

``FakeUnitOfWork`` copies every repository's state when a unit begins and puts the copy back on rollback
(or when the block is left without a commit), so a test sees exactly what a database would have kept.
The repositories run the core's own rules (``TicketBook``, ``place_order``, ``Complaint``); they are not
persistence and do not try to be complete.
"""

from __future__ import annotations

import copy
from typing import Iterable, Sequence

from app.ports import AuditEntry
from core import orders as core_orders
from core.call_records import CallRecord, CallRecordError, Complaint
from core.catalog import Catalog, Product, StockBook
from core.customers import InMemoryCustomers, SequentialIds
from core.log import LogRecord
from core.membership import InMemoryMemberships
from core.orders import Order, OrderError, PlaceOrder
from core.regions import Address, Division
from core.tickets import Ticket, TicketBook, TicketError

T0 = 1_700_000_000.0
HOME = Address(Division("110108", "北京市", "", "海淀区"), "中关村大街1号")
TTL = 3 * 86400.0
RETRY_AFTER = 1800.0


class AuditFailure(RuntimeError):
    """The audit log refused a row (a full disk, a lost connection)."""


class FakeAudit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def add(self, *entries: AuditEntry) -> None:
        self.entries.extend(entries)

    def actions(self) -> list[str]:
        return [e.action for e in self.entries]


class FailingAudit(FakeAudit):
    def add(self, *entries: AuditEntry) -> None:
        raise AuditFailure(f"cannot write the audit row of {entries[0].action}")


class FakeEventLog:
    def __init__(self) -> None:
        self.rows: list[tuple[str, LogRecord]] = []
        self.positions: set[tuple[str, int]] = set()

    def append(self, records: Iterable[LogRecord], source: str = "", first_seq: int | None = None) -> int:
        new = [(source, record) for record in records]
        if first_seq is not None:
            taken = {(source, first_seq + i) for i in range(len(new))}
            if taken & self.positions:
                raise ValueError(f"positions of {source!r} stored already")  # the store's unique index
            self.positions |= taken
        self.rows += new
        return len(new)

    def records(self, source: str | None = None) -> list[LogRecord]:
        return sorted((r for s, r in self.rows if source is None or s == source), key=lambda r: r.time)

    def sources(self) -> list[str]:
        return sorted({s for s, _ in self.rows})


class FakeTickets:
    """The callback tickets on the core's ``TicketBook`` (no retry timers: ``retry_due`` reopens)."""

    def __init__(self) -> None:
        self.book = TicketBook(TTL, RETRY_AFTER)

    def create(self, ticket: Ticket) -> Ticket:
        return self.book.create(copy.copy(ticket))

    def get(self, ticket_id: str) -> Ticket | None:
        return self.book.tickets.get(ticket_id)

    def open_ticket_for(self, number: str) -> Ticket | None:
        return self.book.open_ticket_for(number)

    def ordered(
        self, now: float | None = None, queues: Sequence[str] | None = None, limit: int | None = None
    ) -> list[Ticket]:
        found = [t for t in self.book.ordered() if queues is None or t.queue in queues]
        return found[:limit]

    def claim(self, ticket_id: str, agent_id: str, now: float) -> Ticket:
        return self.book.claim(ticket_id, agent_id)

    def claim_next(self, agent_id: str, now: float, queues: Sequence[str] | None = None) -> Ticket | None:
        first = self.ordered(now, queues, 1)
        return self.book.claim(first[0].ticket_id, agent_id) if first else None

    def release(self, ticket_id: str, agent_id: str, now: float) -> Ticket:
        return self.book.release(ticket_id, agent_id)

    def complete(self, ticket_id: str, agent_id: str, outcome: str, now: float) -> Ticket:
        return self.book.complete(ticket_id, agent_id, outcome, now)

    def hand_over(self, ticket_id: str, agent_id: str | None, now: float) -> Ticket:
        ticket = self.book.tickets.get(ticket_id)
        if ticket is None or ticket.status != "claimed" or ticket.claimer is None:
            raise TicketError(f"ticket {ticket_id} is not claimed")
        if agent_id is None:
            return self.book.release(ticket_id, ticket.claimer)
        ticket.claimer = agent_id
        return ticket

    def claimed_by(self, agent_id: str) -> list[Ticket]:
        return [t for t in self.book.tickets.values() if t.status == "claimed" and t.claimer == agent_id]

    def retry_due(self, now: float) -> list[Ticket]:
        due = [t.ticket_id for t in self.book.tickets.values() if t.status == "waiting" and t.next_try_at <= now]
        return [self.book.retry_due(ticket_id) for ticket_id in due]

    def expire(self, now: float) -> list[Ticket]:
        return self.book.expire(now)

    # facts from a core's stream
    def _fact(self, ticket_id: str, allowed: Iterable[str], **values) -> bool:
        ticket = self.book.tickets.get(ticket_id)
        if ticket is None or ticket.status not in allowed:
            return False
        for name, value in values.items():
            setattr(ticket, name, value)
        if ticket.status in ("done", "expired") and self.book.open_by_number.get(ticket.number) == ticket_id:
            del self.book.open_by_number[ticket.number]
        return True

    def record_claimed(self, ticket_id: str, agent_id: str, at: float) -> bool:
        return self._fact(ticket_id, ("open", "waiting"), status="claimed", claimer=agent_id)

    def record_released(self, ticket_id: str, at: float) -> bool:
        return self._fact(ticket_id, ("claimed",), status="open", claimer=None)

    def record_done(self, ticket_id: str, agent_id: str, outcome: str, attempts: int | None, at: float) -> bool:
        ticket = self.book.tickets.get(ticket_id)
        if ticket is None or ticket.claimer != agent_id:
            return False
        return self._fact(
            ticket_id,
            ("claimed",),
            status="waiting" if outcome == "unreachable" else "done",
            claimer=None,
            outcome=outcome,
            attempts=ticket.attempts + 1 if attempts is None else attempts,
        )

    def record_retry(self, ticket_id: str, next_try_at: float, at: float) -> bool:
        return self._fact(ticket_id, ("waiting",), next_try_at=next_try_at)

    def record_expired(self, ticket_id: str, at: float) -> bool:
        return self._fact(ticket_id, ("open", "waiting"), status="expired", claimer=None)


class FakeCatalog:
    def __init__(self, stock: StockBook) -> None:
        self.catalog = Catalog()
        self.stock = stock

    def add_product(self, product: Product) -> None:
        self.catalog.add(product)

    def get_product(self, sku: str) -> Product:
        return self.catalog.get(sku)

    def receive(self, warehouse_id: str, sku: str, quantity: int) -> None:
        self.stock.receive(warehouse_id, sku, quantity)

    def available(self, sku: str) -> int:
        return self.stock.available(sku)


class FakeOrders:
    """Orders placed by the core's ``place_order`` on the catalog's ``StockBook``; ORDER_PLACED goes to the
    event log, as the store does."""

    def __init__(
        self, customers: InMemoryCustomers, catalog: FakeCatalog, ids: SequentialIds, event_log: FakeEventLog
    ) -> None:
        self.customers, self.catalog, self.ids, self.event_log = customers, catalog, ids, event_log
        self.orders: dict[str, Order] = {}

    def place(self, command: PlaceOrder, now: float | None = None) -> Order:
        self.customers.get(command.customer_id)  # UnknownCustomer
        order = core_orders.place_order(command, self.catalog.catalog, self.catalog.stock, self.ids)
        self.orders[order.order_id] = order
        self.event_log.append([core_orders.order_log_record(order)])
        return order

    def get(self, order_id: str) -> Order:
        if order_id not in self.orders:
            raise OrderError(f"no order {order_id!r}")
        return self.orders[order_id]

    def for_customer(self, customer_id: str) -> list[Order]:
        return [o for o in self.orders.values() if o.customer_id == customer_id]

    def cancel(self, order_id: str, now: float, reason: str) -> Order:
        return core_orders.cancel(self.get(order_id), self.catalog.stock, now, reason)


class FakeCallRecords:
    def __init__(self) -> None:
        self.records: dict[str, CallRecord] = {}
        self.complaints: dict[str, Complaint] = {}

    def add(self, record: CallRecord) -> None:
        if record.record_id in self.records:
            raise CallRecordError(f"call record {record.record_id} exists already")
        self.records[record.record_id] = record

    def get(self, record_id: str) -> CallRecord:
        if record_id not in self.records:
            raise CallRecordError(f"no call record {record_id!r}")
        return self.records[record_id]

    def for_customer(self, customer_id: str) -> list[CallRecord]:
        return [r for r in self.records.values() if r.customer_id == customer_id]

    def add_complaint(self, complaint: Complaint) -> None:
        self.get(complaint.record_id)
        self.complaints[complaint.complaint_id] = complaint

    def get_complaint(self, complaint_id: str) -> Complaint:
        if complaint_id not in self.complaints:
            raise CallRecordError(f"no complaint {complaint_id!r}")
        return self.complaints[complaint_id]

    def change_complaint(self, complaint_id: str, step) -> Complaint:
        complaint = self.get_complaint(complaint_id)
        step(complaint)
        return complaint


class FakeUnitOfWork:
    """``app.ports.UnitOfWork`` in memory: ``commits`` counts commits; ``state()`` is everything stored."""

    REPOSITORIES = (
        "customers",
        "ids",
        "catalog",
        "event_log",
        "orders",
        "tickets",
        "call_records",
        "audit",
        "memberships",
    )

    def __init__(self, audit: FakeAudit | None = None) -> None:
        self.customers = InMemoryCustomers()
        self.ids = SequentialIds()
        self.catalog = FakeCatalog(StockBook())
        self.event_log = FakeEventLog()
        self.orders = FakeOrders(self.customers, self.catalog, self.ids, self.event_log)
        self.tickets = FakeTickets()
        self.call_records = FakeCallRecords()
        self.airings = None  # no use case reads the schedule yet
        self.audit = audit if audit is not None else FakeAudit()
        self.memberships = InMemoryMemberships()
        self.commits = 0
        self._committed: dict | None = None

    def _snapshot(self) -> dict:
        # one deepcopy for all, so that the repositories that share a StockBook or ids still share them
        return copy.deepcopy({name: getattr(self, name) for name in self.REPOSITORIES})

    def __enter__(self) -> FakeUnitOfWork:
        self._committed = self._snapshot()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.rollback()
        self._committed = None

    def commit(self) -> None:
        self.commits += 1
        self._committed = self._snapshot()

    def rollback(self) -> None:
        if self._committed is not None:
            for name, repository in copy.deepcopy(self._committed).items():
                setattr(self, name, repository)

    def state(self) -> dict:
        """What is stored, as comparable data."""
        stock = self.catalog.stock
        return {
            "customers": repr(vars(self.customers)),
            "ids": repr(vars(self.ids)),
            "stock": repr(vars(stock)),
            "orders": repr(self.orders.orders),
            "events": list(self.event_log.rows),
            "tickets": repr(self.tickets.book.tickets),
            "records": repr(self.call_records.records),
            "complaints": repr(self.call_records.complaints),
            "audit": list(self.audit.entries),
            "memberships": repr(vars(self.memberships)),
        }
