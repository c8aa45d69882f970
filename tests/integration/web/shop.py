"""A small shop for the page tests: two products (one sold on the airing on air), stock in a Beijing
warehouse, a courier, the airing on air now on the test hotline, and a known caller with an address."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from adapters.store.airings import SqlAirings
from adapters.store.catalog import SqlCatalog
from adapters.store.customers import SqlCustomers
from adapters.store.ids import SqlIds
from core.catalog import Product, Warehouse
from core.config import Airing
from core.customers import Customer, register_customer
from core.orders import Courier
from core.regions import Address, Division

HAIDIAN = Division("110108", "北京市", "", "海淀区")
CALLER = "13900000101"
ON_AIR_SKU, OTHER_SKU = "PAN-1", "KNIFE-2"
STOCK = 10


@dataclass
class Shop:
    customer: Customer
    airing: Airing


def seed_shop(engine, now: float, hotline: str) -> Shop:
    catalog = SqlCatalog(engine)
    catalog.add_product(Product(ON_AIR_SKU, "不粘锅", Decimal("199.00"), frozenset({"AIR-1"})))
    catalog.add_product(Product(OTHER_SKU, "厨师刀", Decimal("89.00")))
    catalog.add_warehouse(Warehouse("W-BJ", ("11",)))
    catalog.add_courier(Courier("SF", ("",)))
    catalog.receive("W-BJ", ON_AIR_SKU, STOCK)
    catalog.receive("W-BJ", OTHER_SKU, STOCK)
    airing = Airing("AIR-1", "CCTV-2", now - 600, 3600, hotline, product="不粘锅 live", kind="live")
    SqlAirings(engine).add(airing)
    customer = register_customer(
        SqlCustomers(engine),
        SqlIds(engine),
        name="张伟",
        phones=[CALLER],
        now=now - 86400,
        address=Address(HAIDIAN, "中关村大街1号 502", recipient="张伟"),
    )
    return Shop(customer, airing)
