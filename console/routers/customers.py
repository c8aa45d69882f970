"""Customers: lookup by any spelling of a phone number (every match), create, update, history. Every read
and change is audited, one row per customer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from adapters.store.customers import SqlCustomers
from adapters.store.ids import SqlIds
from console.deps import AuditDep, EngineDep, Now, SettingsDep, Unmasked, require
from console.models import AppUser
from console.schemas import (
    CustomerCreate,
    CustomerPublic,
    CustomerUpdate,
    HistoryEntryOut,
    call_record_out,
    customer_out,
    order_out,
)
from core.customers import CustomerError, find_customers, register_customer
from core.phones import parse_phone

router = APIRouter(prefix="/customers", tags=["customers"])
Reader = Annotated[AppUser, require("customers.read")]
Writer = Annotated[AppUser, require("customers.write")]


@router.get("", response_model=list[CustomerPublic])
def lookup(phone: Annotated[str, Query(description="any spelling: 138-0013-8000, +86 138 0013 8000, 010 6234 5678")],
           user: Reader, engine: EngineDep, settings: SettingsDep, unmasked: Unmasked,
           audit: AuditDep) -> list[CustomerPublic]:
    """Screen pop: every customer with this number, oldest first; the agent picks."""
    found = find_customers(SqlCustomers(engine), phone, default_area_code=settings.default_area_code)
    audit("customers.lookup", "customer", [c.customer_id for c in found])
    return [customer_out(c, unmasked) for c in found]


@router.post("", response_model=CustomerPublic, status_code=201)
def create(body: CustomerCreate, user: Writer, engine: EngineDep, settings: SettingsDep, now: Now,
           unmasked: Unmasked, audit: AuditDep) -> CustomerPublic:
    area = settings.default_area_code
    customer = register_customer(SqlCustomers(engine), SqlIds(engine), name=body.name, phones=body.phones, now=now,
                                 default_area_code=area, address=body.address.to_core(area) if body.address else None)
    audit("customers.create", "customer", [customer.customer_id])
    return customer_out(customer, unmasked)


@router.get("/{customer_id}", response_model=CustomerPublic)
def get(customer_id: str, user: Reader, engine: EngineDep, unmasked: Unmasked, audit: AuditDep) -> CustomerPublic:
    customer = SqlCustomers(engine).get(customer_id)
    audit("customers.read", "customer", [customer_id])
    return customer_out(customer, unmasked)


@router.patch("/{customer_id}", response_model=CustomerPublic)
def update(customer_id: str, body: CustomerUpdate, user: Writer, engine: EngineDep, settings: SettingsDep,
           unmasked: Unmasked, audit: AuditDep) -> CustomerPublic:
    """Change the name or notes, add or remove numbers (a customer keeps at least one), add an address."""
    customers = SqlCustomers(engine)
    customer = customers.get(customer_id)
    area = settings.default_area_code
    if body.name is not None:
        if not body.name.strip():
            raise CustomerError("a customer needs a name")
        customer.name = body.name.strip()
    if body.notes is not None:
        customer.notes = body.notes
    for phone in body.add_phones:
        customer.add_phone(parse_phone(phone, default_area_code=area))
    for phone in body.remove_phones:
        customer.remove_phone(parse_phone(phone, default_area_code=area))
    if body.add_address is not None:
        customer.add_address(body.add_address.to_core(area))
    customers.update(customer)
    changed = [name for name, value in body.model_dump().items() if value not in (None, [])]
    audit("customers.update", "customer", [customer_id], ", ".join(changed))
    return customer_out(customer, unmasked)


@router.get("/{customer_id}/history", response_model=list[HistoryEntryOut])
def history(customer_id: str, user: Reader, engine: EngineDep, unmasked: Unmasked, audit: AuditDep,
            limit: Annotated[int | None, Query(ge=1, le=1000)] = None) -> list[HistoryEntryOut]:
    """Orders and call records of the customer, newest first."""
    customers = SqlCustomers(engine)
    customers.get(customer_id)  # 404 for an unknown customer
    entries = customers.history(customer_id, limit)
    audit("customers.history", "customer", [customer_id])
    return [HistoryEntryOut(at=e.at, kind=e.kind, order=order_out(e.item, unmasked) if e.kind == "order" else None,
                            call=call_record_out(e.item, unmasked) if e.kind == "call" else None) for e in entries]
