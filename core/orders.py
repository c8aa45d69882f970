"""Orders: lines and totals in Decimal yuan, payment, delivery address, the media survey, and the status an
order moves through from placement to sorting (warehouse and courier) and dispatch.

Stock is held when an order is placed (so a surge cannot sell what is not there), allocated to a warehouse
when the order is sorted, and leaves the shelf when it is dispatched. A cancelled order gives its stock back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Iterable, Mapping, Sequence

from core.catalog import Catalog, CatalogError, StockBook, Warehouse, money
from core.config import Airing
from core.customers import IdSource
from core.log import NONE, LogRecord, Verb
from core.regions import Address

COD = "cod"  # cash on delivery (货到付款): paid to the courier
PREPAID = "prepaid"  # paid before dispatch
PAYMENT_METHODS = (COD, PREPAID)

PLACED = "placed"
SORTED = "sorted"  # warehouse and courier assigned, stock allocated there
DISPATCHED = "dispatched"  # handed to the courier
DELIVERED = "delivered"
RETURNED = "returned"  # refused at the door, or sent back after delivery
CANCELLED = "cancelled"
STATUSES = (PLACED, SORTED, DISPATCHED, DELIVERED, RETURNED, CANCELLED)

ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    PLACED: (SORTED, CANCELLED),
    SORTED: (DISPATCHED, CANCELLED),
    DISPATCHED: (DELIVERED, RETURNED),
    DELIVERED: (RETURNED,),
    RETURNED: (),
    CANCELLED: (),
}

ORDER_PLACED = Verb.ORDER_PLACED


class OrderError(ValueError):
    """An order operation the rules forbid."""


class DiscountNeedsApproval(OrderError):
    """The discount is more than the one who places the order may give alone."""


class InvalidTransition(OrderError):
    def __init__(self, order_id: str, current: str, wanted: str) -> None:
        allowed = ", ".join(ALLOWED_TRANSITIONS[current]) or "nothing (final)"
        super().__init__(f"order {order_id} is {current}; it cannot become {wanted} (allowed: {allowed})")
        self.order_id, self.current, self.wanted = order_id, current, wanted


class AlreadyPlaced(Exception):
    """The same order (customer, call and lines) is stored already: a client sent it again. ``order`` is it."""

    def __init__(self, order: "Order") -> None:
        super().__init__(f"order {order.order_id} was placed already for call {order.call_id}")
        self.order = order


class CannotSort(OrderError):
    """No warehouse / courier pair can take the order; it stays placed, its stock still held."""


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class MediaSurvey:
    """Which channel and program made the customer call (asked by the agent, or prefilled from the airing
    the call is attributed to). ``channel`` "unknown" when the caller cannot say."""

    channel: str
    program: str = ""
    airing_id: str = ""

    def __post_init__(self) -> None:
        if not self.channel.strip():
            raise OrderError("media survey: name the channel (or 'unknown')")

    @classmethod
    def from_airing(cls, airing: Airing) -> MediaSurvey:
        return cls(channel=airing.channel, program=airing.product, airing_id=airing.airing_id)


@dataclass(frozen=True, slots=True)
class Courier:
    courier_id: str
    serves: tuple[str, ...] = ("",)  # division-code prefixes it delivers to; "" = everywhere
    warehouses: frozenset[str] = frozenset()  # where it collects; empty = any
    cash_on_delivery: bool = True
    rank: int = 0  # among equally specific couriers, lower first (cheaper, faster)


# --- events (appended to Order.events; a driver or the store publishes them) -------------------------


@dataclass(frozen=True, slots=True)
class OrderPlaced:
    order_id: str
    now: float
    customer_id: str
    total: Decimal


@dataclass(frozen=True, slots=True)
class OrderStatusChanged:
    order_id: str
    now: float
    old: str
    new: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class OrderPaid:
    order_id: str
    now: float
    amount: Decimal
    payment: str


# --- the order ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class Order:
    order_id: str
    customer_id: str
    lines: tuple[OrderLine, ...]
    payment: str
    address: Address
    placed_at: float
    survey: MediaSurvey | None = None
    hotline: str = ""  # the number the customer called: media ROI attributes the order through it
    call_id: str = ""
    agent_id: str = ""
    discount: Decimal = Decimal("0.00")  # e.g. membership points redeemed
    status: str = PLACED
    warehouse: str = ""
    courier: str = ""
    paid_at: float | None = None
    history: list[tuple[float, str, str]] = field(default_factory=list)  # (time, status, note)
    events: list[object] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        """What the customer pays."""
        return self.subtotal - self.discount

    @property
    def quantities(self) -> dict[str, int]:
        return {line.sku: line.quantity for line in self.lines}

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    @property
    def is_open(self) -> bool:
        return bool(ALLOWED_TRANSITIONS[self.status])

    @property
    def awaits_payment(self) -> bool:
        """A prepaid order whose money has not arrived and that can still take it (``record_payment``)."""
        return self.payment == PREPAID and not self.is_paid and self.status not in (CANCELLED, RETURNED)

    def can_become(self, status: str) -> bool:
        return status in ALLOWED_TRANSITIONS[self.status]

    def _move(self, status: str, now: float, note: str = "") -> None:
        if status not in STATUSES:
            raise OrderError(f"{status!r} is not an order status ({', '.join(STATUSES)})")
        if not self.can_become(status):
            raise InvalidTransition(self.order_id, self.status, status)
        old, self.status = self.status, status
        self.history.append((now, status, note))
        self.events.append(OrderStatusChanged(self.order_id, now, old, status, note))

    def _pay(self, now: float) -> None:
        self.paid_at = now
        self.events.append(OrderPaid(self.order_id, now, self.total, self.payment))


# --- commands and handlers ---------------------------------------------------------------------------


@dataclass(slots=True)
class PlaceOrder:
    now: float
    customer_id: str
    lines: Mapping[str, int] | Sequence[tuple[str, int]]  # sku -> quantity
    payment: str
    address: Address | None  # None: the application layer fills in the customer's address on file
    survey: MediaSurvey | None = None
    hotline: str = ""
    call_id: str = ""
    agent_id: str = ""
    discount: Decimal | str | int = Decimal("0.00")
    discount_limit: Decimal = Decimal(1)  # the largest discount its placer may give, as a share of the subtotal


def place_order(command: PlaceOrder, catalog: Catalog, stock: StockBook, ids: IdSource) -> Order:
    """Price the lines from the catalog, hold their stock and create the order.

    Raises UnknownProduct, OutOfStock (nothing is held then), or OrderError for a bad payment method,
    quantity or discount. Repeated SKUs are merged into one line."""
    if command.payment not in PAYMENT_METHODS:
        raise OrderError(f"payment {command.payment!r} is not one of {', '.join(PAYMENT_METHODS)}")
    if command.address is None:
        raise OrderError("an order needs a delivery address")
    pairs = command.lines.items() if isinstance(command.lines, Mapping) else command.lines
    quantities: dict[str, int] = {}
    for sku, quantity in pairs:
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise OrderError(f"{sku}: quantity must be a positive whole number, not {quantity!r}")
        quantities[sku] = quantities.get(sku, 0) + quantity
    if not quantities:
        raise OrderError("an order needs at least one line")
    lines = []
    for sku, quantity in quantities.items():
        product = catalog.get(sku)
        if not product.active:
            raise OrderError(f"{sku} ({product.name}) is no longer sold")
        lines.append(OrderLine(sku, product.name, quantity, product.price))
    discount = money(command.discount)
    if discount != Decimal(command.discount):  # never rounded silently, in anyone's favour
        raise OrderError(f"discount {command.discount} is not a whole number of fen (0.01)")
    subtotal = sum((line.total for line in lines), Decimal("0.00"))
    if discount < 0 or discount > subtotal:
        raise OrderError(f"discount {discount} must be between 0 and the subtotal {subtotal}")
    allowed = (subtotal * command.discount_limit).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    if discount > allowed:
        raise DiscountNeedsApproval(
            f"discount {discount} is more than {allowed} ({command.discount_limit:.0%} of "
            f"the subtotal {subtotal}): it needs a supervisor's approval"
        )

    order_id = ids.new_id("O")
    stock.hold(order_id, quantities)  # raises OutOfStock before anything exists
    order = Order(
        order_id=order_id,
        customer_id=command.customer_id,
        lines=tuple(lines),
        payment=command.payment,
        address=command.address,
        placed_at=command.now,
        survey=command.survey,
        hotline=command.hotline,
        call_id=command.call_id,
        agent_id=command.agent_id,
        discount=discount,
    )
    order.history.append((command.now, PLACED, ""))
    order.events.append(OrderPlaced(order_id, command.now, order.customer_id, order.total))
    return order


def _closeness(code: str, prefixes: Iterable[str]) -> int:
    """How specifically a list of code prefixes covers a division: the longest matching prefix's length
    (2 province, 4 prefecture, 6 county), -1 if none matches."""
    return max((len(p) for p in prefixes if code.startswith(p)), default=-1)


def choose_fulfilment(
    order: Order, stock: StockBook, warehouses: Sequence[Warehouse], couriers: Sequence[Courier]
) -> tuple[Warehouse, Courier]:
    """The sorting rule. Warehouses that hold every line, closest to the delivery division first (a
    warehouse serving the county beats one serving the province beats one serving elsewhere), then by
    rank; for each, the couriers that collect there, deliver to the division and, for cash on delivery,
    collect cash, most specific first, then by rank. The first pair wins."""
    code = order.address.division.code
    lines = order.quantities
    stocked = [w for w in warehouses if stock.can_fill(w.warehouse_id, lines)]
    if not stocked:
        raise CannotSort(f"order {order.order_id}: no single warehouse holds all of {lines}")
    stocked.sort(key=lambda w: (-_closeness(code, w.serves or ("",)), w.rank, w.warehouse_id))
    for warehouse in stocked:
        able = [
            c
            for c in couriers
            if _closeness(code, c.serves) >= 0
            and (not c.warehouses or warehouse.warehouse_id in c.warehouses)
            and (c.cash_on_delivery or order.payment != COD)
        ]
        if able:
            able.sort(key=lambda c: (-_closeness(code, c.serves), c.rank, c.courier_id))
            return warehouse, able[0]
    raise CannotSort(
        f"order {order.order_id}: no courier delivers to {order.address.division.full_name}"
        f"{' with cash on delivery' if order.payment == COD else ''} from a warehouse that holds the goods"
    )


def sort_order(
    order: Order, stock: StockBook, warehouses: Sequence[Warehouse], couriers: Sequence[Courier], now: float
) -> Order:
    """Assign a warehouse and a courier (see ``choose_fulfilment``) and allocate the stock there."""
    if not order.can_become(SORTED):
        raise InvalidTransition(order.order_id, order.status, SORTED)
    warehouse, courier = choose_fulfilment(order, stock, warehouses, couriers)
    stock.allocate(order.order_id, warehouse.warehouse_id)
    order.warehouse, order.courier = warehouse.warehouse_id, courier.courier_id
    order._move(SORTED, now, f"{warehouse.warehouse_id} / {courier.courier_id}")
    return order


def record_payment(order: Order, now: float) -> Order:
    """A prepaid order's money arrived. (Cash on delivery is paid when delivered.)"""
    if not order.awaits_payment:  # the reason, most telling first
        if order.payment != PREPAID:
            raise OrderError(f"order {order.order_id} is cash on delivery: it is paid when delivered")
        if order.is_paid:
            raise OrderError(f"order {order.order_id} is already paid")
        raise OrderError(f"order {order.order_id} is {order.status}")
    order._pay(now)
    return order


def dispatch(order: Order, stock: StockBook, now: float) -> Order:
    """Hand the goods to the courier. A prepaid order must be paid first."""
    if not order.can_become(DISPATCHED):
        raise InvalidTransition(order.order_id, order.status, DISPATCHED)
    if order.payment == PREPAID and not order.is_paid:
        raise OrderError(f"order {order.order_id} is prepaid and not paid yet: it cannot be dispatched")
    stock.ship(order.order_id)
    order._move(DISPATCHED, now)
    return order


def deliver(order: Order, now: float) -> Order:
    """The customer received the goods; cash on delivery is paid now."""
    order._move(DELIVERED, now)
    if order.payment == COD:
        order._pay(now)
    return order


def cancel(order: Order, stock: StockBook, now: float, reason: str) -> Order:
    """Cancel before dispatch; its stock is released."""
    if not reason.strip():
        raise OrderError("say why the order is cancelled")
    if not order.can_become(CANCELLED):
        raise InvalidTransition(order.order_id, order.status, CANCELLED)
    try:
        stock.release(order.order_id)
    except CatalogError:
        pass  # nothing reserved (e.g. restored from a store that keeps no reservation): nothing to give back
    order._move(CANCELLED, now, reason)
    return order


def return_order(order: Order, stock: StockBook, now: float, reason: str, *, restock: bool = True) -> Order:
    """Goods came back (refused at the door or returned); put them back on the warehouse's shelf unless
    they are damaged."""
    if not reason.strip():
        raise OrderError("say why the order came back")
    order._move(RETURNED, now, reason)
    if restock:
        for line in order.lines:
            stock.receive(order.warehouse, line.sku, line.quantity)
    return order


def order_log_record(order: Order) -> LogRecord:
    """The ORDER_PLACED record for the event log, which media ROI reads (see core.media.orders_from_log)."""
    airing = order.survey.airing_id if order.survey else ""
    return LogRecord(
        order.placed_at,
        order.call_id or NONE,
        NONE,
        order.agent_id or NONE,
        ORDER_PLACED,
        order.order_id,
        float(order.total),
        order.hotline,
        airing,
        order.customer_id,
    )
