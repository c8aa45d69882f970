"""``SqlOrders``: orders in the database, with the core's rules (``core.orders``) and the stock guarantees the
database must give.

* ``place`` runs ``core.orders.place_order`` inside one write transaction: the stock is read into a core
  ``StockBook``, the core prices the lines and holds the stock (or raises ``OutOfStock``), and the order, its
  lines, its stock holds and its ORDER_PLACED event-log record are written; then the SKUs' product rows are
  locked (``send_stock_read``; SQLite's ``BEGIN IMMEDIATE`` holds the only write lock) and the order's holds
  are checked again against every other order's committed holds (``OutOfStock`` undoes it all). The writes,
  the lock and the read go to PostgreSQL in one round trip. Concurrent placements for the same SKU therefore
  see each other's holds and can never sell more than there is, and the lock every order of a surge wants is
  held for the transaction's last round trips only.
* The order number comes from the database (``id_sequence``'s autoincrement, see ``adapters.store.ids``),
  so numbers are unique across processes.
* Status changes (sort, payment, dispatch, delivery, cancellation, return) load the order and its stock into
  the core, call the core's function, and write back the order and the stock difference. ``stock``'s CHECK
  constraints (nothing negative, allocated <= on hand) are the last line of defence.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import partial
from typing import Callable, Mapping, Sequence

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update

from adapters.store.addresses import address_columns, to_address
from adapters.store.catalog import HOLD, STOCK, SqlCatalog, load_stock_book, send_products, send_stock_read, stock_book
from adapters.store.eventlog import insert_records
from adapters.store.ids import SqlIds
from adapters.store.models import CustomerRow, OrderLineRow, OrderRow
from adapters.store.pipeline import pipelined, send_read, write_rows
from adapters.store.settings import StoreAccess
from core import orders as core_orders
from core.catalog import Catalog, StockBook, Warehouse
from core.customers import UnknownCustomer
from core.orders import PLACED, SORTED, Courier, MediaSurvey, Order, OrderError, OrderLine, PlaceOrder, order_log_record

ORDER = OrderRow.__table__
LINE = OrderLineRow.__table__
CUSTOMER = CustomerRow.__table__
_CUSTOMER_ID = select(CUSTOMER.c.id).where(CUSTOMER.c.id == bindparam("customer_id"))


class UnknownOrder(OrderError):
    def __init__(self, order_id: str) -> None:
        super().__init__(f"no order {order_id!r}")
        self.order_id = order_id


class OrderConflict(OrderError):
    """The order changed under us (another worker got there first)."""


def _skus_of(lines: Mapping[str, int] | Sequence[tuple[str, int]]) -> list[str]:
    pairs = lines.items() if isinstance(lines, Mapping) else lines
    return sorted({sku for sku, _ in pairs})


# order fields stored as they are (the survey, history and address take columns of their own)
_ORDER_FIELDS = (
    "customer_id",
    "payment",
    "placed_at",
    "hotline",
    "call_id",
    "agent_id",
    "discount",
    "total",
    "status",
    "warehouse",
    "courier",
    "paid_at",
)


def _order_columns(order: Order) -> dict:
    survey = order.survey
    return dict(
        survey_channel=survey.channel if survey else None,
        survey_program=survey.program if survey else "",
        survey_airing_id=survey.airing_id if survey else "",
        **{name: getattr(order, name) for name in _ORDER_FIELDS},
        history=json.dumps([list(step) for step in order.history], ensure_ascii=False),
        **address_columns(order.address),
    )


def _to_order(row, lines) -> Order:
    survey = (
        MediaSurvey(row.survey_channel, row.survey_program, row.survey_airing_id)
        if row.survey_channel is not None
        else None
    )
    return Order(
        order_id=row.id,
        customer_id=row.customer_id,
        lines=tuple(OrderLine(line.sku, line.name, int(line.quantity), Decimal(line.unit_price)) for line in lines),
        payment=row.payment,
        address=to_address(row),
        placed_at=float(row.placed_at),
        survey=survey,
        hotline=row.hotline,
        call_id=row.call_id,
        agent_id=row.agent_id,
        discount=Decimal(row.discount),
        status=row.status,
        warehouse=row.warehouse,
        courier=row.courier,
        paid_at=None if row.paid_at is None else float(row.paid_at),
        history=[(float(t), s, n) for t, s, n in json.loads(row.history)],
    )


def _stock_state(book: StockBook, skus: Sequence[str]) -> dict[tuple[str, str], tuple[int, int]]:
    return {(w, sku): (book.on_hand(w, sku), book.allocated(w, sku)) for w in book.warehouses() for sku in skus}


class SqlOrders:
    """Orders in the database (see the module docstring for the guarantees).

    * ``place(command: PlaceOrder, now: float | None = None) -> Order`` -- ``now`` defaults to ``command.now``;
      raises ``OutOfStock`` (nothing stored), ``UnknownProduct``, ``UnknownCustomer`` or ``OrderError``;
    * ``get(order_id) -> Order`` (``UnknownOrder``), ``for_customer(customer_id) -> list[Order]`` newest first,
      ``list(status=None, limit=None) -> list[Order]`` newest first;
    * status changes, each returning the changed ``Order`` and raising the core's ``InvalidTransition`` /
      ``OrderError`` / ``CannotSort``: ``sort(order_id, now, warehouses=None, couriers=None)`` (default: the
      ``SqlCatalog``'s), ``record_payment(order_id, now)``, ``dispatch(order_id, now)``,
      ``deliver(order_id, now)``, ``cancel(order_id, now, reason)``,
      ``return_order(order_id, now, reason, restock=True)``.

    ``log_source`` is the event-log ``source`` of the ORDER_PLACED records. ``refuse_resent`` (the use cases'
    units of work): an order identical to one the call already has raises ``AlreadyPlaced`` (a resent request).
    ``write_at_commit`` and ``before_commit`` (a unit of work's, both or neither): where ``place`` leaves its
    writes, and its locked check, to run as the unit commits.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        log_source: str = "",
        connection: Connection | None = None,
        refuse_resent: bool = False,
        write_at_commit: Callable[[Callable[[], None]], None] | None = None,
        before_commit: Callable[[Callable[[], Callable[[], None]]], None] | None = None,
    ) -> None:
        self.engine = engine
        self.db = StoreAccess(engine, connection)
        self.log_source = log_source
        self.refuse_resent = refuse_resent
        self.write_at_commit = write_at_commit
        self.before_commit = before_commit

    # --- placing ---------------------------------------------------------------------------------

    def place(self, command: PlaceOrder, now: float | None = None) -> Order:
        """Priced and checked against the stock as it stands; then its rows are written, the SKUs locked and the
        order's stock checked again against every other order's (``OutOfStock``; a copy of an order the call
        has already: ``AlreadyPlaced``), the writes, the lock and the stock read in one round trip
        (``adapters.store.pipeline``). Under a surge every order wants the same product's rows: the locks are
        held for the transaction's last round trips only. In a unit of work (``write_at_commit``,
        ``before_commit``) the rows are written, and the locked check runs, as the unit commits, after
        whatever else the unit writes (the order's audit row), and ``OutOfStock`` / ``AlreadyPlaced`` then come
        from the commit. Alone, a refusal rolls its transaction back; in a unit the unit must then roll back
        (``app.orders.place_order`` does): no savepoint, two round trips fewer on every order."""
        if now is not None:
            command.now = now
        skus = _skus_of(command.lines)
        with self.db.write() as connection:
            with pipelined(connection):  # three reads, one round trip
                known = send_read(connection, [_CUSTOMER_ID], {"customer_id": command.customer_id})
                products = send_products(connection, skus)
                stock = send_stock_read(connection, skus, lock=False)
            if not known():
                raise UnknownCustomer(command.customer_id)
            catalog, book = Catalog(products()), stock_book(stock())
            order = core_orders.place_order(command, catalog, book, SqlIds(self.engine, connection=connection))
            write = partial(self._write_placed, connection, order)
            check = partial(self._check_locked, connection, command, order, skus)
            if self.before_commit is None or self.write_at_commit is None:
                with pipelined(connection):
                    write()
                    then = check()
                then()
            else:
                self.write_at_commit(write)
                self.before_commit(check)
        return order

    def _write_placed(self, connection: Connection, order: Order) -> None:
        """The order's rows: none of them read back, so they may wait in a pipeline."""
        write_rows(connection, ORDER, [dict(id=order.order_id, **_order_columns(order))])
        lines = [
            dict(
                order_id=order.order_id,
                position=i,
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for i, line in enumerate(order.lines)
        ]
        write_rows(connection, LINE, lines)
        holds = [dict(order_id=order.order_id, sku=sku, quantity=qty) for sku, qty in order.quantities.items()]
        write_rows(connection, HOLD, holds)
        insert_records(connection, [order_log_record(order)], self.log_source)

    def _check_locked(
        self, connection: Connection, command: PlaceOrder, order: Order, skus: Sequence[str]
    ) -> Callable[[], None]:
        """Sends the SKUs' lock and stock read (in the connection's ``pipelined`` block); the function returned,
        once they are back, checks under the locks: no copy of this order for the call, and its holds still fit
        the stock beside every other order's (``stock_book`` refuses otherwise)."""
        stock = send_stock_read(connection, skus, lock=True)

        def check() -> None:
            rows = stock()
            if self.refuse_resent and command.call_id:
                self._refuse_resent(connection, command, order.order_id)
            stock_book(rows, own_order=order.order_id, own_lines=dict(order.quantities))

        return check

    def _refuse_resent(self, connection: Connection, command: PlaceOrder, placing: str) -> None:
        """``AlreadyPlaced`` when the call already has this customer's order with the same lines (not
        cancelled), other than ``placing``: the client sent it again after losing the answer. Runs under the
        SKUs' locks, so two copies sent at once see each other."""
        query = select(ORDER).where(
            ORDER.c.id != placing,
            ORDER.c.call_id == command.call_id,
            ORDER.c.customer_id == command.customer_id,
            ORDER.c.status != core_orders.CANCELLED,
        )
        pairs = command.lines.items() if isinstance(command.lines, Mapping) else command.lines
        wanted: dict[str, int] = {}
        for sku, quantity in pairs:
            wanted[sku] = wanted.get(sku, 0) + int(quantity)
        for order in self._load(connection, connection.execute(query).all()):
            if {line.sku: line.quantity for line in order.lines} == wanted:
                raise core_orders.AlreadyPlaced(order)

    # --- reading ---------------------------------------------------------------------------------

    @staticmethod
    def _load(connection: Connection, rows) -> list[Order]:
        rows = list(rows)
        if not rows:
            return []
        lines: dict[str, list] = {}
        query = select(LINE).where(LINE.c.order_id.in_([r.id for r in rows])).order_by(LINE.c.order_id, LINE.c.position)
        for line in connection.execute(query):
            lines.setdefault(line.order_id, []).append(line)
        return [_to_order(row, lines.get(row.id, [])) for row in rows]

    def _get(self, connection: Connection, order_id: str, lock: bool = False) -> Order:
        query = select(ORDER).where(ORDER.c.id == order_id)
        if lock and connection.dialect.name == "postgresql":
            query = query.with_for_update()
        found = self._load(connection, connection.execute(query).all())
        if not found:
            raise UnknownOrder(order_id)
        return found[0]

    def get(self, order_id: str) -> Order:
        with self.db.read() as connection:
            return self._get(connection, order_id)

    def for_customer(self, customer_id: str) -> list[Order]:
        query = (
            select(ORDER)
            .where(ORDER.c.customer_id == customer_id)
            .order_by(ORDER.c.placed_at.desc(), ORDER.c.id.desc())
        )
        with self.db.read() as connection:
            return self._load(connection, connection.execute(query).all())

    def list(self, status: str | None = None, limit: int | None = None) -> list[Order]:
        query = select(ORDER).order_by(ORDER.c.placed_at.desc(), ORDER.c.id.desc())
        if status is not None:
            query = query.where(ORDER.c.status == status)
        if limit is not None:
            query = query.limit(limit)
        with self.db.read() as connection:
            return self._load(connection, connection.execute(query).all())

    # --- status changes --------------------------------------------------------------------------

    def _change(self, order_id: str, change: Callable[[Order, StockBook], object]) -> Order:
        """Load the order and its SKUs' stock into the core, apply ``change``, write back the order and the
        stock difference, in one transaction with the order row and the SKUs locked."""
        with self.db.guarded() as connection:
            order = self._get(connection, order_id, lock=True)
            version = connection.execute(select(ORDER.c.version).where(ORDER.c.id == order_id)).scalar_one()
            skus = sorted(order.quantities)
            reserved = order.status in (PLACED, SORTED)
            book = load_stock_book(
                connection,
                skus,
                own_order=order.order_id,
                own_lines=order.quantities if reserved else None,
                own_warehouse=order.warehouse if order.status == SORTED else "",
                lock=True,
            )
            before = _stock_state(book, skus)
            held_before = book.reservation(order.order_id)
            change(order, book)
            after = _stock_state(book, skus)
            for (warehouse, sku), (on_hand, allocated) in after.items():
                old_on_hand, old_allocated = before.get((warehouse, sku), (0, 0))
                d_on_hand, d_allocated = on_hand - old_on_hand, allocated - old_allocated
                if d_on_hand or d_allocated:
                    changed = connection.execute(
                        update(STOCK)
                        .where(STOCK.c.warehouse_id == warehouse, STOCK.c.sku == sku)
                        .values(on_hand=STOCK.c.on_hand + d_on_hand, allocated=STOCK.c.allocated + d_allocated)
                    ).rowcount
                    if changed == 0:
                        connection.execute(
                            insert(STOCK).values(
                                warehouse_id=warehouse, sku=sku, on_hand=d_on_hand, allocated=d_allocated
                            )
                        )
            held_after = book.reservation(order.order_id)
            if held_before and held_before[0] == "" and not (held_after and held_after[0] == ""):
                connection.execute(delete(HOLD).where(HOLD.c.order_id == order.order_id))
            changed = connection.execute(
                update(ORDER)
                .where(ORDER.c.id == order_id, ORDER.c.version == version)
                .values(version=version + 1, **_order_columns(order))
            ).rowcount
            if changed != 1:
                raise OrderConflict(f"order {order_id} changed while it was being updated")
        order.events.clear()  # the changes are stored; the events were the core's account of them
        return order

    def sort(
        self,
        order_id: str,
        now: float,
        warehouses: Sequence[Warehouse] | None = None,
        couriers: Sequence[Courier] | None = None,
    ) -> Order:
        """Assign a warehouse and courier (``core.orders.choose_fulfilment``) and allocate the stock there."""
        if warehouses is None or couriers is None:
            catalog = SqlCatalog(self.engine, connection=self.db.connection)
            warehouses = catalog.warehouses() if warehouses is None else warehouses
            couriers = catalog.couriers() if couriers is None else couriers
        return self._change(order_id, lambda o, book: core_orders.sort_order(o, book, warehouses, couriers, now))

    def record_payment(self, order_id: str, now: float) -> Order:
        return self._change(order_id, lambda o, book: core_orders.record_payment(o, now))

    def dispatch(self, order_id: str, now: float) -> Order:
        return self._change(order_id, lambda o, book: core_orders.dispatch(o, book, now))

    def deliver(self, order_id: str, now: float) -> Order:
        return self._change(order_id, lambda o, book: core_orders.deliver(o, now))

    def cancel(self, order_id: str, now: float, reason: str) -> Order:
        return self._change(order_id, lambda o, book: core_orders.cancel(o, book, now, reason))

    def return_order(self, order_id: str, now: float, reason: str, *, restock: bool = True) -> Order:
        return self._change(order_id, lambda o, book: core_orders.return_order(o, book, now, reason, restock=restock))
