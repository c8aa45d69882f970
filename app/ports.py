"""The application layer's ports, as ``typing.Protocol``s over the core's own types: the repositories, the unit
of work that holds them in one transaction, and the channel to the live core. ``adapters/store`` implements
the repositories and ``SqlUnitOfWork``; ``tests/unit/app_fakes.py`` keeps them in memory.

``CustomerRepository`` and ``IdSource`` are the core's own (``core.customers``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Protocol, Sequence

from core.call_records import CallRecord, Complaint
from core.catalog import Product, Warehouse
from core.config import Airing
from core.customers import CustomerRepository, IdSource
from core.log import LogRecord
from core.membership import MembershipRepository
from core.orders import Courier, Order, PlaceOrder
from core.tickets import Ticket


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who read or changed which data, when: one audit row per ID in ``entity_ids``."""

    at: float
    user: str
    action: str  # e.g. customers.update, orders.create, callbacks.claim
    entity: str  # customer, callback_ticket, ...
    entity_ids: tuple[str, ...]
    detail: str = ""


class AuditRepository(Protocol):
    def add(self, *entries: AuditEntry) -> None:
        """Write the entries' rows (one per entity ID) in one statement."""


class EventLogRepository(Protocol):
    def append(self, records: Iterable[LogRecord], source: str = "", first_seq: int | None = None) -> int:
        """Store records in order; returns how many. ``first_seq``: their positions in the source's own log
        start there, and a position stored twice is refused (exactly-once shipping)."""

    def records(self, source: str | None = None) -> list[LogRecord]:
        """Records of one source (all sources: None) in time order, data fields as text."""

    def sources(self) -> list[str]: ...


class CallbackTicketRepository(Protocol):
    """Callback tickets with the core's rules, enforced by the database: one open ticket per number,
    one claimer at a time, outcomes and retries, expiry, the callback order."""

    def create(self, ticket: Ticket) -> Ticket:
        """Raises ``TicketError`` if the ID exists or the number has an open ticket."""

    def get(self, ticket_id: str) -> Ticket | None: ...

    def open_ticket_for(self, number: str) -> Ticket | None: ...

    def ordered(
        self, now: float | None = None, queues: Sequence[str] | None = None, limit: int | None = None
    ) -> list[Ticket]:
        """Claimable tickets in callback order: urgent first, then first-come."""

    def claim(self, ticket_id: str, agent_id: str, now: float) -> Ticket:
        """Exactly one concurrent caller wins; the others get ``TicketError``."""

    def claim_next(self, agent_id: str, now: float, queues: Sequence[str] | None = None) -> Ticket | None: ...

    def release(self, ticket_id: str, agent_id: str, now: float) -> Ticket: ...

    def hand_over(self, ticket_id: str, agent_id: str | None, now: float) -> Ticket:
        """A claimed ticket, whoever holds it, back to the queue (``agent_id`` None) or to ``agent_id``;
        ``TicketError`` unless it is claimed."""

    def claimed_by(self, agent_id: str) -> list[Ticket]: ...

    def complete(self, ticket_id: str, agent_id: str, outcome: str, now: float) -> Ticket: ...

    def retry_due(self, now: float) -> list[Ticket]: ...

    def expire(self, now: float) -> list[Ticket]: ...

    # Facts from a core's event stream: applied only if the ticket is in a state that allows them;
    # False (nothing changed) otherwise.

    def record_claimed(self, ticket_id: str, agent_id: str, at: float) -> bool: ...

    def record_released(self, ticket_id: str, at: float) -> bool: ...

    def record_done(self, ticket_id: str, agent_id: str, outcome: str, attempts: int | None, at: float) -> bool:
        """``attempts`` None: one more than before."""

    def record_retry(self, ticket_id: str, next_try_at: float, at: float) -> bool: ...

    def record_expired(self, ticket_id: str, at: float) -> bool: ...


class CatalogRepository(Protocol):
    """Products and stock (``adapters.store.catalog.SqlCatalog``)."""

    def add_product(self, product: Product) -> None: ...

    def replace_product(self, product: Product) -> None: ...

    def get_product(self, sku: str) -> Product: ...

    def products(self, active_only: bool = False) -> list[Product]: ...

    def for_airing(self, airing_id: str) -> list[Product]: ...

    def add_warehouse(self, warehouse: Warehouse) -> None: ...

    def warehouses(self) -> list[Warehouse]: ...

    def add_courier(self, courier: Courier) -> None: ...

    def couriers(self) -> list[Courier]: ...

    def receive(self, warehouse_id: str, sku: str, quantity: int) -> None: ...

    def write_off(self, warehouse_id: str, sku: str, quantity: int) -> None: ...

    def available(self, sku: str) -> int: ...


class OrderRepository(Protocol):
    """Orders with atomic stock reservation (``adapters.store.orders.SqlOrders``)."""

    def place(self, command: PlaceOrder, now: float | None = None) -> Order:
        """Raises ``core.catalog.OutOfStock`` and stores nothing when the stock is short."""

    def get(self, order_id: str) -> Order: ...

    def for_customer(self, customer_id: str) -> list[Order]: ...

    def sort(
        self,
        order_id: str,
        now: float,
        warehouses: Sequence[Warehouse] | None = None,
        couriers: Sequence[Courier] | None = None,
    ) -> Order: ...

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

    def list(
        self, hotline: str | None = None, start: float | None = None, end: float | None = None
    ) -> list[Airing]: ...


class CallRecordRepository(Protocol):
    """Call records and complaints (``adapters.store.call_records.SqlCallRecords``). ``change_complaint``
    runs a step (one of the core's ``core.call_records.Complaint`` transitions) on the stored complaint and
    stores the result."""

    def add(self, record: CallRecord) -> None: ...

    def record_survey(self, call_id: str, score: int) -> bool: ...

    def get(self, record_id: str) -> CallRecord: ...

    def for_customer(self, customer_id: str) -> list[CallRecord]: ...

    def add_complaint(self, complaint: Complaint) -> None: ...

    def get_complaint(self, complaint_id: str) -> Complaint: ...

    def unclosed(self, now: float, older_than: float = 0.0) -> list[Complaint]: ...

    def change_complaint(self, complaint_id: str, step: Callable[[Complaint], object]) -> Complaint: ...


class UnitOfWork(Protocol):
    """One transaction over every repository: a use case does its work and writes its audit entry through
    these attributes, then calls ``commit()``; leaving the ``with`` block without committing (or on an
    exception) rolls everything back, so the data and its audit row are stored together or not at all.

        with uow:
            ...
            uow.commit()
    """

    tickets: CallbackTicketRepository
    orders: OrderRepository
    customers: CustomerRepository
    catalog: CatalogRepository
    airings: AiringRepository
    call_records: CallRecordRepository
    event_log: EventLogRepository
    audit: AuditRepository
    ids: IdSource  # new IDs; a number drawn in a unit that rolls back is simply not used
    memberships: MembershipRepository  # points earned on delivered orders, taken back on returns
    campaigns: "CampaignRepository"  # outbound campaigns (the Protocol stands beside its use cases, app/campaigns.py)

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


if TYPE_CHECKING:
    from app.campaigns import CampaignRepository

# The live channel's ports (LiveCommands, LiveStates) stand beside their use case in app/live.py.
