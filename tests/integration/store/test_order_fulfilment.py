"""An order's life after it is taken, through the application layer on SQLite and PostgreSQL: each step with
its audit row in the same transaction; a delivered order earns its customer points (the first purchase makes
them a member), a returned one gives them back; a refused step changes nothing."""

from __future__ import annotations

import pytest

from adapters.store.audit import SqlAudit
from adapters.store.membership import SqlMemberships
from adapters.store.orders import SqlOrders
from adapters.store.uow import SqlUnitOfWork
from app.orders import FulfilOrder, fulfil_order, place_order
from core.membership import PointsRule
from core.orders import InvalidTransition, OrderError
from tests.integration.store.business_fixtures import T0, order_command, stocked_store


def step(engine, order_id: str, name: str, at: float, **extra):
    return fulfil_order(FulfilOrder(at, order_id, name, "sup", **extra), SqlUnitOfWork(engine))


def test_a_delivered_order_earns_points_and_its_return_takes_them_back(engine):
    _, customer = stocked_store(engine)
    order = place_order(order_command(customer.customer_id, [("PAN-1", 2)]), SqlUnitOfWork(engine))
    assert order.total == 398  # 2 x 199.00
    for n, name in enumerate(("sort", "dispatch")):
        step(engine, order.order_id, name, T0 + 100 + n)
    delivered = step(engine, order.order_id, "deliver", T0 + 200, points=PointsRule(first_purchase_bonus=50))
    assert delivered.status == "delivered" and delivered.is_paid
    memberships = SqlMemberships(engine)
    assert memberships.balance(customer.customer_id) == 398 + 50
    step(engine, order.order_id, "return", T0 + 300, reason="broken on arrival", restock=False)
    assert memberships.balance(customer.customer_id) == 0
    kinds = [e.kind for e in memberships.get(customer.customer_id).entries]
    assert kinds == ["earned", "bonus", "reversed"]
    actions = [e.action for e in SqlAudit(engine).entries(user="sup")]
    assert actions == ["orders.return", "orders.deliver", "orders.dispatch", "orders.sort"]


def test_a_refused_step_changes_nothing(engine):
    _, customer = stocked_store(engine)
    order = place_order(order_command(customer.customer_id, [("PAN-1", 1)]), SqlUnitOfWork(engine))
    with pytest.raises(InvalidTransition):
        step(engine, order.order_id, "deliver", T0 + 100)
    with pytest.raises(OrderError, match="not a step"):
        step(engine, order.order_id, "teleport", T0 + 100)
    assert SqlOrders(engine).get(order.order_id).status == "placed"
    assert SqlMemberships(engine).get(customer.customer_id) is None
    assert SqlAudit(engine).entries(user="sup") == []
