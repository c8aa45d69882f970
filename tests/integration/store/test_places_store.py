"""Warehouses and couriers added through ``app.places`` on SQLite and PostgreSQL: stored with their audit
row, or refused naming the field with nothing stored (an unknown division, a taken ID, a warehouse that does
not exist); the store itself refuses a second place with the same ID as a ``CatalogError``."""

from __future__ import annotations

import pytest

from adapters.geo.divisions import load_divisions
from adapters.store.audit import SqlAudit
from adapters.store.catalog import SqlCatalog
from adapters.store.uow import SqlUnitOfWork
from app.places import AddCourier, AddWarehouse, PlaceError, add_courier, add_warehouse
from core.catalog import CatalogError, Warehouse
from core.orders import Courier

NOW = 1.7e9


def refused(field: str, work) -> str:
    with pytest.raises(PlaceError) as caught:
        work()
    assert caught.value.field == field
    return str(caught.value)


def test_places_are_added_audited_or_refused_by_field(engine):
    divisions = load_divisions()
    uow = lambda: SqlUnitOfWork(engine)  # noqa: E731 -- a fresh unit per use case
    assert add_warehouse(AddWarehouse(NOW, "W-SZ", "4403, 4403，11", 1, "sup"), uow(), divisions) == Warehouse(
        "W-SZ", ("4403", "11"), 1
    )
    assert "9" in refused("serves", lambda: add_warehouse(AddWarehouse(NOW, "W-X", "9", 0, "sup"), uow(), divisions))
    assert "no division" in refused(
        "serves", lambda: add_warehouse(AddWarehouse(NOW, "W-X", "99", 0, "sup"), uow(), divisions)
    )
    assert "exists" in refused("id", lambda: add_warehouse(AddWarehouse(NOW, "W-SZ", "", 0, "sup"), uow(), divisions))
    refused("id", lambda: add_warehouse(AddWarehouse(NOW, "../W", "", 0, "sup"), uow(), divisions))
    assert "W-NO" in refused(
        "warehouses", lambda: add_courier(AddCourier(NOW, "SF", "", "W-SZ W-NO", True, 0, "sup"), uow(), divisions)
    )
    assert add_courier(AddCourier(NOW, "SF", "", "", True, 0, "sup"), uow(), divisions) == Courier("SF", ("",))

    catalog = SqlCatalog(engine)
    assert [w.warehouse_id for w in catalog.warehouses()] == ["W-SZ"]
    assert catalog.couriers() == [Courier("SF", ("",), frozenset(), True, 0)]
    assert sorted((e.action, e.entity_id) for e in SqlAudit(engine).entries(user="sup")) == [
        ("courier.add", "SF"),
        ("warehouse.add", "W-SZ"),
    ]
    with pytest.raises(CatalogError, match="exists"):  # two supervisors adding the same ID at once
        catalog.add_warehouse(Warehouse("W-SZ"))
    with pytest.raises(CatalogError, match="exists"):
        catalog.add_courier(Courier("SF"))
