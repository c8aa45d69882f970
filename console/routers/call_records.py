"""Call records: what each call was and how it went (the agent's call summary)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from adapters.store.call_records import SqlCallRecords
from app.calls import RecordCall, record_call
from console.deps import AuditDep, EngineDep, Now, SettingsDep, UnitOfWorkDep, Unmasked, require
from console.models import AppUser
from console.paging import DEFAULT_LIMIT, Limit, Offset, page
from console.schemas import CallRecordCreate, CallRecordPublic, call_record_out

router = APIRouter(prefix="/call-records", tags=["call records"])


@router.post("", response_model=CallRecordPublic, status_code=201)
def create(
    body: CallRecordCreate,
    user: Annotated[AppUser, require("calls.write")],
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    now: Now,
    unmasked: Unmasked,
) -> CallRecordPublic:
    command = RecordCall(
        now=now, agent_id=user.username, default_area_code=settings.default_area_code, **body.model_dump()
    )
    return call_record_out(record_call(command, uow), unmasked)


@router.get("", response_model=list[CallRecordPublic])
def list_records(
    customer_id: Annotated[str, Query(description="the customer's records, newest first")],
    user: Annotated[AppUser, require("calls.read")],
    engine: EngineDep,
    unmasked: Unmasked,
    audit: AuditDep,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> list[CallRecordPublic]:
    records = page(SqlCallRecords(engine).for_customer(customer_id), limit, offset)
    audit("calls.list", "customer", [customer_id], f"from {offset}, {len(records)} records")
    return [call_record_out(r, unmasked) for r in records]


@router.get("/{record_id}", response_model=CallRecordPublic)
def get(
    record_id: str,
    user: Annotated[AppUser, require("calls.read")],
    engine: EngineDep,
    unmasked: Unmasked,
    audit: AuditDep,
) -> CallRecordPublic:
    record = SqlCallRecords(engine).get(record_id)
    audit("calls.read", "customer", [record.customer_id or "-"], f"call record {record_id}")
    return call_record_out(record, unmasked)
