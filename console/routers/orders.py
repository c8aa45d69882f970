"""Orders: place (409 when the stock is short, 422 for input the core refuses), read, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from adapters.store.customers import SqlCustomers
from adapters.store.orders import SqlOrders
from console.deps import AuditDep, EngineDep, Now, SettingsDep, Unmasked, require
from console.models import AppUser
from console.schemas import OrderCancel, OrderCreate, OrderPublic, order_out
from core.catalog import UnknownProduct
from core.customers import UnknownCustomer
from core.orders import OrderError, PlaceOrder

router = APIRouter(prefix="/orders", tags=["orders"])


class InvalidReference(ValueError):
    """The order names a customer or product that does not exist (a bad request body, not a missing page)."""


@router.post("", response_model=OrderPublic, status_code=201)
def place(body: OrderCreate, user: Annotated[AppUser, require("orders.create")], engine: EngineDep,
          settings: SettingsDep, now: Now, unmasked: Unmasked, audit: AuditDep) -> OrderPublic:
    """Price the lines, hold the stock and store the order, all or nothing (``SqlOrders.place``)."""
    try:
        if body.address is not None:
            address = body.address.to_core(settings.default_area_code)
        else:
            addresses = SqlCustomers(engine).get(body.customer_id).addresses
            if not addresses:
                raise OrderError(f"customer {body.customer_id} has no address on file: send one with the order")
            address = addresses[0]
        command = PlaceOrder(now=now, customer_id=body.customer_id, lines=[(line.sku, line.quantity) for line in body.lines],
                             payment=body.payment, address=address,
                             survey=body.survey.to_core() if body.survey else None, hotline=body.hotline,
                             call_id=body.call_id, agent_id=user.username, discount=body.discount)
        order = SqlOrders(engine).place(command)
    except (UnknownCustomer, UnknownProduct) as error:
        raise InvalidReference(str(error)) from None
    audit("orders.create", "customer", [order.customer_id], f"order {order.order_id} total {order.total}")
    return order_out(order, unmasked)


@router.get("/{order_id}", response_model=OrderPublic)
def get(order_id: str, user: Annotated[AppUser, require("orders.read")], engine: EngineDep, unmasked: Unmasked,
        audit: AuditDep) -> OrderPublic:
    order = SqlOrders(engine).get(order_id)
    audit("orders.read", "customer", [order.customer_id], f"order {order_id}")
    return order_out(order, unmasked)


@router.post("/{order_id}/cancel", response_model=OrderPublic)
def cancel(order_id: str, body: OrderCancel, user: Annotated[AppUser, require("orders.cancel")],
           engine: EngineDep, now: Now, unmasked: Unmasked, audit: AuditDep) -> OrderPublic:
    """Cancel before dispatch; the stock is released. 409 when the order is past that."""
    order = SqlOrders(engine).cancel(order_id, now, body.reason)
    audit("orders.cancel", "customer", [order.customer_id], f"order {order_id}: {body.reason}")
    return order_out(order, unmasked)
