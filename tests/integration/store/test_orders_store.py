"""SqlCatalog and SqlOrders on SQLite and PostgreSQL: products and stock, placing (stock held, nothing stored
when short), the order's life through the core's transitions, and the ORDER_PLACED record."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from adapters.store.catalog import SqlCatalog, StockLevel
from adapters.store.eventlog import SqlEventLog
from adapters.store.models import OrderLineRow, OrderRow, StockHoldRow
from adapters.store.orders import SqlOrders, UnknownOrder
from core.catalog import CatalogError, OutOfStock, Product, UnknownProduct
from core.customers import UnknownCustomer
from core.log import Verb
from core.orders import (
    CANCELLED,
    DELIVERED,
    DISPATCHED,
    PLACED,
    PREPAID,
    RETURNED,
    SORTED,
    InvalidTransition,
    OrderError,
)
from tests.integration.store.business_fixtures import HOME, T0, order_command, stocked_store


def _count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table.__table__)).scalar_one()


def test_products_round_trip_and_are_offered_for_their_airings(engine):
    catalog = SqlCatalog(engine)
    catalog.add_product(Product("PAN-1", "不粘锅", Decimal("199.00"), frozenset({"A1", "A2"})))
    catalog.add_product(Product("KNIFE", "刀具", Decimal("89.90"), frozenset({"A2"}), active=False))
    assert catalog.get_product("PAN-1") == Product("PAN-1", "不粘锅", Decimal("199.00"), frozenset({"A1", "A2"}))
    assert isinstance(catalog.get_product("KNIFE").price, Decimal) and catalog.get_product("KNIFE").price == Decimal(
        "89.90"
    )
    assert [p.sku for p in catalog.for_airing("A2")] == ["PAN-1"]  # the inactive knife is not offered
    catalog.replace_product(Product("PAN-1", "不粘锅 (大)", Decimal("219.00"), frozenset({"A3"})))
    assert catalog.get_product("PAN-1").airings == frozenset({"A3"}) and catalog.for_airing("A1") == []
    assert [p.sku for p in catalog.products(active_only=True)] == ["PAN-1"]
    with pytest.raises(CatalogError):
        catalog.add_product(Product("PAN-1", "again", Decimal("1")))
    with pytest.raises(UnknownProduct):
        catalog.get_product("NOPE")
    with pytest.raises(UnknownProduct):
        catalog.replace_product(Product("NOPE", "x", Decimal("1")))


def test_stock_is_received_and_written_off_but_promised_units_stay(engine):
    catalog, customer = stocked_store(engine, units=5)
    catalog.receive("W-BJ", "PAN-1", 3)
    assert catalog.levels("PAN-1") == [StockLevel("W-BJ", "PAN-1", 8, 0)]
    SqlOrders(engine).place(order_command(customer.customer_id, {"PAN-1": 6}))
    assert (catalog.held("PAN-1"), catalog.available("PAN-1")) == (6, 2)
    with pytest.raises(OutOfStock):
        catalog.write_off("W-BJ", "PAN-1", 3)
    catalog.write_off("W-BJ", "PAN-1", 2)
    assert catalog.levels() == [StockLevel("W-BJ", "PAN-1", 6, 0)] and catalog.available("PAN-1") == 0
    with pytest.raises(CatalogError):
        catalog.receive("W-BJ", "PAN-1", 0)
    with pytest.raises(UnknownProduct):
        catalog.receive("W-BJ", "NOPE", 1)


def test_warehouses_and_couriers_round_trip(engine):
    catalog, _ = stocked_store(engine)
    assert [(w.warehouse_id, w.serves) for w in catalog.warehouses()] == [("W-BJ", ("11",))]
    assert [(c.courier_id, c.serves, c.cash_on_delivery) for c in catalog.couriers()] == [("SF", ("",), True)]


def test_placing_an_order_stores_it_holds_stock_and_logs_order_placed(engine):
    catalog, customer = stocked_store(engine, units=10)
    orders = SqlOrders(engine, log_source="live")
    placed = orders.place(order_command(customer.customer_id, [("PAN-1", 2), ("PAN-1", 1)], discount="7.00"))
    assert placed.order_id.startswith("O") and placed.total == Decimal("590.00")
    loaded = orders.get(placed.order_id)
    assert loaded.lines == placed.lines and loaded.lines[0].quantity == 3  # repeated SKUs merged by the core
    assert (loaded.status, loaded.total, loaded.discount, loaded.address) == (
        PLACED,
        Decimal("590.00"),
        Decimal("7.00"),
        HOME,
    )
    assert loaded.survey == placed.survey and loaded.history == [(T0 + 60, PLACED, "")]
    assert (catalog.held("PAN-1"), catalog.available("PAN-1")) == (3, 7)
    [record] = SqlEventLog(engine).records("live")
    assert (
        record.verb,
        record.field("order"),
        record.field("hotline"),
        record.field("airing"),
        record.field("customer"),
    ) == (
        Verb.ORDER_PLACED,
        placed.order_id,
        "4008001234",
        "A1",
        customer.customer_id,
    )
    assert float(record.field("total")) == 590.0
    assert [o.order_id for o in orders.for_customer(customer.customer_id)] == [placed.order_id]


def test_an_order_that_cannot_be_filled_stores_nothing(engine):
    catalog, customer = stocked_store(engine, units=2)
    orders = SqlOrders(engine)
    with pytest.raises(OutOfStock) as refused:
        orders.place(order_command(customer.customer_id, {"PAN-1": 3}))
    assert refused.value.shortfalls == {"PAN-1": (3, 2)}
    with pytest.raises(UnknownProduct):
        orders.place(order_command(customer.customer_id, {"NOPE": 1}))
    with pytest.raises(UnknownCustomer):
        orders.place(order_command("C-nobody", {"PAN-1": 1}))
    with pytest.raises(OrderError):
        orders.place(order_command(customer.customer_id, {"PAN-1": 0}))
    assert (_count(engine, OrderRow), _count(engine, OrderLineRow), _count(engine, StockHoldRow)) == (0, 0, 0)
    assert SqlEventLog(engine).records() == [] and catalog.available("PAN-1") == 2


def test_an_order_lives_from_placement_to_delivery_and_return(engine):
    catalog, customer = stocked_store(engine, units=10)
    orders = SqlOrders(engine)
    order_id = orders.place(order_command(customer.customer_id, {"PAN-1": 4})).order_id
    with pytest.raises(InvalidTransition):
        orders.dispatch(order_id, T0 + 100)
    sorted_ = orders.sort(order_id, T0 + 200)
    assert (sorted_.status, sorted_.warehouse, sorted_.courier) == (SORTED, "W-BJ", "SF")
    assert catalog.levels("PAN-1") == [StockLevel("W-BJ", "PAN-1", 10, 4)] and catalog.held("PAN-1") == 0
    assert catalog.available("PAN-1") == 6
    orders.dispatch(order_id, T0 + 300)
    assert catalog.levels("PAN-1") == [StockLevel("W-BJ", "PAN-1", 6, 0)]
    delivered = orders.deliver(order_id, T0 + 400)
    assert delivered.is_paid and delivered.paid_at == T0 + 400  # cash on delivery
    returned = orders.return_order(order_id, T0 + 500, "refused at the door")
    assert catalog.levels("PAN-1") == [StockLevel("W-BJ", "PAN-1", 10, 0)]
    stored = orders.get(order_id)
    assert stored.status == RETURNED == returned.status
    assert [s for _, s, _ in stored.history] == [PLACED, SORTED, DISPATCHED, DELIVERED, RETURNED]
    with pytest.raises(UnknownOrder):
        orders.get("O-nope")


def test_cancelling_gives_the_stock_back_whether_held_or_allocated(engine):
    catalog, customer = stocked_store(engine, units=5)
    orders = SqlOrders(engine)
    held = orders.place(order_command(customer.customer_id, {"PAN-1": 2})).order_id
    allocated = orders.place(order_command(customer.customer_id, {"PAN-1": 3})).order_id
    orders.sort(allocated, T0 + 100)
    assert catalog.available("PAN-1") == 0
    with pytest.raises(OrderError):
        orders.cancel(held, T0 + 150, " ")
    assert orders.cancel(held, T0 + 200, "changed her mind").status == CANCELLED
    assert catalog.held("PAN-1") == 0 and catalog.available("PAN-1") == 2
    orders.cancel(allocated, T0 + 300, "duplicate")
    assert catalog.levels("PAN-1") == [StockLevel("W-BJ", "PAN-1", 5, 0)] and catalog.available("PAN-1") == 5
    assert [o.status for o in orders.list()] == [CANCELLED, CANCELLED]
    assert orders.list(status=PLACED) == []


def test_a_prepaid_order_is_dispatched_only_after_payment(engine):
    _, customer = stocked_store(engine, units=5)
    orders = SqlOrders(engine)
    command = order_command(customer.customer_id, {"PAN-1": 1})
    command.payment = PREPAID
    order_id = orders.place(command).order_id
    orders.sort(order_id, T0 + 100)
    with pytest.raises(OrderError):
        orders.dispatch(order_id, T0 + 200)
    assert orders.record_payment(order_id, T0 + 250).paid_at == T0 + 250
    assert orders.dispatch(order_id, T0 + 300).status == DISPATCHED
    assert orders.get(order_id).paid_at == T0 + 250
