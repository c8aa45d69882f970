"""Complaints from the call to closure: open from a complaint call, assign, resolve, reopen, close."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from adapters.store.call_records import SqlCallRecords
from adapters.store.ids import SqlIds
from console.deps import AuditDep, CurrentUser, EngineDep, Now, ensure_can, require
from console.models import AppUser
from console.schemas import ComplaintCreate, ComplaintPublic, ComplaintUpdate, complaint_out
from core.call_records import RESOLVED, open_complaint

router = APIRouter(prefix="/complaints", tags=["complaints"])


@router.post("", response_model=ComplaintPublic, status_code=201)
def create(body: ComplaintCreate, user: Annotated[AppUser, require("complaints.create")], engine: EngineDep,
           now: Now, audit: AuditDep) -> ComplaintPublic:
    records = SqlCallRecords(engine)
    complaint = open_complaint(records.get(body.record_id), SqlIds(engine), now=now, description=body.description,
                               category=body.category, order_id=body.order_id)
    records.add_complaint(complaint)
    audit("complaints.create", "customer", [complaint.customer_id or "-"], f"complaint {complaint.complaint_id}")
    return complaint_out(complaint)


@router.get("", response_model=list[ComplaintPublic])
def list_complaints(user: Annotated[AppUser, require("complaints.read")], engine: EngineDep,
                    status: str | None = None) -> list[ComplaintPublic]:
    """Complaints oldest first, optionally of one status."""
    return [complaint_out(c) for c in SqlCallRecords(engine).complaints(status)]


@router.get("/{complaint_id}", response_model=ComplaintPublic)
def get(complaint_id: str, user: Annotated[AppUser, require("complaints.read")],
        engine: EngineDep) -> ComplaintPublic:
    return complaint_out(SqlCallRecords(engine).get_complaint(complaint_id))


@router.patch("/{complaint_id}", response_model=ComplaintPublic)
def change(complaint_id: str, body: ComplaintUpdate, user: CurrentUser, engine: EngineDep, now: Now,
           audit: AuditDep) -> ComplaintPublic:
    """Move a complaint on: ``in_progress`` (assign to ``handler``, or reopen a resolved one with ``note``),
    ``resolved`` (``resolution``), ``closed`` (needs ``complaints.close``). The core decides what may follow
    what (409/422 with its reason)."""
    ensure_can(user, "complaints.close" if body.status == "closed" else "complaints.work")
    records = SqlCallRecords(engine)
    by = user.username
    if body.status == "closed":
        complaint = records.close(complaint_id, now, by, body.note or "customer confirmed")
    elif body.status == "resolved":
        complaint = records.resolve(complaint_id, body.resolution, now, by)
    elif records.get_complaint(complaint_id).status == RESOLVED:
        complaint = records.reopen(complaint_id, body.note, now, by)
    else:
        complaint = records.assign(complaint_id, body.handler or by, now, by)
    audit(f"complaints.{body.status}", "customer", [complaint.customer_id or "-"], f"complaint {complaint_id}")
    return complaint_out(complaint)
