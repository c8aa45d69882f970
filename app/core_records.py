"""Persisting what a core wrote: its event-log records, and the callback tickets its CALLBACK_* records
describe, in one unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from app.campaigns import OUTBOUND_VERBS, apply_outbound_records
from app.ports import UnitOfWork
from core.call_records import record_call
from core.log import LogRecord, Verb
from core.tickets import Ticket, TicketError

CALLBACK_VERBS = frozenset(
    {
        Verb.CALLBACK_CREATED,
        Verb.CALLBACK_CLAIMED,
        Verb.CALLBACK_RELEASED,
        Verb.CALLBACK_DONE,
        Verb.CALLBACK_RETRY,
        Verb.CALLBACK_EXPIRED,
    }
)


@dataclass(slots=True)
class PersistedRecords:
    logged: int = 0  # records appended to the event log
    applied: int = 0  # callback records that changed a ticket
    conflicts: list[str] = field(default_factory=list)  # callback records that contradicted the store


def persist_core_records(
    records: Iterable[LogRecord],
    source: str | None,
    uow: UnitOfWork,
    *,
    first_seq: int | None = None,
    ended_calls: Iterable[dict] = (),
) -> PersistedRecords:
    """Append a core's records to the event log under ``source`` and apply its CALLBACK_* records to the
    tickets, in one unit of work (all or nothing). ``source`` None: tickets only (another sink writes the log).
    ``first_seq``: the records' positions in the core's own log start there (the store refuses a position
    twice, so a batch shipped again after a crash changes nothing). ``ended_calls``: call records (fields as
    ``core.call_records.CallRecord`` without its ID) of the calls these records end, stored in the same unit.

    The core is the authority for its own stream, so its records are applied as facts; one that contradicts
    the store (a ticket claimed meanwhile by a console worker, a log replayed) changes nothing and is listed
    in ``conflicts`` instead of raising into the core."""
    records = list(records)
    result = PersistedRecords()
    with uow:
        if source is not None:
            result.logged = uow.event_log.append(records, source, first_seq=first_seq)
        for record in records:
            if record.verb in CALLBACK_VERBS:
                why = _apply(record, uow)
                if why is None:
                    result.applied += 1
                else:
                    result.conflicts.append(f"{record.verb} {record.field('ticket')} at {record.time:.3f}: {why}")
        if any(record.verb in OUTBOUND_VERBS for record in records):
            result.applied += apply_outbound_records(records, uow)
        for fields in ended_calls:
            uow.call_records.add(record_call(uow.ids, **fields))
        for record in records:  # after the call records: the survey follows its call, maybe in the same batch
            if record.verb == Verb.SURVEY and str(record.field("digit")) in ("1", "2", "3"):
                if not uow.call_records.record_survey(record.call_id, int(str(record.field("digit")))):
                    result.conflicts.append(f"SURVEY of {record.call_id}: no call record")
        uow.commit()
    return result


def _apply(record: LogRecord, uow: UnitOfWork) -> str | None:
    """Apply one callback record; None, or why it changed nothing."""
    verb, ticket_id, at, tickets = record.verb, str(record.field("ticket")), float(record.time), uow.tickets
    if verb == Verb.CALLBACK_CREATED:
        try:
            tickets.create(
                Ticket(
                    ticket_id=ticket_id,
                    call_id=record.call_id,
                    number=str(record.field("number")),
                    priority=str(record.field("priority")),
                    hotline=str(record.field("hotline")),
                    airing=str(record.field("airing")),
                    created_at=at,
                    queue=record.queue,
                )
            )
            return None
        except TicketError as error:
            return str(error)
    if verb == Verb.CALLBACK_CLAIMED:
        applied = tickets.record_claimed(ticket_id, record.agent, at)
    elif verb == Verb.CALLBACK_RELEASED:
        applied = tickets.record_released(ticket_id, at)
    elif verb == Verb.CALLBACK_DONE:
        applied = tickets.record_done(
            ticket_id, record.agent, str(record.field("outcome")), _attempts(record.field("attempt")), at
        )
    elif verb == Verb.CALLBACK_RETRY:
        applied = tickets.record_retry(ticket_id, float(str(record.field("next_attempt_at"))), at)
    else:
        applied = tickets.record_expired(ticket_id, at)
    if applied:
        return None
    ticket = tickets.get(ticket_id)
    if ticket is None:
        return "ticket is unknown"
    return f"ticket is {ticket.status}" + (f" by {ticket.claimer}" if ticket.claimer else "")


def _attempts(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
