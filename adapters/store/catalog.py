"""``SqlCatalog``: products (with the airings that sell them), warehouses, couriers and stock levels.

Stock lives in ``stock`` (``on_hand`` and ``allocated`` per warehouse and SKU, checked by the database never to
go negative nor to promise more than is on the shelf) and ``stock_hold`` (units held by placed orders not yet
sorted to a warehouse). The rules are the core's (``core.catalog.StockBook``): every change that depends on
availability locks the SKUs' product rows and rebuilds a ``StockBook`` for those SKUs from the database
(``load_stock_book(..., lock=True)``), lets the core decide, and writes the result in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError

from adapters.store.models import CourierRow, ProductAiringRow, ProductRow, StockHoldRow, StockRow, WarehouseRow
from adapters.store.pipeline import pipelined, send_read
from adapters.store.settings import StoreAccess
from core.catalog import Catalog, CatalogError, OutOfStock, Product, StockBook, UnknownProduct, Warehouse
from core.orders import Courier

PRODUCT = ProductRow.__table__
PRODUCT_AIRING = ProductAiringRow.__table__
WAREHOUSE = WarehouseRow.__table__
COURIER = CourierRow.__table__
STOCK = StockRow.__table__
HOLD = StockHoldRow.__table__


@dataclass(frozen=True, slots=True)
class StockLevel:
    warehouse_id: str
    sku: str
    on_hand: int
    allocated: int

    @property
    def free(self) -> int:
        return self.on_hand - self.allocated


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(",") if part)


def _positive(quantity: int) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise CatalogError(f"quantity must be a positive whole number, not {quantity!r}")


# --- helpers the order repository shares ----------------------------------------------------------------


# Serialise stock changes per SKU: on PostgreSQL ``SELECT ... FOR NO KEY UPDATE`` on the product rows, in SKU
# order (so two transactions never wait for each other in a cycle). Not ``FOR UPDATE``: an order's lines and
# holds, written before it locks, hold ``KEY SHARE`` locks on the same rows through their foreign keys, which
# ``FOR UPDATE`` would wait for (two orders, a deadlock). On SQLite the write transaction (``BEGIN IMMEDIATE``)
# already holds the only write lock.
_LOCK = (
    select(PRODUCT.c.sku)
    .where(PRODUCT.c.sku.in_(bindparam("skus", expanding=True)))
    .order_by(PRODUCT.c.sku)
    .with_for_update(key_share=True)
)
# the SKUs' stock as ``stock_book`` takes it: ("stock", warehouse, sku, on hand, allocated) and ("held", "", sku,
# held, 0) rows
_STOCK = union_all(
    select(literal("stock"), STOCK.c.warehouse_id, STOCK.c.sku, STOCK.c.on_hand, STOCK.c.allocated).where(
        STOCK.c.sku.in_(bindparam("skus", expanding=True))
    ),
    select(literal("held"), literal(""), HOLD.c.sku, func.sum(HOLD.c.quantity), literal(0))
    .where(HOLD.c.sku.in_(bindparam("skus", expanding=True)))
    .group_by(HOLD.c.sku),
)


_PRODUCTS = (
    select(PRODUCT, PRODUCT_AIRING.c.airing_id)
    .outerjoin(PRODUCT_AIRING, PRODUCT_AIRING.c.sku == PRODUCT.c.sku)
    .order_by(PRODUCT.c.sku)
)
_PRODUCTS_OF = _PRODUCTS.where(PRODUCT.c.sku.in_(bindparam("skus", expanding=True)))


def load_products(connection: Connection, skus: Iterable[str] | None = None) -> list[Product]:
    """The products (these SKUs, or all), by SKU, each with its airings: one query (an order reads them)."""
    if skus is None:
        return _products(connection.execute(_PRODUCTS))
    return _products(connection.execute(_PRODUCTS_OF, {"skus": list(skus)}))


def send_products(connection: Connection, skus: Iterable[str]) -> Callable[[], list[Product]]:
    """``load_products(connection, skus)`` queued in the connection's ``pipelined`` block: the function
    returned gives them once the block has ended."""
    rows = send_read(connection, [_PRODUCTS_OF], {"skus": sorted(set(skus))})
    return lambda: _products(rows())


def _products(rows: Iterable[Any]) -> list[Product]:
    found: dict[str, tuple[Any, set[str]]] = {}
    for row in rows:
        airings = found.setdefault(row.sku, (row, set()))[1]
        if row.airing_id is not None:
            airings.add(row.airing_id)
    return [
        Product(row.sku, row.name, row.price, frozenset(airings), bool(row.active)) for row, airings in found.values()
    ]


def read_stock(connection: Connection, skus: Iterable[str], *, lock: bool = False) -> Sequence[tuple]:
    """The SKUs' stock as ``stock_book`` takes it, in one statement: ("stock", warehouse, sku, on hand,
    allocated) and ("held", "", sku, held, 0) rows. ``lock``: the SKUs are locked first, in the same round trip
    (``send_stock_read``)."""
    if not lock:
        return connection.execute(_STOCK, {"skus": sorted(set(skus))}).all()
    with pipelined(connection):
        rows = send_stock_read(connection, skus, lock=True)
    return rows()


def send_stock_read(connection: Connection, skus: Iterable[str], *, lock: bool) -> Callable[[], Sequence[tuple]]:
    """Lock the SKUs (``_LOCK``, when ``lock``) and read their stock (as ``read_stock``), queued in the
    connection's ``pipelined`` block: the read is still a statement of its own, started once the locks are
    granted, so it sees every change committed while this transaction waited for them. The function returned
    gives the rows once the block has ended."""
    statements = [_LOCK, _STOCK] if lock and connection.dialect.name == "postgresql" else [_STOCK]
    return send_read(connection, statements, {"skus": sorted(set(skus))})


def load_stock_book(
    connection: Connection,
    skus: Iterable[str],
    own_order: str | None = None,
    own_lines: dict[str, int] | None = None,
    own_warehouse: str = "",
    *,
    lock: bool = False,
) -> StockBook:
    """A core ``StockBook`` for these SKUs as the database has them (``read_stock``, ``stock_book``)."""
    return stock_book(read_stock(connection, skus, lock=lock), own_order, own_lines, own_warehouse)


def stock_book(
    rows: Iterable[tuple],
    own_order: str | None = None,
    own_lines: dict[str, int] | None = None,
    own_warehouse: str = "",
) -> StockBook:
    """A core ``StockBook`` of ``read_stock``'s rows. Other orders' allocations and holds are loaded as
    aggregates; ``own_order`` (whose ``own_lines`` are held, or allocated at ``own_warehouse``) individually,
    so that the core can allocate, ship or release it (``OutOfStock`` if its lines no longer fit)."""
    book = StockBook()
    levels: list[StockLevel] = []
    held: dict[str, int] = {}
    for kind, warehouse_id, sku, quantity, allocated in rows:
        if kind == "stock":
            levels.append(StockLevel(warehouse_id, sku, int(quantity), int(allocated)))
        else:
            held[sku] = int(quantity)
    own_lines = own_lines or {}
    for row in levels:
        if row.on_hand:
            book.receive(row.warehouse_id, row.sku, int(row.on_hand))
    for row in levels:
        allocated = int(row.allocated) - (own_lines.get(row.sku, 0) if own_warehouse == row.warehouse_id else 0)
        if allocated > 0:
            key = f"~allocated:{row.warehouse_id}:{row.sku}"
            book.hold(key, {row.sku: allocated})
            book.allocate(key, row.warehouse_id)
    for sku, quantity in held.items():
        others = int(quantity) - (own_lines.get(sku, 0) if own_order and not own_warehouse else 0)
        if others > 0:
            book.hold(f"~held:{sku}", {sku: others})
    if own_order and own_lines:
        book.hold(own_order, own_lines)
        if own_warehouse:
            book.allocate(own_order, own_warehouse)
    return book


class SqlCatalog:
    """Products, warehouses, couriers and stock in the database.

    Products: ``add_product(product)`` (``CatalogError`` if the SKU exists), ``replace_product(product)``
    (``UnknownProduct``), ``get_product(sku) -> Product`` (``UnknownProduct``), ``products(active_only=False)
    -> list[Product]``, ``for_airing(airing_id) -> list[Product]``, ``catalog() -> core.catalog.Catalog``.

    Places: ``add_warehouse(Warehouse)``, ``warehouses() -> list[Warehouse]``, ``add_courier(Courier)``,
    ``couriers() -> list[Courier]``.

    Stock: ``receive(warehouse_id, sku, quantity)``, ``write_off(warehouse_id, sku, quantity)``
    (``OutOfStock`` if the units are promised), ``levels(sku=None) -> list[StockLevel]``, ``held(sku) -> int``,
    ``available(sku) -> int`` (what a new order can still take).
    """

    def __init__(self, engine: Engine, *, connection: Connection | None = None) -> None:
        self.engine = engine
        self.db = StoreAccess(engine, connection)

    # --- products --------------------------------------------------------------------------------

    @staticmethod
    def _product_row(product: Product) -> dict:
        return dict(sku=product.sku, name=product.name, price=product.price, active=product.active)

    @staticmethod
    def _write_airings(connection: Connection, product: Product) -> None:
        connection.execute(delete(PRODUCT_AIRING).where(PRODUCT_AIRING.c.sku == product.sku))
        if product.airings:
            connection.execute(
                insert(PRODUCT_AIRING), [dict(sku=product.sku, airing_id=a) for a in sorted(product.airings)]
            )

    def add_product(self, product: Product) -> None:
        try:
            with self.db.guarded() as connection:
                connection.execute(insert(PRODUCT).values(**self._product_row(product)))
                self._write_airings(connection, product)
        except IntegrityError:
            raise CatalogError(f"SKU {product.sku} is already in the catalog") from None

    def replace_product(self, product: Product) -> None:
        """A new name, price, airing list or active flag (orders keep the price they were placed at)."""
        with self.db.write() as connection:
            row = self._product_row(product)
            if connection.execute(update(PRODUCT).where(PRODUCT.c.sku == product.sku).values(**row)).rowcount != 1:
                raise UnknownProduct(product.sku)
            self._write_airings(connection, product)

    def get_product(self, sku: str) -> Product:
        with self.db.read() as connection:
            found = load_products(connection, [sku])
        if not found:
            raise UnknownProduct(sku)
        return found[0]

    def products(self, active_only: bool = False) -> list[Product]:
        with self.db.read() as connection:
            products = load_products(connection)
        return [p for p in products if p.active or not active_only]

    def catalog(self) -> Catalog:
        return Catalog(self.products())

    def for_airing(self, airing_id: str) -> list[Product]:
        """What the agent offers a caller who saw this airing (active products only)."""
        return self.catalog().for_airing(airing_id)

    # --- warehouses and couriers ----------------------------------------------------------------

    def add_warehouse(self, warehouse: Warehouse) -> None:
        """``CatalogError`` if the ID exists."""
        try:
            with self.db.guarded() as connection:
                connection.execute(
                    insert(WAREHOUSE).values(
                        id=warehouse.warehouse_id, serves=",".join(warehouse.serves), rank=warehouse.rank
                    )
                )
        except IntegrityError:
            raise CatalogError(f"warehouse {warehouse.warehouse_id} exists already") from None

    def warehouses(self) -> list[Warehouse]:
        with self.db.read() as connection:
            rows = connection.execute(select(WAREHOUSE).order_by(WAREHOUSE.c.rank, WAREHOUSE.c.id)).all()
        return [Warehouse(row.id, _split(row.serves), row.rank) for row in rows]

    def add_courier(self, courier: Courier) -> None:
        """``CatalogError`` if the ID exists. Serves ("",) means everywhere: stored as "", read back as ("",)."""
        try:
            with self.db.guarded() as connection:
                connection.execute(
                    insert(COURIER).values(
                        id=courier.courier_id,
                        serves=",".join(courier.serves),
                        warehouses=",".join(sorted(courier.warehouses)),
                        cash_on_delivery=courier.cash_on_delivery,
                        rank=courier.rank,
                    )
                )
        except IntegrityError:
            raise CatalogError(f"courier {courier.courier_id} exists already") from None

    def couriers(self) -> list[Courier]:
        with self.db.read() as connection:
            rows = connection.execute(select(COURIER).order_by(COURIER.c.rank, COURIER.c.id)).all()
        return [
            Courier(
                row.id,
                _split(row.serves) or ("",),
                frozenset(_split(row.warehouses)),
                bool(row.cash_on_delivery),
                row.rank,
            )
            for row in rows
        ]

    # --- stock -----------------------------------------------------------------------------------

    def receive(self, warehouse_id: str, sku: str, quantity: int) -> None:
        """Goods in: ``on_hand += quantity`` (the row is created on first delivery)."""
        _positive(quantity)
        with self.db.write() as connection:
            if connection.execute(select(PRODUCT.c.sku).where(PRODUCT.c.sku == sku)).first() is None:
                raise UnknownProduct(sku)
            changed = connection.execute(
                update(STOCK)
                .where(STOCK.c.warehouse_id == warehouse_id, STOCK.c.sku == sku)
                .values(on_hand=STOCK.c.on_hand + quantity)
            ).rowcount
            if changed == 0:
                connection.execute(
                    insert(STOCK).values(warehouse_id=warehouse_id, sku=sku, on_hand=quantity, allocated=0)
                )

    def write_off(self, warehouse_id: str, sku: str, quantity: int) -> None:
        """Goods out that no order takes (damaged, lost); units promised to orders cannot be written off."""
        _positive(quantity)
        with self.db.write() as connection:
            load_stock_book(connection, [sku], lock=True).write_off(warehouse_id, sku, quantity)  # the core's check
            connection.execute(
                update(STOCK)
                .where(STOCK.c.warehouse_id == warehouse_id, STOCK.c.sku == sku)
                .values(on_hand=STOCK.c.on_hand - quantity)
            )

    def levels(self, sku: str | None = None) -> list[StockLevel]:
        query = select(STOCK).order_by(STOCK.c.sku, STOCK.c.warehouse_id)
        if sku is not None:
            query = query.where(STOCK.c.sku == sku)
        with self.db.read() as connection:
            return [
                StockLevel(r.warehouse_id, r.sku, int(r.on_hand), int(r.allocated)) for r in connection.execute(query)
            ]

    def held(self, sku: str) -> int:
        with self.db.read() as connection:
            return int(
                connection.execute(
                    select(func.coalesce(func.sum(HOLD.c.quantity), 0)).where(HOLD.c.sku == sku)
                ).scalar()
            )

    def available(self, sku: str) -> int:
        with self.db.read() as connection:
            return load_stock_book(connection, [sku]).available(sku)


__all__ = ["SqlCatalog", "StockLevel", "load_products", "load_stock_book", "read_stock", "stock_book", "OutOfStock"]
