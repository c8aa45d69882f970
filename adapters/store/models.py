"""SQLModel tables of the store, in the FastAPI full-stack template's style: a ``*Base`` with the shared
fields, ``*Create`` for what a client or a sink supplies, the ``table=True`` class, and ``*Public`` for what
an API returns.

Times are epoch seconds (float), like everything the core writes. The schema itself is created by the
Alembic migrations in ``migrations/``; ``tests/integration/store`` checks that these models and the
migrations agree.

Tables: ``event_log`` (``core.log.LogRecord`` rows plus the ``source`` that wrote them) and
``callback_ticket`` (``core.tickets.Ticket``) from migration 0001; the business tables (customers, catalog
and stock, orders, airings, membership, call records and complaints; ``BUSINESS_TABLES``) from 0002.

Why one module over 400 lines: it is declarations only (tables, columns, indexes, CHECKs; no behaviour), and
it is the one place the whole schema can be read beside ``migrations/`` and checked against it; one section
per migration, in migration order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from core.tickets import OPEN_STATUSES, OUTCOMES, PRIORITIES

TICKET_STATUSES = ("open", "claimed", "waiting", "done", "expired")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


OPEN_TICKET_WHERE = _in("status", OPEN_STATUSES)


# --- event log -------------------------------------------------------------------------------------


class EventRecordBase(SQLModel):
    """One ``core.log.LogRecord`` (data fields as the text ``LogRecord.as_text_row`` gives them)."""

    time: float = Field(description="epoch seconds")
    call_id: str = Field(max_length=128)
    queue: str = Field(max_length=128)
    agent: str = Field(max_length=128)
    verb: str = Field(max_length=32)
    data1: str = ""
    data2: str = ""
    data3: str = ""
    data4: str = ""
    data5: str = ""


class EventRecordCreate(EventRecordBase):
    source: str = Field(default="", max_length=128, description="who wrote the record: a run, a driver, an import")


class EventRecord(EventRecordBase, table=True):
    __tablename__ = "event_log"
    __table_args__ = (
        Index("ix_event_log_source_time", "source", "time"),
        Index("ix_event_log_call_id", "call_id"),
        Index("uq_event_log_source_seq", "source", "seq", unique=True),
    )

    id: Optional[int] = Field(default=None, primary_key=True, description="insertion order")
    source: str = Field(default="", max_length=128)
    seq: Optional[int] = Field(default=None, description="position in the source's own log (shipped records)")


class EventRecordPublic(EventRecordBase):
    id: int
    source: str


# --- callback tickets ------------------------------------------------------------------------------


class CallbackTicketBase(SQLModel):
    call_id: str = Field(max_length=128)
    number: str = Field(max_length=64)
    priority: str = Field(max_length=16, description=" | ".join(PRIORITIES))
    hotline: str = Field(default="", max_length=64)
    airing: str = Field(default="", max_length=128)
    queue: str = Field(default="", max_length=128, description="skill group whose agents call back")
    created_at: float


class CallbackTicketCreate(CallbackTicketBase):
    id: str = Field(max_length=128)
    source: str = Field(default="", max_length=128)


class CallbackTicket(CallbackTicketBase, table=True):
    __tablename__ = "callback_ticket"
    __table_args__ = (
        CheckConstraint(_in("status", TICKET_STATUSES), name="ck_callback_ticket_status"),
        CheckConstraint(_in("priority", PRIORITIES), name="ck_callback_ticket_priority"),
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', OUTCOMES)}", name="ck_callback_ticket_outcome"),
        CheckConstraint("(status = 'claimed') = (claimer IS NOT NULL)", name="ck_callback_ticket_claimer"),
        CheckConstraint("attempts >= 0", name="ck_callback_ticket_attempts"),
        # one open ticket per number (and source): the database refuses a second one
        Index(
            "uq_callback_ticket_open_number",
            "source",
            "number",
            unique=True,
            postgresql_where=text(OPEN_TICKET_WHERE),
            sqlite_where=text(OPEN_TICKET_WHERE),
        ),
        Index("ix_callback_ticket_list", "status", "queue", "created_at"),
        Index("ix_callback_ticket_expires_at", "expires_at"),
    )

    id: str = Field(primary_key=True, max_length=128)
    source: str = Field(default="", max_length=128)
    status: str = Field(default="open", max_length=16)
    claimer: Optional[str] = Field(default=None, max_length=128)
    attempts: int = 0
    outcome: Optional[str] = Field(default=None, max_length=16)
    next_try_at: float = 0.0
    expires_at: float
    version: int = Field(default=1, description="bumped by every change (optimistic concurrency)")
    updated_at: float


class CallbackTicketPublic(CallbackTicketBase):
    id: str
    status: str
    claimer: Optional[str]
    attempts: int
    outcome: Optional[str]
    next_try_at: float
    expires_at: float
    version: int


class CallbackOutcome(SQLModel):
    """What an agent reports after a callback attempt."""

    outcome: str = Field(description=" | ".join(OUTCOMES))


# --- business: customers, catalog and stock, orders, airings, membership, call records ----------------
# (migration 0002). Money is NUMERIC(12, 2) yuan; phone numbers are stored by their normalised key
# (``core.phones.PhoneNumber.key``, E.164) so that every spelling of a number finds the same rows.

MONEY = dict(max_digits=12, decimal_places=2)


class IdSequence(SQLModel, table=True):
    """One row per ID handed out (``SqlIds``): the database's autoincrement makes IDs unique across
    processes, which an in-memory counter cannot."""

    __tablename__ = "id_sequence"

    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)


class CustomerRow(SQLModel, table=True):
    __tablename__ = "customer"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    created_at: float
    region_code: Optional[str] = Field(default=None, max_length=6)
    region_province: str = Field(default="", max_length=64)
    region_city: str = Field(default="", max_length=64)
    region_county: str = Field(default="", max_length=64)
    notes: str = ""


class CustomerPhoneRow(SQLModel, table=True):
    """A customer's line. One number may belong to several customers (a household, a switchboard)."""

    __tablename__ = "customer_phone"
    __table_args__ = (
        Index("uq_customer_phone_customer_key", "customer_id", "key", unique=True),
        Index("ix_customer_phone_key", "key"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    customer_id: str = Field(foreign_key="customer.id", max_length=32, ondelete="CASCADE")
    position: int = 0
    key: str = Field(max_length=32, description="E.164, extension left out")
    national: str = Field(max_length=20)
    kind: str = Field(max_length=16)
    area_code: str = Field(default="", max_length=8)
    extension: str = Field(default="", max_length=16)


class AddressColumns(SQLModel):
    """A ``core.regions.Address`` flattened (the phone as ``national|kind|area_code|extension``)."""

    division_code: str = Field(max_length=6)
    province: str = Field(max_length=64)
    city: str = Field(default="", max_length=64)
    county: str = Field(default="", max_length=64)
    detail: str
    recipient: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=64)
    postcode: str = Field(default="", max_length=6)


class AddressRow(AddressColumns, table=True):
    __tablename__ = "address"
    __table_args__ = (Index("ix_address_customer_id", "customer_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    customer_id: str = Field(foreign_key="customer.id", max_length=32, ondelete="CASCADE")
    position: int = 0


class ProductRow(SQLModel, table=True):
    __tablename__ = "product"
    __table_args__ = (CheckConstraint("price >= 0", name="ck_product_price"),)

    sku: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    price: Decimal = Field(**MONEY)
    active: bool = True


class ProductAiringRow(SQLModel, table=True):
    """The airings that sell a product (no foreign key: products are often loaded before the schedule)."""

    __tablename__ = "product_airing"

    sku: str = Field(foreign_key="product.sku", primary_key=True, max_length=64, ondelete="CASCADE")
    airing_id: str = Field(primary_key=True, max_length=128)


class WarehouseRow(SQLModel, table=True):
    __tablename__ = "warehouse"

    id: str = Field(primary_key=True, max_length=64)
    serves: str = Field(default="", description="comma-separated division-code prefixes; empty: anywhere")
    rank: int = 0


class CourierRow(SQLModel, table=True):
    __tablename__ = "courier"

    id: str = Field(primary_key=True, max_length=64)
    serves: str = Field(default="", description="comma-separated division-code prefixes; empty: everywhere")
    warehouses: str = Field(default="", description="comma-separated warehouse ids it collects at; empty: any")
    cash_on_delivery: bool = True
    rank: int = 0


class StockRow(SQLModel, table=True):
    """Units per warehouse and SKU. ``allocated`` are promised to sorted orders there; units held by
    placed (not yet sorted) orders are in ``stock_hold``. The checks make negative stock impossible."""

    __tablename__ = "stock"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="ck_stock_on_hand"),
        CheckConstraint("allocated >= 0", name="ck_stock_allocated"),
        CheckConstraint("allocated <= on_hand", name="ck_stock_allocated_on_hand"),
    )

    warehouse_id: str = Field(foreign_key="warehouse.id", primary_key=True, max_length=64)
    sku: str = Field(foreign_key="product.sku", primary_key=True, max_length=64)
    on_hand: int = 0
    allocated: int = 0


class OrderRow(AddressColumns, table=True):
    """``core.orders.Order``; the delivery address in the address columns."""

    __tablename__ = "customer_order"  # "order" is reserved in SQL
    __table_args__ = (
        Index("ix_customer_order_customer", "customer_id", "placed_at"),
        Index("ix_customer_order_status", "status"),
    )

    id: str = Field(primary_key=True, max_length=32, description="the order number (unique)")
    customer_id: str = Field(foreign_key="customer.id", max_length=32)
    payment: str = Field(max_length=16)
    placed_at: float
    survey_channel: Optional[str] = Field(default=None, max_length=128)
    survey_program: str = Field(default="", max_length=200)
    survey_airing_id: str = Field(default="", max_length=128)
    hotline: str = Field(default="", max_length=64)
    call_id: str = Field(default="", max_length=128)
    agent_id: str = Field(default="", max_length=128)
    discount: Decimal = Field(default=Decimal("0.00"), **MONEY)
    total: Decimal = Field(**MONEY)
    status: str = Field(max_length=16)
    warehouse: str = Field(default="", max_length=64)
    courier: str = Field(default="", max_length=64)
    paid_at: Optional[float] = None
    history: str = Field(default="[]", description="JSON list of [time, status, note]")
    version: int = 1


class OrderLineRow(SQLModel, table=True):
    __tablename__ = "order_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_order_line_quantity"),)

    order_id: str = Field(foreign_key="customer_order.id", primary_key=True, max_length=32, ondelete="CASCADE")
    position: int = Field(primary_key=True)
    sku: str = Field(foreign_key="product.sku", max_length=64)
    name: str = Field(max_length=200)
    quantity: int
    unit_price: Decimal = Field(**MONEY)


class StockHoldRow(SQLModel, table=True):
    """Units a placed order holds before it is sorted to a warehouse (core.catalog.StockBook's holds)."""

    __tablename__ = "stock_hold"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_stock_hold_quantity"),
        Index("ix_stock_hold_sku", "sku"),
    )

    order_id: str = Field(foreign_key="customer_order.id", primary_key=True, max_length=32, ondelete="CASCADE")
    sku: str = Field(foreign_key="product.sku", primary_key=True, max_length=64)
    quantity: int


class AiringRow(SQLModel, table=True):
    """``core.config.Airing``."""

    __tablename__ = "airing"
    __table_args__ = (Index("ix_airing_hotline_start", "hotline", "start"),)

    id: str = Field(primary_key=True, max_length=128)
    channel: str = Field(max_length=128)
    start: float
    length: float
    hotline: str = Field(max_length=64)
    product: str = Field(default="", max_length=200)
    kind: str = Field(default="spot", max_length=16)
    cost: float = 0.0


class MembershipRow(SQLModel, table=True):
    __tablename__ = "membership"

    customer_id: str = Field(foreign_key="customer.id", primary_key=True, max_length=32)
    member_since: float
    balance: int = Field(default=0, description="the last entry's balance, kept for quick reads")


class PointsEntryRow(SQLModel, table=True):
    """The points ledger, append-only; (customer_id, seq) is unique, so two writers appending the same
    entry number conflict instead of both succeeding."""

    __tablename__ = "points_entry"
    __table_args__ = (CheckConstraint("balance >= 0", name="ck_points_entry_balance"),)

    customer_id: str = Field(foreign_key="membership.customer_id", primary_key=True, max_length=32)
    seq: int = Field(primary_key=True)
    at: float
    kind: str = Field(max_length=16)
    points: int
    balance: int
    order_id: str = Field(default="", max_length=32)
    note: str = ""


class CallRecordRow(SQLModel, table=True):
    __tablename__ = "call_record"
    __table_args__ = (
        Index("ix_call_record_customer", "customer_id", "started_at"),
        Index("ix_call_record_caller", "caller"),
    )

    id: str = Field(primary_key=True, max_length=32)
    call_id: str = Field(max_length=128)
    caller: str = Field(default="", max_length=32)
    agent_id: str = Field(default="", max_length=128)
    started_at: float
    ended_at: float
    answered_at: Optional[float] = None
    call_type: str = Field(max_length=16)
    business_type: str = Field(max_length=16)
    summary: str = ""
    customer_id: str = Field(default="", max_length=32)
    order_id: str = Field(default="", max_length=32)
    direction: str = Field(max_length=16)
    recording: str = Field(default="", max_length=255, sa_column_kwargs={"server_default": ""})
    survey: Optional[int] = Field(default=None, description="after-call survey: the digit pressed (1-3)")


class ComplaintRow(SQLModel, table=True):
    __tablename__ = "complaint"
    __table_args__ = (Index("ix_complaint_status_opened", "status", "opened_at"),)

    id: str = Field(primary_key=True, max_length=32)
    record_id: str = Field(foreign_key="call_record.id", max_length=32)
    customer_id: str = Field(default="", max_length=32)
    opened_at: float
    description: str
    order_id: str = Field(default="", max_length=32)
    category: str = Field(default="", max_length=64)
    status: str = Field(max_length=16)
    handler: str = Field(default="", max_length=128)
    resolution: str = ""
    closed_at: Optional[float] = None
    steps: str = Field(default="[]", description="JSON list of [at, status, by, note]")
    version: int = 1


BUSINESS_TABLES = (
    "id_sequence",
    "customer",
    "customer_phone",
    "address",
    "product",
    "product_airing",
    "warehouse",
    "courier",
    "stock",
    "customer_order",
    "order_line",
    "stock_hold",
    "airing",
    "membership",
    "points_entry",
    "call_record",
    "complaint",
)


# --- site configuration (migration 0005) ----------------------------------------------------------


class SiteConfigRow(SQLModel, table=True):
    """One version of the site configuration: the whole document (``twin.site.site_document``, as JSON text),
    who saved it and when. Versions count up from 1; the highest is the current configuration."""

    __tablename__ = "site_config"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    document: str = Field(description="JSON: the site in the scenario format")
    saved_at: float = Field(description="epoch seconds")
    saved_by: str = Field(max_length=64)
    note: str = Field(default="", description="how it came: an import of a file, an API change, ...")


SITE_TABLES = ("site_config",)

# --- the live channel (migration 0006): commands from people to the live driver, its stream for screens ---

LIVE_COMMAND_STATUSES = ("pending", "claimed", "done", "rejected", "expired")
LIVE_COMMAND_FINAL = ("done", "rejected", "expired")


class LiveCommandRow(SQLModel, table=True):
    """A command a console user sent to the live core; the driver claims it, carries it out and answers."""

    __tablename__ = "live_command"
    __table_args__ = (
        CheckConstraint(_in("status", LIVE_COMMAND_STATUSES), name="ck_live_command_status"),
        Index("ix_live_command_status_id", "status", "id"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    created_at: float
    expires_at: float = Field(description="not carried out after this time (a stale 'ready' is never applied)")
    actor: str = Field(max_length=64, description="the console user who sent it")
    kind: str = Field(max_length=32)
    agent_id: str = Field(default="", max_length=128)
    call_id: str = Field(default="", max_length=128)
    payload: str = Field(default="{}", description="JSON object")
    status: str = Field(default="pending", max_length=16)
    claimed_at: Optional[float] = None
    started: str = Field(
        default="",
        description="set before the driver acts: the journal line fed to the core, "
        "or the kind of a supervisor action; a restart never repeats it",
    )
    result: str = ""
    done_at: Optional[float] = None


class LiveEventRow(SQLModel, table=True):
    """What screens need, as the live driver published it (``seq`` orders the stream; old rows are pruned)."""

    __tablename__ = "live_event"
    __table_args__ = (
        Index("ix_live_event_agent_seq", "agent_id", "seq"),
        Index("ix_live_event_at", "at"),
    )

    seq: Optional[int] = Field(default=None, primary_key=True)
    at: float
    kind: str = Field(max_length=32)
    agent_id: str = Field(default="", max_length=128)
    call_id: str = Field(default="", max_length=128)
    payload: str = Field(default="{}", description="JSON object")


class LiveAgentStateRow(SQLModel, table=True):
    """Each agent's state as the live driver last published it."""

    __tablename__ = "live_agent_state"

    agent_id: str = Field(primary_key=True, max_length=128)
    state: str = Field(max_length=16)
    reason: str = ""
    call_id: str = Field(default="", max_length=128)
    caller: str = Field(default="", max_length=64)
    since: float


class LiveQueueStateRow(SQLModel, table=True):
    """Each queue's waiting callers as the live driver last published them."""

    __tablename__ = "live_queue_state"

    queue: str = Field(primary_key=True, max_length=128)
    waiting: int = 0
    oldest_since: Optional[float] = Field(default=None, description="arrival of the longest-waiting caller")
    at: float


class LiveDriverRow(SQLModel, table=True):
    """The live driver's heartbeat: the console sends no command to a driver that is not running."""

    __tablename__ = "live_driver"

    name: str = Field(primary_key=True, max_length=64)
    started_at: float
    beat_at: float


LIVE_CHANNEL_TABLES = ("live_command", "live_event", "live_agent_state", "live_queue_state", "live_driver")

# --- idempotency keys (migration 0009): a creating request sent again with its Idempotency-Key -------------


class IdempotencyKeyRow(SQLModel, table=True):
    """A request carried out under an ``Idempotency-Key``: written in the same transaction as its change (so a
    change without its key, or the reverse, cannot be stored), its answer added after the commit."""

    __tablename__ = "idempotency_key"

    scope: str = Field(primary_key=True, max_length=200, description="method and path, e.g. POST /api/orders")
    key: str = Field(primary_key=True, max_length=200)
    request_hash: str = Field(
        max_length=64, description="SHA-256 of the body: the same key with another body is refused"
    )
    created: float = Field(index=True, description="epoch seconds")
    status_code: int | None = Field(default=None, description="the answer's status; None until it is recorded")
    response: str | None = Field(default=None, description="the answer's body (JSON text)")


IDEMPOTENCY_TABLES = ("idempotency_key",)


# --- staffing plans (migration 0011): what a planner compared and kept, for the live-against-plan page ---


class StaffingPlanRow(SQLModel, table=True):
    """A saved staffing plan: the scenario it runs (YAML text, the twin's format) and the twin's results of it
    (per-interval means with 95% bands, as JSON text), who saved it and when. A plan is never overwritten:
    saving again under the same name adds a new row."""

    __tablename__ = "staffing_plan"
    __table_args__ = (Index("ix_staffing_plan_name", "name"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=128)
    scenario: str = Field(description="the scenario as YAML text")
    results: str = Field(description="JSON: per-interval KPI means and 95% bands, and the totals")
    replications: int
    seed: int
    saved_at: float = Field(description="epoch seconds")
    saved_by: str = Field(max_length=64)


PLAN_TABLES = ("staffing_plan",)


# --- outbound campaigns (migration 0010) ---------------------------------------------------------------

CAMPAIGN_STATUSES = ("draft", "approved", "stopped")
NUMBER_STATUSES = ("pending", "done")


class CampaignRow(SQLModel, table=True):
    """A campaign: its definition as a JSON document (``core.campaigns.campaign_document``) and its approval."""

    __tablename__ = "campaign"
    __table_args__ = (CheckConstraint(_in("status", CAMPAIGN_STATUSES), name="ck_campaign_status"),)

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    mode: str = Field(max_length=16)
    document: str = Field(description="JSON: the campaign")
    status: str = Field(default="draft", max_length=16)
    created_by: str = Field(max_length=64)
    created_at: float
    approved_by: str = Field(default="", max_length=64)
    approved_at: Optional[float] = None


class CampaignNumberRow(SQLModel, table=True):
    """One number of a campaign's list, with where it came from and how calling it went."""

    __tablename__ = "campaign_number"
    __table_args__ = (
        CheckConstraint(_in("status", NUMBER_STATUSES), name="ck_campaign_number_status"),
        Index("ix_campaign_number_result", "campaign_id", "last_result"),
    )

    campaign_id: str = Field(foreign_key="campaign.id", primary_key=True, max_length=64)
    number: str = Field(primary_key=True, max_length=32)
    name: str = Field(default="", max_length=200)
    row: int = 0
    zone: str = Field(default="Asia/Shanghai", max_length=64)
    fields: str = Field(default="{}", description="JSON: the list file's other columns")
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    last_result: str = Field(default="", max_length=32)
    result_code: str = Field(default="", max_length=64)
    updated_at: float = 0.0


class OutboundAttemptRow(SQLModel, table=True):
    """One dial of a campaign (from the event log's OUTBOUND_* records): the results export reads these."""

    __tablename__ = "outbound_attempt"
    __table_args__ = (Index("ix_outbound_attempt_campaign_day", "campaign_id", "day", "result"),)

    id: str = Field(primary_key=True, max_length=96)
    campaign_id: str = Field(max_length=64)
    number: str = Field(max_length=32)
    agent_id: str = Field(default="", max_length=128)
    dialled_at: float
    day: str = Field(max_length=10, description="site day, YYYY-MM-DD")
    result: str = Field(default="", max_length=32, description="'' while it runs")
    result_code: str = Field(default="", max_length=64)
    talk: float = 0.0


class DoNotCallRow(SQLModel, table=True):
    __tablename__ = "do_not_call"

    number: str = Field(primary_key=True, max_length=32)
    reason: str = Field(default="", max_length=200)
    added_at: float
    added_by: str = Field(default="", max_length=64)


OUTBOUND_TABLES = ("campaign", "campaign_number", "outbound_attempt", "do_not_call")
