"""SQLModel tables of the store, in the FastAPI full-stack template's style: a ``*Base`` with the shared
fields, ``*Create`` for what a client or a sink supplies, the ``table=True`` class, and ``*Public`` for what
an API returns.

Times are epoch seconds (float), like everything the core writes. The schema itself is created by the
Alembic migrations in ``migrations/``; ``tests/integration/store`` checks that these models and the
migrations agree.

Tables so far: ``event_log`` (``core.log.LogRecord`` rows plus the ``source`` that wrote them) and
``callback_ticket`` (``core.tickets.Ticket``). Orders, stock and customers are added by later migrations.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from core.tickets import OUTCOMES, PRIORITIES

TICKET_STATUSES = ("open", "claimed", "waiting", "done", "expired")
OPEN_STATUSES = ("open", "claimed", "waiting")  # a number has at most one ticket in these


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
    )

    id: Optional[int] = Field(default=None, primary_key=True, description="insertion order")
    source: str = Field(default="", max_length=128)


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
        Index("uq_callback_ticket_open_number", "source", "number", unique=True,
              postgresql_where=text(OPEN_TICKET_WHERE), sqlite_where=text(OPEN_TICKET_WHERE)),
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
