"""The database, not luck, keeps stock from being oversold and order numbers from repeating: orders placed
from many threads released together, each on its own connection. On PostgreSQL (the production database;
transactions really overlap and serialise on row locks) and on SQLite (one writer at a time)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from adapters.store.eventlog import SqlEventLog
from adapters.store.models import OrderLineRow, OrderRow, StockHoldRow
from adapters.store.orders import SqlOrders
from adapters.store.settings import StoreSettings, make_engine
from core.catalog import OutOfStock, Product
from core.log import Verb
from core.orders import Order
from tests.helpers import open_connections, race
from tests.integration.store.business_fixtures import order_command, stocked_store


def _race(engine, n: int, work) -> list:
    """``work(i)`` in n threads released together, on connections opened beforehand."""
    open_connections(engine, min(n, engine.pool.size()))
    return race(n, work)


def _stock_invariants(engine) -> tuple[int, int, int]:
    """(on_hand, allocated, held) summed over PAN-1, after checking nothing is negative or over-promised."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT on_hand, allocated FROM stock WHERE sku = 'PAN-1'")).all()
        held = connection.execute(
            select(func.coalesce(func.sum(StockHoldRow.__table__.c.quantity), 0)).where(
                StockHoldRow.__table__.c.sku == "PAN-1"
            )
        ).scalar_one()
    assert all(on_hand >= 0 and 0 <= allocated <= on_hand for on_hand, allocated in rows), rows
    on_hand, allocated = sum(r[0] for r in rows), sum(r[1] for r in rows)
    assert on_hand - allocated - held >= 0, (on_hand, allocated, held)
    return on_hand, allocated, int(held)


def _stored_orders(engine) -> dict[str, list[tuple[str, int]]]:
    lines_table = OrderLineRow.__table__
    with engine.connect() as connection:
        ids = connection.execute(select(OrderRow.__table__.c.id)).scalars().all()
        lines = connection.execute(select(lines_table.c.order_id, lines_table.c.sku, lines_table.c.quantity)).all()
    stored: dict[str, list[tuple[str, int]]] = {order_id: [] for order_id in ids}
    for order_id, sku, quantity in lines:
        stored[order_id].append((sku, quantity))
    return stored


def test_forty_callers_compete_for_twenty_five_units_and_exactly_twenty_five_win(engine):
    catalog, customer = stocked_store(engine, units=25)
    orders = SqlOrders(engine, log_source="live")
    results = _race(
        engine, 40, lambda i: orders.place(order_command(customer.customer_id, {"PAN-1": 1}, call_id=f"call-{i}"))
    )
    accepted = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, OutOfStock)]
    assert (len(accepted), len(refused)) == (25, 15), Counter(type(r).__name__ for r in results)
    assert all(r.shortfalls == {"PAN-1": (1, 0)} for r in refused)
    # every accepted order is stored with its line; no refused one left anything behind
    assert _stored_orders(engine) == {o.order_id: [("PAN-1", 1)] for o in accepted}
    assert _stock_invariants(engine) == (25, 0, 25)
    assert catalog.available("PAN-1") == 0
    logged = [r for r in SqlEventLog(engine).records("live") if r.verb == Verb.ORDER_PLACED]
    assert sorted(r.field("order") for r in logged) == sorted(o.order_id for o in accepted)


def test_orders_of_mixed_sizes_never_oversell(engine):
    catalog, customer = stocked_store(engine, units=25)
    orders = SqlOrders(engine)
    sizes = [1 + i % 3 for i in range(40)]  # 80 units wanted of 25
    results = _race(engine, 40, lambda i: orders.place(order_command(customer.customer_id, {"PAN-1": sizes[i]})))
    assert all(isinstance(r, (Order, OutOfStock)) for r in results), [
        r for r in results if not isinstance(r, (Order, OutOfStock))
    ]
    sold = sum(r.quantities["PAN-1"] for r in results if isinstance(r, Order))
    refused_sizes = [sizes[i] for i, r in enumerate(results) if isinstance(r, OutOfStock)]
    assert sold <= 25
    # availability only falls, so each refused order still does not fit in what is left at the end
    assert 25 - sold < min(refused_sizes)
    assert _stock_invariants(engine) == (25, 0, sold)
    assert sum(q for lines in _stored_orders(engine).values() for _, q in lines) == sold


def test_orders_naming_two_products_in_either_order_do_not_deadlock(engine):
    catalog, customer = stocked_store(engine, units=30)
    catalog.add_product(Product("LID-1", "锅盖", Decimal("39.00")))
    catalog.receive("W-BJ", "LID-1", 10)
    orders = SqlOrders(engine)
    lines = lambda i: [("PAN-1", 1), ("LID-1", 1)] if i % 2 else [("LID-1", 1), ("PAN-1", 1)]  # noqa: E731
    results = _race(engine, 30, lambda i: orders.place(order_command(customer.customer_id, lines(i))))
    assert Counter(type(r).__name__ for r in results) == {"Order": 10, "OutOfStock": 20}
    assert catalog.available("LID-1") == 0 and catalog.available("PAN-1") == 20


def test_sorting_and_cancelling_at_once_keep_stock_consistent(engine):
    catalog, customer = stocked_store(engine, units=20)
    orders = SqlOrders(engine)
    placed = [orders.place(order_command(customer.customer_id, {"PAN-1": 1})).order_id for _ in range(20)]
    results = _race(
        engine,
        20,
        lambda i: (orders.sort if i % 2 else orders.cancel)(
            placed[i], 1_700_000_500.0, *([] if i % 2 else ["customer cancelled"])
        ),
    )
    assert all(isinstance(r, Order) for r in results), results
    assert _stock_invariants(engine) == (20, 10, 0)
    assert catalog.available("PAN-1") == 10


@pytest.fixture
def wide_engine(engine, database):
    """An engine whose pool lets 150 transactions run at once (the server allows 200 connections)."""
    engine.dispose()
    _, url = database
    patient = StoreSettings(database_url=url, lock_timeout=120, statement_timeout=300)  # 150 wait on one row
    wide = make_engine(patient, pool_size=150, max_overflow=0, pool_timeout=300)
    try:
        yield wide
    finally:
        wide.dispose()


def test_two_hundred_concurrent_orders_get_two_hundred_different_numbers(wide_engine):
    engine = wide_engine
    _, customer = stocked_store(engine, units=1000)
    orders = SqlOrders(engine)
    results = _race(engine, 200, lambda i: orders.place(order_command(customer.customer_id, {"PAN-1": 1})))
    errors = [r for r in results if not isinstance(r, Order)]
    assert errors == []
    numbers = [r.order_id for r in results]
    assert len(set(numbers)) == 200, [n for n, k in Counter(numbers).items() if k > 1]
    assert set(_stored_orders(engine)) == set(numbers)
    assert _stock_invariants(engine) == (1000, 0, 200)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_an_order_not_granted_the_products_lock_in_time_fails_as_any_statement_and_keeps_nothing(engine, database):
    """The lock and the stock read go to the server together (psycopg's pipeline): a lock timeout still
    reaches the caller as SQLAlchemy's OperationalError, the transaction leaves nothing, and the connection
    serves the next order."""
    _, customer = stocked_store(engine, units=5)
    _, url = database
    hasty = make_engine(StoreSettings(database_url=url, lock_timeout=0.5), pool_size=1, max_overflow=0)
    orders = SqlOrders(hasty)
    with engine.connect() as held:
        held.execute(text("SELECT sku FROM product WHERE sku = 'PAN-1' FOR NO KEY UPDATE"))
        with pytest.raises(OperationalError, match="lock timeout"):
            orders.place(order_command(customer.customer_id, {"PAN-1": 1}))
        held.rollback()
    assert _stored_orders(engine) == {}
    placed = orders.place(order_command(customer.customer_id, {"PAN-1": 1}))
    assert _stored_orders(engine) == {placed.order_id: [("PAN-1", 1)]}
    assert _stock_invariants(engine) == (5, 0, 1)
    hasty.dispose()
