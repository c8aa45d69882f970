"""Call records: what each call was and how it went (the agent's call summary)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from adapters.store.call_records import SqlCallRecords
from adapters.store.ids import SqlIds
from console.deps import AuditDep, EngineDep, SettingsDep, Unmasked, require
from console.models import AppUser
from console.schemas import CallRecordCreate, CallRecordPublic, call_record_out
from core.call_records import record_call
from core.phones import parse_phone

router = APIRouter(prefix="/call-records", tags=["call records"])


@router.post("", response_model=CallRecordPublic, status_code=201)
def create(body: CallRecordCreate, user: Annotated[AppUser, require("calls.write")], engine: EngineDep,
           settings: SettingsDep, unmasked: Unmasked, audit: AuditDep) -> CallRecordPublic:
    fields = body.model_dump()
    if body.caller:
        fields["caller"] = parse_phone(body.caller, default_area_code=settings.default_area_code).key
    record = record_call(SqlIds(engine), agent_id=user.username, **fields)
    SqlCallRecords(engine).add(record)
    audit("calls.create", "customer", [record.customer_id or "-"], f"call record {record.record_id}")
    return call_record_out(record, unmasked)


@router.get("", response_model=list[CallRecordPublic])
def list_records(customer_id: Annotated[str, Query(description="the customer's records, newest first")],
                 user: Annotated[AppUser, require("calls.read")], engine: EngineDep, unmasked: Unmasked,
                 audit: AuditDep) -> list[CallRecordPublic]:
    records = SqlCallRecords(engine).for_customer(customer_id)
    audit("calls.list", "customer", [customer_id])
    return [call_record_out(r, unmasked) for r in records]


@router.get("/{record_id}", response_model=CallRecordPublic)
def get(record_id: str, user: Annotated[AppUser, require("calls.read")], engine: EngineDep, unmasked: Unmasked,
        audit: AuditDep) -> CallRecordPublic:
    record = SqlCallRecords(engine).get(record_id)
    audit("calls.read", "customer", [record.customer_id or "-"], f"call record {record_id}")
    return call_record_out(record, unmasked)
