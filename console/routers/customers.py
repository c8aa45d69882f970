"""Customers: lookup by any spelling of a phone number (every match), create, update, history. Every read
and change is audited, one row per customer.

Masked numbers stay masked (issue 14): every lookup, hit, miss or refused, is audited with the number
searched (entity ``phone``); a user may look up ``HOTLINE_LOOKUP_LIMIT`` numbers a minute, past that 429 and
one ``security.alert`` for supervisors (``GET /api/audit/alerts``); without ``phones.unmasked`` a number to
remove is named as shown (masked), so no answer depends on a number the caller cannot see; a refused change
is audited too (``customers.update_refused``)."""

from __future__ import annotations

import math
from functools import partial
from typing import Annotated, Callable

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import Field

from adapters.store.audit import SqlAudit
from adapters.store.customers import SqlCustomers
from adapters.store.uow import StoreSession
from app.customers import RegisterCustomer, UpdateCustomer, register_customer, update_customer
from console.deps import Audit, AuditDep, Now, SessionDep, SettingsDep, UnitOfWorkDep, Unmasked, require
from console.models import AppUser
from console.on_loop import on_event_loop
from console.paging import DEFAULT_LIMIT, Limit, Offset, page
from console.permissions import mask_phone
from console.routers.audit import ALERT
from console.schemas import (
    Body,
    CustomerCreate,
    CustomerPublic,
    CustomerUpdate,
    HistoryEntryOut,
    Line,
    call_record_out,
    customer_out,
    order_out,
)
from console.settings import ConsoleSettings
from core.customers import Customer, CustomerError, find_customers
from core.phones import InvalidPhoneNumber, PhoneNumber, parse_phone

router = APIRouter(prefix="/customers", tags=["customers"])
Reader = Annotated[AppUser, require("customers.read")]
Writer = Annotated[AppUser, require("customers.write")]
LOOKUP_WINDOW = 60.0
LOOKUP_HELP = "any spelling: 138-0013-8000, +86 138 0013 8000, 010 6234 5678"


class LookupBody(Body):
    phone: Line = Field(description=LOOKUP_HELP)


def _lookup(
    phone: str,
    user: AppUser,
    session: StoreSession,
    settings: ConsoleSettings,
    now: float,
    unmasked: bool,
    audit: Audit,
) -> list[CustomerPublic]:
    try:
        searched = parse_phone(phone, default_area_code=settings.default_area_code).key
    except InvalidPhoneNumber:
        searched = None
    shown = (searched or phone.strip())[:128] or "-"
    connection = session.connection()
    log = SqlAudit(session.engine, connection=connection)
    recent, oldest = log.count("customers.lookup", now - LOOKUP_WINDOW, entity="phone", user=user.username)
    if recent >= settings.lookups_per_minute:
        if not log.count(ALERT, now - LOOKUP_WINDOW, entity="user", entity_id=user.username)[0]:
            audit(ALERT, "user", [user.username], f"{recent} phone lookups within {LOOKUP_WINDOW:.0f} s")
        audit("customers.lookup_refused", "phone", [shown], "over the lookup limit")
        wait = math.ceil((oldest or now) + LOOKUP_WINDOW - now) or 1
        raise HTTPException(
            429,
            f"more than {settings.lookups_per_minute} lookups a minute: wait {wait} s (supervisors have been told)",
            headers={"Retry-After": str(wait)},
        )
    customers = SqlCustomers(session.engine, connection=connection)
    if searched is None:
        audit("customers.lookup", "phone", [shown], "not a phone number")
        find_customers(customers, phone, default_area_code=settings.default_area_code)  # its 422
    found = find_customers(customers, phone, default_area_code=settings.default_area_code)
    ids = [c.customer_id for c in found]
    audit.rows(
        [
            ("customers.lookup", "phone", [shown], f"found {len(ids)}: {' '.join(ids)}"[:250]),
            ("customers.lookup", "customer", ids, f"searched {shown}"),
        ]
    )
    return [customer_out(c, unmasked) for c in found]


async def phone_lookup(
    user: Reader, session: SessionDep, settings: SettingsDep, now: Now, unmasked: Unmasked, audit: AuditDep
) -> Callable[[str], list[CustomerPublic]]:
    """The lookup by a phone number as this request's user may make it (both screen-pop routes use it). Async:
    it only binds arguments, and a sync dependency would cost the request a thread hop."""
    return partial(_lookup, user=user, session=session, settings=settings, now=now, unmasked=unmasked, audit=audit)


LookUp = Annotated[Callable[[str], list[CustomerPublic]], Depends(phone_lookup)]


@router.get("", response_model=list[CustomerPublic], deprecated=True)
@on_event_loop
def lookup(
    phone: Annotated[str, Query(max_length=64, description=LOOKUP_HELP)], look_up: LookUp
) -> list[CustomerPublic]:
    """Screen pop by a URL (the number ends up in access logs, masked there): prefer POST /lookup."""
    return look_up(phone)


@router.post("/lookup", response_model=list[CustomerPublic])
@on_event_loop
def lookup_by_body(body: LookupBody, look_up: LookUp) -> list[CustomerPublic]:
    """Screen pop: every customer with this number, oldest first; the agent picks."""
    return look_up(body.phone)


@router.post("", response_model=CustomerPublic, status_code=201)
def create(
    body: CustomerCreate, user: Writer, uow: UnitOfWorkDep, settings: SettingsDep, now: Now, unmasked: Unmasked
) -> CustomerPublic:
    area = settings.default_area_code
    command = RegisterCustomer(
        now, user.username, body.name, body.phones, body.address.to_core(area) if body.address else None, area
    )
    return customer_out(register_customer(command, uow), unmasked)


@router.get("/{customer_id}", response_model=CustomerPublic)
def get(customer_id: str, user: Reader, session: SessionDep, unmasked: Unmasked, audit: AuditDep) -> CustomerPublic:
    customer = SqlCustomers(session.engine, connection=session.connection()).get(customer_id)
    audit("customers.read", "customer", [customer_id])
    return customer_out(customer, unmasked)


def numbers_as_shown(customer: Customer, texts: list[str]) -> list[PhoneNumber]:
    """The customer's numbers named by their masked form (``138****8000``), each exactly one of them."""
    shown: dict[str, list[PhoneNumber]] = {}
    for phone in customer.phones:
        shown.setdefault(mask_phone(phone.domestic) or "", []).append(phone)
    numbers = []
    for text in texts:
        matches = shown.get(text.strip(), [])
        if len(matches) != 1:
            raise CustomerError(
                f"remove_phones: name a number as it is shown ({', '.join(shown)}); {text!r} "
                f"is {'more than one' if matches else 'none'} of them"
            )
        numbers.append(matches[0])
    return numbers


@router.patch("/{customer_id}", response_model=CustomerPublic)
def update(
    customer_id: str,
    body: CustomerUpdate,
    user: Writer,
    uow: UnitOfWorkDep,
    session: SessionDep,
    settings: SettingsDep,
    now: Now,
    unmasked: Unmasked,
    audit: AuditDep,
) -> CustomerPublic:
    """Change the name or notes, add or remove numbers (a customer keeps at least one), add an address.
    Without ``phones.unmasked`` name a number to remove as the response shows it (``138****8000``)."""
    area = settings.default_area_code
    command = UpdateCustomer(
        now,
        user.username,
        customer_id,
        body.name,
        body.notes,
        body.add_phones,
        list(body.remove_phones),
        body.add_address.to_core(area) if body.add_address else None,
        area,
    )
    try:
        if body.remove_phones and not unmasked:
            shown = SqlCustomers(session.engine, connection=session.connection()).get(customer_id)
            command.remove_phones = list(numbers_as_shown(shown, body.remove_phones))
        return customer_out(update_customer(command, uow), unmasked)
    except ValueError as error:
        audit("customers.update_refused", "customer", [customer_id], f"{', '.join(command.changed())}: {error}"[:250])
        raise


@router.get("/{customer_id}/history", response_model=list[HistoryEntryOut])
def history(
    customer_id: str,
    user: Reader,
    session: SessionDep,
    unmasked: Unmasked,
    audit: AuditDep,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> list[HistoryEntryOut]:
    """Orders and call records of the customer, newest first, a page at a time."""
    customers = SqlCustomers(session.engine, connection=session.connection())
    customers.get(customer_id)  # 404 for an unknown customer
    entries = page(customers.history(customer_id, offset + limit), limit, offset)
    audit("customers.history", "customer", [customer_id], f"from {offset}, {len(entries)} entries")
    return [
        HistoryEntryOut(
            at=e.at,
            kind=e.kind,
            order=order_out(e.item, unmasked) if e.kind == "order" else None,
            call=call_record_out(e.item, unmasked) if e.kind == "call" else None,
        )
        for e in entries
    ]
