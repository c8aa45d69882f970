"""Call records and complaints: record a call with its disposition; open a complaint from a complaint call,
work on it (take it on, hand it over, reopen it), resolve and close it. Each is one unit of work with its
audit row; the steps' rules are the core's (``core.call_records``)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from app.ports import AuditEntry, UnitOfWork
from core import call_records
from core.call_records import INBOUND, INQUIRY, NORMAL, RESOLVED, CallRecord, CallRecordError, Complaint
from core.customers import UnknownCustomer
from core.phones import parse_phone


@dataclass(slots=True)
class RecordCall:
    """What a call was and how it went, as the agent reports it (``core.call_records.CallRecord``'s fields;
    ``caller`` in any spelling, read with ``default_area_code``)."""

    now: float
    agent_id: str
    call_id: str
    started_at: float
    ended_at: float
    caller: str = ""
    answered_at: float | None = None
    call_type: str = NORMAL
    business_type: str = INQUIRY
    summary: str = ""
    customer_id: str = ""
    order_id: str = ""
    direction: str = INBOUND
    default_area_code: str | None = None


@dataclass(slots=True)
class OpenComplaint:
    now: float
    by: str
    record_id: str  # the complaint call's record
    description: str = ""  # default: the call's summary
    category: str = ""
    order_id: str = ""


@dataclass(slots=True)
class WorkOnComplaint:
    """Put a complaint in progress: take it on (or hand it over) as ``handler`` (default: ``by``), or, if it
    is resolved, reopen it because of ``note``."""

    now: float
    by: str
    complaint_id: str
    handler: str = ""
    note: str = ""


@dataclass(slots=True)
class ResolveComplaint:
    now: float
    by: str
    complaint_id: str
    resolution: str


@dataclass(slots=True)
class CloseComplaint:
    now: float
    by: str
    complaint_id: str
    note: str = "customer confirmed"


def record_call(command: RecordCall, uow: UnitOfWork) -> CallRecord:
    """Raises ``InvalidPhoneNumber`` or ``CallRecordError`` (a bad disposition, times out of order, a
    summary missing, a customer that does not exist)."""
    values = {f.name: getattr(command, f.name) for f in fields(command) if f.name not in ("now", "default_area_code")}
    if command.caller:
        values["caller"] = parse_phone(command.caller, default_area_code=command.default_area_code).key
    with uow:
        if command.customer_id:
            try:
                uow.customers.get(command.customer_id)
            except UnknownCustomer:
                raise CallRecordError(f"customer_id: there is no customer {command.customer_id}") from None
        record = call_records.record_call(uow.ids, **values)
        uow.call_records.add(record)
        uow.audit.add(
            AuditEntry(
                command.now,
                command.agent_id,
                "calls.create",
                "customer",
                (record.customer_id or "-",),
                f"call record {record.record_id}",
            )
        )
        uow.commit()
    return record


def _audited(uow: UnitOfWork, complaint: Complaint, now: float, by: str, status: str) -> Complaint:
    uow.audit.add(
        AuditEntry(
            now,
            by,
            f"complaints.{status}",
            "customer",
            (complaint.customer_id or "-",),
            f"complaint {complaint.complaint_id}",
        )
    )
    uow.commit()
    return complaint


def open_complaint(command: OpenComplaint, uow: UnitOfWork) -> Complaint:
    """From a complaint call only (``CallRecordError`` otherwise); ``UnknownRecord`` for a missing record."""
    with uow:
        complaint = call_records.open_complaint(
            uow.call_records.get(command.record_id),
            uow.ids,
            now=command.now,
            description=command.description,
            category=command.category,
            order_id=command.order_id,
        )
        uow.call_records.add_complaint(complaint)
        return _audited(uow, complaint, command.now, command.by, "create")


def work_on_complaint(command: WorkOnComplaint, uow: UnitOfWork) -> Complaint:
    with uow:
        records, at, by = uow.call_records, command.now, command.by
        if records.get_complaint(command.complaint_id).status == RESOLVED:
            complaint = records.change_complaint(command.complaint_id, lambda c: c.reopen(command.note, at, by))
        else:
            complaint = records.change_complaint(
                command.complaint_id, lambda c: c.assign(command.handler or by, at, by)
            )
        return _audited(uow, complaint, at, by, "in_progress")


def resolve_complaint(command: ResolveComplaint, uow: UnitOfWork) -> Complaint:
    with uow:
        complaint = uow.call_records.change_complaint(
            command.complaint_id, lambda c: c.resolve(command.resolution, command.now, command.by)
        )
        return _audited(uow, complaint, command.now, command.by, "resolved")


def close_complaint(command: CloseComplaint, uow: UnitOfWork) -> Complaint:
    with uow:
        complaint = uow.call_records.change_complaint(
            command.complaint_id, lambda c: c.close(command.now, command.by, command.note)
        )
        return _audited(uow, complaint, command.now, command.by, "closed")
