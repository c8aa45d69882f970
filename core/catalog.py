"""Products, warehouses and stock. Stock is reserved for an order when it is placed and can never go
negative: the check and the change happen together, and a refused change leaves everything as it was.

Stock levels per warehouse and SKU:
- ``on_hand``: units on the shelf;
- ``allocated``: units promised to sorted orders at that warehouse (always <= on_hand);
- holds: units promised to placed orders not yet sorted to a warehouse, counted per SKU across warehouses.
``available(sku)`` = sum(on_hand - allocated) - held, and it is never negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Iterable, Mapping

CENT = Decimal("0.01")


def money(value: Decimal | int | str) -> Decimal:
    """Yuan as a Decimal rounded to the fen. Floats are refused: 0.1 + 0.2 is not money."""
    if isinstance(value, float):
        raise TypeError(f"money must not be a float ({value!r}): pass a string or a Decimal")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{value!r} is not an amount of money") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not an amount of money")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class CatalogError(ValueError):
    """A product or stock operation the rules forbid."""


class UnknownProduct(CatalogError):
    def __init__(self, sku: str) -> None:
        super().__init__(f"no product with SKU {sku!r}")
        self.sku = sku


class OutOfStock(CatalogError):
    """Not enough stock; ``shortfalls`` maps each short SKU to (requested, available)."""

    def __init__(self, shortfalls: Mapping[str, tuple[int, int]], where: str = "") -> None:
        parts = [f"{sku}: {want} wanted, {have} available" for sku, (want, have) in shortfalls.items()]
        super().__init__(f"out of stock{' at ' + where if where else ''}: " + "; ".join(parts))
        self.shortfalls = dict(shortfalls)
        self.where = where


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    price: Decimal
    airings: frozenset[str] = frozenset()  # airing IDs that sell it
    active: bool = True

    def __post_init__(self) -> None:
        if not self.sku.strip():
            raise CatalogError("a product needs a SKU")
        object.__setattr__(self, "price", money(self.price))
        if self.price < 0:
            raise CatalogError(f"product {self.sku}: price {self.price} is negative")
        object.__setattr__(self, "airings", frozenset(self.airings))

    def sold_on(self, airing_id: str) -> bool:
        return airing_id in self.airings


class Catalog:
    """The products on offer, by SKU."""

    def __init__(self, products: Iterable[Product] = ()) -> None:
        self._products: dict[str, Product] = {}
        for product in products:
            self.add(product)

    def add(self, product: Product) -> None:
        if product.sku in self._products:
            raise CatalogError(f"SKU {product.sku} is already in the catalog")
        self._products[product.sku] = product

    def replace(self, product: Product) -> None:
        """A new price, name or airing list for an existing SKU (orders keep the price they were placed at)."""
        self.get(product.sku)
        self._products[product.sku] = product

    def get(self, sku: str) -> Product:
        try:
            return self._products[sku]
        except KeyError:
            raise UnknownProduct(sku) from None

    def __contains__(self, sku: object) -> bool:
        return sku in self._products

    def __iter__(self):
        return iter(self._products.values())

    def for_airing(self, airing_id: str) -> list[Product]:
        """What the agent offers a caller who saw this airing."""
        return [p for p in self._products.values() if p.active and p.sold_on(airing_id)]


@dataclass(frozen=True, slots=True)
class Warehouse:
    warehouse_id: str
    serves: tuple[str, ...] = ()  # division-code prefixes it ships to first ("11", "4403"); "" = anywhere
    rank: int = 0  # among equally close warehouses, lower ships first


def _positive_lines(lines: Mapping[str, int]) -> dict[str, int]:
    clean: dict[str, int] = {}
    for sku, quantity in lines.items():
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise CatalogError(f"{sku}: quantity must be a positive whole number, not {quantity!r}")
        clean[sku] = clean.get(sku, 0) + quantity
    if not clean:
        raise CatalogError("nothing to reserve")
    return clean


class StockBook:
    """Stock per warehouse and SKU, and the reservations of orders (see the module docstring)."""

    def __init__(self) -> None:
        self._on_hand: dict[tuple[str, str], int] = {}
        self._allocated: dict[tuple[str, str], int] = {}
        self._held: dict[str, int] = {}
        self._holds: dict[str, dict[str, int]] = {}  # order -> sku -> quantity, not yet at a warehouse
        self._allocations: dict[str, tuple[str, dict[str, int]]] = {}  # order -> (warehouse, sku -> qty)

    # --- levels -------------------------------------------------------------------------------------

    def on_hand(self, warehouse_id: str, sku: str) -> int:
        return self._on_hand.get((warehouse_id, sku), 0)

    def allocated(self, warehouse_id: str, sku: str) -> int:
        return self._allocated.get((warehouse_id, sku), 0)

    def free_at(self, warehouse_id: str, sku: str) -> int:
        """Units at this warehouse not promised to a sorted order (holds are not per warehouse)."""
        return self.on_hand(warehouse_id, sku) - self.allocated(warehouse_id, sku)

    def held(self, sku: str) -> int:
        return self._held.get(sku, 0)

    def available(self, sku: str) -> int:
        """Units a new order can still take."""
        free = sum(on - self._allocated.get(key, 0) for key, on in self._on_hand.items() if key[1] == sku)
        return free - self.held(sku)

    def warehouses(self) -> list[str]:
        return sorted({w for w, _ in self._on_hand})

    def can_fill(self, warehouse_id: str, lines: Mapping[str, int]) -> bool:
        return all(self.free_at(warehouse_id, sku) >= qty for sku, qty in lines.items())

    def reservation(self, order_id: str) -> tuple[str, dict[str, int]] | None:
        """(warehouse or "" while only held, sku -> quantity), or None if the order reserves nothing."""
        if order_id in self._holds:
            return "", dict(self._holds[order_id])
        if order_id in self._allocations:
            warehouse, lines = self._allocations[order_id]
            return warehouse, dict(lines)
        return None

    # --- changes ------------------------------------------------------------------------------------

    def receive(self, warehouse_id: str, sku: str, quantity: int) -> None:
        """Goods in (delivery from a supplier, or a return put back on the shelf)."""
        _positive_lines({sku: quantity})
        key = (warehouse_id, sku)
        self._on_hand[key] = self._on_hand.get(key, 0) + quantity

    def write_off(self, warehouse_id: str, sku: str, quantity: int) -> None:
        """Goods out that no order takes (damaged, lost). Promised units cannot be written off."""
        _positive_lines({sku: quantity})
        room = min(self.free_at(warehouse_id, sku), self.available(sku))
        if quantity > room:
            raise OutOfStock({sku: (quantity, max(room, 0))}, warehouse_id)
        self._on_hand[(warehouse_id, sku)] -= quantity

    def hold(self, order_id: str, lines: Mapping[str, int]) -> None:
        """Reserve units for a placed order, all lines or none."""
        if order_id in self._holds or order_id in self._allocations:
            raise CatalogError(f"order {order_id} already reserves stock")
        wanted = _positive_lines(lines)
        short = {sku: (qty, max(self.available(sku), 0)) for sku, qty in wanted.items() if self.available(sku) < qty}
        if short:
            raise OutOfStock(short)
        for sku, qty in wanted.items():
            self._held[sku] = self._held.get(sku, 0) + qty
        self._holds[order_id] = wanted

    def allocate(self, order_id: str, warehouse_id: str) -> None:
        """Move a held order's units to the warehouse that will ship them."""
        lines = self._holds.get(order_id)
        if lines is None:
            raise CatalogError(f"order {order_id} holds no stock to allocate")
        short = {
            sku: (qty, max(self.free_at(warehouse_id, sku), 0))
            for sku, qty in lines.items()
            if self.free_at(warehouse_id, sku) < qty
        }
        if short:
            raise OutOfStock(short, warehouse_id)
        del self._holds[order_id]
        for sku, qty in lines.items():
            self._held[sku] -= qty
            key = (warehouse_id, sku)
            self._allocated[key] = self._allocated.get(key, 0) + qty
        self._allocations[order_id] = (warehouse_id, lines)

    def release(self, order_id: str) -> None:
        """Give back whatever the order reserves (it was cancelled)."""
        if order_id in self._holds:
            for sku, qty in self._holds.pop(order_id).items():
                self._held[sku] -= qty
        elif order_id in self._allocations:
            warehouse, lines = self._allocations.pop(order_id)
            for sku, qty in lines.items():
                self._allocated[(warehouse, sku)] -= qty
        else:
            raise CatalogError(f"order {order_id} reserves no stock")

    def ship(self, order_id: str) -> tuple[str, dict[str, int]]:
        """The allocated units leave the warehouse. Returns (warehouse, lines)."""
        if order_id not in self._allocations:
            raise CatalogError(f"order {order_id} has no stock allocated at a warehouse to ship")
        warehouse, lines = self._allocations.pop(order_id)
        for sku, qty in lines.items():
            key = (warehouse, sku)
            self._allocated[key] -= qty
            self._on_hand[key] -= qty
        return warehouse, lines

    def check(self) -> None:
        """Assert the invariants (for tests and after recovery): nothing negative, promises covered."""
        for key, on in self._on_hand.items():
            assert on >= 0, f"{key}: on hand {on}"
            assert 0 <= self._allocated.get(key, 0) <= on, f"{key}: allocated {self._allocated.get(key)} of {on}"
        for sku, held in self._held.items():
            assert held >= 0, f"{sku}: held {held}"
            assert self.available(sku) >= 0, f"{sku}: available {self.available(sku)}"
