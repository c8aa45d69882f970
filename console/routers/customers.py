"""Customers: lookup by any spelling of a phone number (every match), create, update, history. Every read
and change is audited, one row per customer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from adapters.store.customers import SqlCustomers
from app.customers import RegisterCustomer, UpdateCustomer, register_customer, update_customer
from console.deps import AuditDep, EngineDep, Now, SettingsDep, UnitOfWorkDep, Unmasked, require
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
from core.customers import find_customers

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
def create(body: CustomerCreate, user: Writer, uow: UnitOfWorkDep, settings: SettingsDep, now: Now,
           unmasked: Unmasked) -> CustomerPublic:
    area = settings.default_area_code
    command = RegisterCustomer(now, user.username, body.name, body.phones,
                               body.address.to_core(area) if body.address else None, area)
    return customer_out(register_customer(command, uow), unmasked)


@router.get("/{customer_id}", response_model=CustomerPublic)
def get(customer_id: str, user: Reader, engine: EngineDep, unmasked: Unmasked, audit: AuditDep) -> CustomerPublic:
    customer = SqlCustomers(engine).get(customer_id)
    audit("customers.read", "customer", [customer_id])
    return customer_out(customer, unmasked)


@router.patch("/{customer_id}", response_model=CustomerPublic)
def update(customer_id: str, body: CustomerUpdate, user: Writer, uow: UnitOfWorkDep, settings: SettingsDep,
           now: Now, unmasked: Unmasked) -> CustomerPublic:
    """Change the name or notes, add or remove numbers (a customer keeps at least one), add an address."""
    area = settings.default_area_code
    command = UpdateCustomer(now, user.username, customer_id, body.name, body.notes, body.add_phones,
                             body.remove_phones, body.add_address.to_core(area) if body.add_address else None, area)
    return customer_out(update_customer(command, uow), unmasked)


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
