"""Orders taken by agents: place (the stock is held, all or nothing) and cancel, each with its audit row."""

from __future__ import annotations

from dataclasses import dataclass

from app.ports import AuditEntry, UnitOfWork
from core.orders import AlreadyPlaced, Order, OrderError, PlaceOrder


@dataclass(slots=True)
class CancelOrder:
    now: float
    order_id: str
    reason: str
    by: str  # who cancels


def place_order(command: PlaceOrder, uow: UnitOfWork) -> Order:
    """Price the lines, hold the stock and store the order with its ORDER_PLACED record. Without an address
    the order goes to the customer's first address on file. Raises ``UnknownCustomer``, ``UnknownProduct``,
    ``OutOfStock`` or ``OrderError``; nothing is stored then. The same order sent again for the same call
    (``AlreadyPlaced``) is answered with the stored one, and nothing is stored a second time."""
    with uow:
        if command.address is None:
            addresses = uow.customers.get(command.customer_id).addresses
            if not addresses:
                raise OrderError(f"customer {command.customer_id} has no address on file: send one with the order")
            command.address = addresses[0]
        try:
            order = uow.orders.place(command)
        except AlreadyPlaced as resent:
            return resent.order
        uow.audit.add(AuditEntry(command.now, command.agent_id, "orders.create", "customer", (order.customer_id,),
                                 f"order {order.order_id} total {order.total}"))
        uow.commit()
    return order


def cancel_order(command: CancelOrder, uow: UnitOfWork) -> Order:
    """Cancel before dispatch; the stock is released. Raises ``InvalidTransition`` past that."""
    with uow:
        order = uow.orders.cancel(command.order_id, command.now, command.reason)
        uow.audit.add(AuditEntry(command.now, command.by, "orders.cancel", "customer", (order.customer_id,),
                                 f"order {command.order_id}: {command.reason}"))
        uow.commit()
    return order
