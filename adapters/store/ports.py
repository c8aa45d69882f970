"""Repository ports of the store, as ``typing.Protocol``s over the core's own types (``LogRecord``,
``Ticket``, ``Product``, ``Order``, ``Airing``, ``CallRecord``, ``Complaint``), so that the core's callers (drivers, console workers, the periodic task) depend on these and
not on SQL. They belong next to ``core/ports.py``; they live here until the core needs them itself.
(``CustomerRepository`` and ``MembershipRepository`` are the core's own: ``core.customers``,
``core.membership``.)"""

from __future__ import annotations

from typing import Iterable, Protocol, Sequence

from core.call_records import CallRecord, Complaint
from core.catalog import Product, Warehouse
from core.config import Airing
from core.log import LogRecord
from core.orders import Courier, Order, PlaceOrder
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


class CatalogRepository(Protocol):
    """Products and stock (``adapters.store.catalog.SqlCatalog``)."""

    def add_product(self, product: Product) -> None: ...

    def replace_product(self, product: Product) -> None: ...

    def get_product(self, sku: str) -> Product: ...

    def products(self, active_only: bool = False) -> list[Product]: ...

    def for_airing(self, airing_id: str) -> list[Product]: ...

    def warehouses(self) -> list[Warehouse]: ...

    def couriers(self) -> list[Courier]: ...

    def receive(self, warehouse_id: str, sku: str, quantity: int) -> None: ...

    def available(self, sku: str) -> int: ...


class OrderRepository(Protocol):
    """Orders with atomic stock reservation (``adapters.store.orders.SqlOrders``)."""

    def place(self, command: PlaceOrder, now: float | None = None) -> Order:
        """Raises ``core.catalog.OutOfStock`` and stores nothing when the stock is short."""

    def get(self, order_id: str) -> Order: ...

    def for_customer(self, customer_id: str) -> list[Order]: ...

    def sort(self, order_id: str, now: float, warehouses: Sequence[Warehouse] | None = None,
             couriers: Sequence[Courier] | None = None) -> Order: ...

    def record_payment(self, order_id: str, now: float) -> Order: ...

    def dispatch(self, order_id: str, now: float) -> Order: ...

    def deliver(self, order_id: str, now: float) -> Order: ...

    def cancel(self, order_id: str, now: float, reason: str) -> Order: ...

    def return_order(self, order_id: str, now: float, reason: str, *, restock: bool = True) -> Order: ...


class AiringRepository(Protocol):
    """The broadcast schedule (``adapters.store.airings.SqlAirings``)."""

    def add_many(self, airings: Iterable[Airing]) -> int: ...

    def replace_many(self, airings: Iterable[Airing]) -> int: ...

    def get(self, airing_id: str) -> Airing: ...

    def list(self, hotline: str | None = None, start: float | None = None, end: float | None = None) -> list[Airing]: ...


class CallRecordRepository(Protocol):
    """Call records and complaints (``adapters.store.call_records.SqlCallRecords``)."""

    def add(self, record: CallRecord) -> None: ...

    def get(self, record_id: str) -> CallRecord: ...

    def for_customer(self, customer_id: str) -> list[CallRecord]: ...

    def add_complaint(self, complaint: Complaint) -> None: ...

    def get_complaint(self, complaint_id: str) -> Complaint: ...

    def unclosed(self, now: float, older_than: float = 0.0) -> list[Complaint]: ...
