"""Orders: place (409 when the stock is short, 422 for input the core refuses), read, cancel, and the steps of\nthe back office: sort, pay, dispatch, deliver, return."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request

from adapters.store.orders import SqlOrders
from app.orders import CancelOrder, FulfilOrder, cancel_order, fulfil_order, place_order
from console.deps import AuditDep, Now, SessionDep, SettingsDep, UnitOfWorkDep, Unmasked, require
from console.models import AppUser
from console.on_loop import on_event_loop
from console.permissions import AGENT
from console.routers.auth import approver
from console.schemas import OrderCancel, OrderCreate, OrderPublic, OrderStep, order_out
from core.catalog import UnknownProduct
from core.customers import UnknownCustomer
from core.orders import PlaceOrder

router = APIRouter(prefix="/orders", tags=["orders"])


class InvalidReference(ValueError):
    """The order names a customer or product that does not exist (a bad request body, not a missing page)."""


@router.post("", response_model=OrderPublic, status_code=201)
@on_event_loop
def place(
    body: OrderCreate,
    user: Annotated[AppUser, require("orders.create")],
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    now: Now,
    unmasked: Unmasked,
    request: Request,
) -> OrderPublic:
    """Price the lines, hold the stock and store the order, all or nothing (``app.orders.place_order``). A
    discount over the role's share of the subtotal (``HOTLINE_DISCOUNT_LIMITS``) needs ``approval``: the
    name and password of a supervisor whose own limit covers it (403 otherwise); the audit row names them."""
    limit, approved_by = settings.role_discount_limits.get(user.role, 0.0), ""
    if body.approval is not None:
        supervisor = approver(request, body.approval.username, body.approval.password, now)
        if supervisor is None or supervisor.role == AGENT:
            raise HTTPException(403, "approval: not a supervisor's name and password")
        limit, approved_by = max(limit, settings.role_discount_limits.get(supervisor.role, 0.0)), supervisor.username
    address = body.address.to_core(settings.default_area_code) if body.address is not None else None
    command = PlaceOrder(
        now=now,
        customer_id=body.customer_id,
        lines=[(line.sku, line.quantity) for line in body.lines],
        payment=body.payment,
        address=address,
        survey=body.survey.to_core() if body.survey else None,
        hotline=body.hotline,
        call_id=body.call_id,
        agent_id=user.username,
        discount=body.discount,
        discount_limit=Decimal(str(limit)),
    )
    try:
        order = place_order(command, uow, approved_by)
    except (UnknownCustomer, UnknownProduct) as error:
        raise InvalidReference(str(error)) from None
    return order_out(order, unmasked)


@router.get("/{order_id}", response_model=OrderPublic)
def get(
    order_id: str,
    user: Annotated[AppUser, require("orders.read")],
    session: SessionDep,
    unmasked: Unmasked,
    audit: AuditDep,
) -> OrderPublic:
    order = SqlOrders(session.engine, connection=session.connection()).get(order_id)
    audit("orders.read", "customer", [order.customer_id], f"order {order_id}")
    return order_out(order, unmasked)


@router.post("/{order_id}/cancel", response_model=OrderPublic)
def cancel(
    order_id: str,
    body: OrderCancel,
    user: Annotated[AppUser, require("orders.cancel")],
    uow: UnitOfWorkDep,
    now: Now,
    unmasked: Unmasked,
) -> OrderPublic:
    """Cancel before dispatch; the stock is released. 409 when the order is past that."""
    return order_out(cancel_order(CancelOrder(now, order_id, body.reason, user.username), uow), unmasked)


@router.post("/{order_id}/steps", response_model=OrderPublic)
def step(
    order_id: str,
    body: OrderStep,
    user: Annotated[AppUser, require("orders.fulfil")],
    uow: UnitOfWorkDep,
    now: Now,
    unmasked: Unmasked,
) -> OrderPublic:
    """Sort, record a prepaid order's payment, dispatch, deliver (cash on delivery is paid then) or take back a
    returned order. 409 when the order's status does not allow the step, 422 with the core's reason otherwise."""
    command = FulfilOrder(now, order_id, body.step, user.username, body.reason, body.restock)
    return order_out(fulfil_order(command, uow), unmasked)
