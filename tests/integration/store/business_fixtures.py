"""Shared builders of the business store tests."""

from __future__ import annotations

from decimal import Decimal

from adapters.store.catalog import SqlCatalog
from adapters.store.customers import SqlCustomers
from adapters.store.ids import SqlIds
from core.catalog import Product, Warehouse
from core.customers import register_customer
from core.orders import COD, Courier, MediaSurvey, PlaceOrder
from core.phones import parse_phone
from core.regions import Address, Division

T0 = 1_700_000_000.0
# one mobile number as callers and agents type it: every spelling finds the same customers
SPELLINGS_OF_13800138000 = (
    "13800138000",
    "138 0013 8000",
    "138-0013-8000",
    "+86 138 0013 8000",
    "0086 13800138000",
    "+86-138-0013-8000",
    "(+86) 138.0013.8000",
)
HAIDIAN = Division("110108", "北京市", "", "海淀区")
HOME = Address(
    HAIDIAN, "中关村大街1号 3单元 502", recipient="王女士", phone=parse_phone("138 0013 8000"), postcode="100080"
)


def stocked_store(engine, units: int = 10, sku: str = "PAN-1", price: str = "199.00"):
    """A catalog with one product sold on airing A1, warehouse W-BJ serving Beijing with ``units`` units, a
    courier, and one customer; returns (catalog, customer)."""
    catalog = SqlCatalog(engine)
    catalog.add_product(Product(sku, "不粘锅", Decimal(price), frozenset({"A1"})))
    catalog.add_warehouse(Warehouse("W-BJ", ("11",)))
    catalog.add_courier(Courier("SF", ("",)))
    if units:
        catalog.receive("W-BJ", sku, units)
    customer = register_customer(
        SqlCustomers(engine), SqlIds(engine), name="王女士", phones=["13800138000"], now=T0, address=HOME
    )
    return catalog, customer


def order_command(customer_id: str, lines, now: float = T0 + 60, **extra) -> PlaceOrder:
    fields = dict(
        payment=COD,
        address=HOME,
        survey=MediaSurvey("CCTV-2", "晚间购物", "A1"),
        hotline="4008001234",
        call_id="call-1",
        agent_id="agent-7",
    )
    fields.update(extra)
    return PlaceOrder(now=now, customer_id=customer_id, lines=lines, **fields)
