"""Complaints from the call to closure: open from a complaint call, assign, resolve, reopen, close."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from adapters.store.call_records import SqlCallRecords
from app.calls import (
    CloseComplaint,
    OpenComplaint,
    ResolveComplaint,
    WorkOnComplaint,
    close_complaint,
    open_complaint,
    resolve_complaint,
    work_on_complaint,
)
from console.accounts import SqlAccounts
from console.deps import AuditDep, CurrentUser, EngineDep, Now, UnitOfWorkDep, ensure_can, require
from console.models import AppUser
from console.paging import DEFAULT_LIMIT, Limit, Offset
from console.schemas import ComplaintCreate, ComplaintPublic, ComplaintUpdate, complaint_out

router = APIRouter(prefix="/complaints", tags=["complaints"])


class UnknownHandler(ValueError):
    """A complaint assigned to someone who is not an active user (422)."""


@router.post("", response_model=ComplaintPublic, status_code=201)
def create(
    body: ComplaintCreate, user: Annotated[AppUser, require("complaints.create")], uow: UnitOfWorkDep, now: Now
) -> ComplaintPublic:
    command = OpenComplaint(now, user.username, body.record_id, body.description, body.category, body.order_id)
    return complaint_out(open_complaint(command, uow))


@router.get("", response_model=list[ComplaintPublic])
def list_complaints(
    user: Annotated[AppUser, require("complaints.read")],
    engine: EngineDep,
    audit: AuditDep,
    status: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> list[ComplaintPublic]:
    """Complaints oldest first, optionally of one status, a page at a time; audited per customer."""
    found = SqlCallRecords(engine).complaints(status, limit=limit, offset=offset)
    audit(
        "complaints.list",
        "customer",
        sorted({c.customer_id or "-" for c in found}),
        f"complaints {' '.join(c.complaint_id for c in found)}"[:250],
    )
    return [complaint_out(c) for c in found]


@router.get("/{complaint_id}", response_model=ComplaintPublic)
def get(
    complaint_id: str, user: Annotated[AppUser, require("complaints.read")], engine: EngineDep, audit: AuditDep
) -> ComplaintPublic:
    complaint = SqlCallRecords(engine).get_complaint(complaint_id)
    audit("complaints.read", "customer", [complaint.customer_id or "-"], f"complaint {complaint_id}")
    return complaint_out(complaint)


@router.patch("/{complaint_id}", response_model=ComplaintPublic)
def change(
    complaint_id: str, body: ComplaintUpdate, user: CurrentUser, uow: UnitOfWorkDep, engine: EngineDep, now: Now
) -> ComplaintPublic:
    """Move a complaint on: ``in_progress`` (assign to ``handler``, or reopen a resolved one with ``note``),
    ``resolved`` (``resolution``), ``closed`` (needs ``complaints.close``). The core decides what may follow
    what (409/422 with its reason)."""
    ensure_can(user, "complaints.close" if body.status == "closed" else "complaints.work")
    by = user.username
    if body.handler:
        handler = SqlAccounts(engine).by_username(body.handler)
        if handler is None or not handler.active:
            raise UnknownHandler(f"handler: there is no active user {body.handler!r}")
    if body.status == "closed":
        complaint = close_complaint(CloseComplaint(now, by, complaint_id, body.note or "customer confirmed"), uow)
    elif body.status == "resolved":
        complaint = resolve_complaint(ResolveComplaint(now, by, complaint_id, body.resolution), uow)
    else:
        complaint = work_on_complaint(
            WorkOnComplaint(now, by, complaint_id, handler.username if body.handler else "", body.note), uow
        )
    return complaint_out(complaint)
