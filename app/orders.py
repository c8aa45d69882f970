"""Orders taken by agents: place (the stock is held, all or nothing) and cancel, each with its audit row."""

from __future__ import annotations

from dataclasses import dataclass

from app.ports import AuditEntry, UnitOfWork
from core.membership import PointsRule, record_purchase, reverse_purchase
from core.orders import AlreadyPlaced, Order, OrderError, PlaceOrder


@dataclass(slots=True)
class CancelOrder:
    now: float
    order_id: str
    reason: str
    by: str  # who cancels


def place_order(command: PlaceOrder, uow: UnitOfWork, approved_by: str = "") -> Order:
    """Price the lines, hold the stock and store the order with its ORDER_PLACED record. Without an address
    the order goes to the customer's first address on file. Raises ``UnknownCustomer``, ``UnknownProduct``,
    ``OutOfStock`` or ``OrderError`` (``DiscountNeedsApproval`` over ``command.discount_limit``); nothing is
    stored then. ``approved_by`` (a supervisor who approved the discount) goes into the audit row. The same
    order sent again for the same call (``AlreadyPlaced``) is answered with the stored one, and nothing is
    stored a second time."""
    with uow:
        if command.address is None:
            command.address = uow.customers.first_address(command.customer_id)
            if command.address is None:
                raise OrderError(f"customer {command.customer_id} has no address on file: send one with the order")
        try:
            order = uow.orders.place(command)
            approval = f", discount {order.discount} approved by {approved_by}" if approved_by else ""
            uow.audit.add(
                AuditEntry(
                    command.now,
                    command.agent_id,
                    "orders.create",
                    "customer",
                    (order.customer_id,),
                    f"order {order.order_id} total {order.total}{approval}",
                )
            )
            uow.commit()  # the store may check the stock again here, under its locks (OutOfStock, AlreadyPlaced)
        except AlreadyPlaced as resent:
            return resent.order
    return order


def cancel_order(command: CancelOrder, uow: UnitOfWork) -> Order:
    """Cancel before dispatch; the stock is released. Raises ``InvalidTransition`` past that."""
    with uow:
        order = uow.orders.cancel(command.order_id, command.now, command.reason)
        uow.audit.add(
            AuditEntry(
                command.now,
                command.by,
                "orders.cancel",
                "customer",
                (order.customer_id,),
                f"order {command.order_id}: {command.reason}",
            )
        )
        uow.commit()
    return order


FULFILMENT_STEPS = ("sort", "pay", "dispatch", "deliver", "return")


@dataclass(slots=True)
class FulfilOrder:
    """One step of an order's life after it is taken: sort (warehouse and courier chosen, stock allocated),
    pay (a prepaid order's money arrived), dispatch (handed to the courier), deliver (cash on delivery is paid
    now), return (refused at the door or sent back; ``restock`` puts the goods back on the shelf)."""

    now: float
    order_id: str
    step: str
    by: str  # who did it
    reason: str = ""  # why it came back (return)
    restock: bool = True
    points: PointsRule = PointsRule()  # what a delivered order earns the customer


def fulfil_order(command: FulfilOrder, uow: UnitOfWork) -> Order:
    """Carry out the step with its audit row. Raises ``InvalidTransition`` or ``OrderError`` with the core's
    reason (a prepaid order not paid yet cannot be dispatched, a return needs its reason); nothing changes then.
    A delivered order earns its customer points (the first one makes them a member); a returned one gives
    back what it earned, as far as the balance allows."""
    if command.step not in FULFILMENT_STEPS:
        raise OrderError(f"{command.step!r} is not a step of an order ({', '.join(FULFILMENT_STEPS)})")
    with uow:
        orders, order_id, now = uow.orders, command.order_id, command.now
        if command.step == "sort":
            order = orders.sort(order_id, now)
        elif command.step == "pay":
            order = orders.record_payment(order_id, now)
        elif command.step == "dispatch":
            order = orders.dispatch(order_id, now)
        elif command.step == "deliver":
            order = orders.deliver(order_id, now)
            record_purchase(uow.memberships, command.points, order.customer_id, order_id, order.total, now)
        else:
            order = orders.return_order(order_id, now, command.reason, restock=command.restock)
            if uow.memberships.get(order.customer_id) is not None:
                reverse_purchase(uow.memberships, order.customer_id, order_id, now)
        detail = f"order {order_id} {order.status}" + (f": {command.reason}" if command.reason else "")
        uow.audit.add(AuditEntry(now, command.by, f"orders.{command.step}", "customer", (order.customer_id,), detail))
        uow.commit()
    return order
