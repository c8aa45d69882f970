"""Where orders ship from and who carries them, set up by the back office: a new warehouse (the areas it
ships to first) and a new courier (the areas it delivers to, the warehouses it collects at, whether it takes
cash on delivery), each with its audit row. Areas are division-code prefixes (``11`` Beijing, ``4403``
Shenzhen, ``110108`` Haidian) that must name a division; an empty list means everywhere. Sorting an order
(``core.orders``) then picks among them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.ports import AuditEntry, UnitOfWork
from core.catalog import CatalogError, Warehouse
from core.orders import Courier
from core.regions import DivisionDirectory

PLACE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
PREFIX = re.compile(r"\d{2}|\d{4}|\d{6}")


class PlaceError(CatalogError):
    """A warehouse or courier that cannot be added; ``field`` names what is wrong (``id``, ``serves``,
    ``warehouses``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(slots=True)
class AddWarehouse:
    now: float
    warehouse_id: str
    serves: str  # "11, 4403" as typed; "" = anywhere
    rank: int
    by: str


@dataclass(slots=True)
class AddCourier:
    now: float
    courier_id: str
    serves: str  # as typed; "" = everywhere
    warehouses: str  # where it collects: warehouse IDs as typed, "W-BJ, W-SH"; "" = any
    cash_on_delivery: bool
    rank: int
    by: str


def _items(text: str) -> tuple[str, ...]:
    """ "a, b，c" -> ("a", "b", "c"): a typed list (commas, full-width ones, spaces), each once."""
    return tuple(dict.fromkeys(p for p in re.split(r"[\s,，、;；]+", text.strip()) if p))


def area_prefixes(text: str, divisions: DivisionDirectory) -> tuple[str, ...]:
    """ "11, 4403" -> ("11", "4403"): each a 2-, 4- or 6-digit division-code prefix of a known division."""
    prefixes = _items(text)
    for prefix in prefixes:
        if not PREFIX.fullmatch(prefix):
            raise PlaceError("serves", f"{prefix!r} is not a division code of 2, 4 or 6 digits (11, 4403, 110108)")
        if divisions.get(prefix.ljust(6, "0")) is None:
            raise PlaceError("serves", f"no division has the code {prefix}")
    return prefixes


def _check_id(kind: str, place_id: str, taken: set[str]) -> None:
    if not PLACE_ID.fullmatch(place_id):
        raise PlaceError("id", f"a {kind} ID is 1 to 64 letters, digits, '-' or '_'")
    if place_id in taken:
        raise PlaceError("id", f"{kind} {place_id} exists already")


def add_warehouse(command: AddWarehouse, uow: UnitOfWork, divisions: DivisionDirectory) -> Warehouse:
    """Raises ``PlaceError`` naming the field; nothing is stored then."""
    serves = area_prefixes(command.serves, divisions)
    with uow:
        _check_id("warehouse", command.warehouse_id, {w.warehouse_id for w in uow.catalog.warehouses()})
        warehouse = Warehouse(command.warehouse_id, serves, command.rank)
        uow.catalog.add_warehouse(warehouse)
        uow.audit.add(
            AuditEntry(
                command.now,
                command.by,
                "warehouse.add",
                "warehouse",
                (warehouse.warehouse_id,),
                f"serves {','.join(serves) or 'anywhere'}, rank {command.rank}",
            )
        )
        uow.commit()
    return warehouse


def add_courier(command: AddCourier, uow: UnitOfWork, divisions: DivisionDirectory) -> Courier:
    """Raises ``PlaceError`` naming the field (a warehouse it collects at must exist); nothing is stored then."""
    serves = area_prefixes(command.serves, divisions) or ("",)
    with uow:
        _check_id("courier", command.courier_id, {c.courier_id for c in uow.catalog.couriers()})
        collects = frozenset(_items(command.warehouses))
        unknown = sorted(collects - {w.warehouse_id for w in uow.catalog.warehouses()})
        if unknown:
            raise PlaceError("warehouses", f"no warehouse {', '.join(unknown)}")
        courier = Courier(command.courier_id, serves, collects, command.cash_on_delivery, command.rank)
        uow.catalog.add_courier(courier)
        uow.audit.add(
            AuditEntry(
                command.now,
                command.by,
                "courier.add",
                "courier",
                (courier.courier_id,),
                f"serves {','.join(p for p in serves if p) or 'everywhere'}, collects at "
                f"{','.join(sorted(courier.warehouses)) or 'any warehouse'}, "
                f"cash on delivery {'yes' if courier.cash_on_delivery else 'no'}, rank {command.rank}",
            )
        )
        uow.commit()
    return courier
