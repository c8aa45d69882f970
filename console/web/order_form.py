"""The order form of the screen pop, built for speed: the matching customer, the address on file, cash on
delivery and the media survey are filled in from the pop; the products on air come first with their stock,
then the core's suggestions (``core.suggestions``), then the rest. One known customer and one product: click
the product, review, confirm.

``blank_order`` makes the first form; ``read_order`` checks a posted one into an ``OrderDraft`` (or the
messages per field); the router places the draft through ``app.orders.place_order``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Callable

from adapters.geo.divisions import load_divisions
from adapters.store.catalog import SqlCatalog, load_stock_book
from adapters.store.customers import SqlCustomers
from console.models import AppUser
from console.permissions import DISCOUNT_LIMIT
from core.catalog import Catalog, Product
from core.customers import UnknownCustomer
from core.orders import PAYMENT_METHODS, MediaSurvey, OrderLine
from core.phones import InvalidPhoneNumber, parse_phone
from core.regions import Address, AddressError, Division, find_divisions
from core.suggestions import SuggestionRule, suggest

NEW = "new"
QTY = "qty_"  # the form's quantity field of a product: qty_<SKU>
MAX_QUANTITY = 999
TEXT_LIMITS = {
    "lookup": 40,
    "new_name": 64,
    "new_phone": 40,
    "city": 40,
    "detail": 200,
    "recipient": 64,
    "channel": 64,
    "program": 128,
    "airing_id": 64,
}
MONEY = re.compile(r"^\d{1,7}(\.\d{1,2})?$")


@dataclass
class ProductChoice:
    product: Product
    available: int
    on_air: bool = False
    pitch: str = ""

    @property
    def field(self) -> str:
        return QTY + self.product.sku


@dataclass
class OrderDraft:
    customer_id: str  # "" for a new customer
    new_name: str
    new_phone: str
    address: Address | None  # None: the customer's first address on file
    lines: dict[str, int]
    payment: str
    survey: MediaSurvey | None
    discount: Decimal
    readback: list[OrderLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.readback), Decimal("0.00")) - self.discount


def product_choices(engine, airing_id: str) -> list[ProductChoice]:
    """Active products with what they can still sell: on air first, then suggested, then by SKU."""
    products = SqlCatalog(engine).products(active_only=True)
    with engine.connect() as connection:
        book = load_stock_book(connection, [p.sku for p in products])
    rules = [SuggestionRule(suggest=p.sku, when_airing=airing_id) for p in products if airing_id in p.airings]
    suggested = {
        s.sku: " ".join(s.pitches)
        for s in suggest(rules, Catalog(products), [], airing_id, book.available, limit=len(rules))
    }
    choices = [ProductChoice(p, book.available(p.sku), p.sku in suggested, suggested.get(p.sku, "")) for p in products]
    order = {sku: rank for rank, sku in enumerate(suggested)}
    return sorted(choices, key=lambda c: (order.get(c.product.sku, len(order)), c.product.sku))


def blank_order(engine, pop, user: AppUser) -> tuple[dict[str, str], list[ProductChoice]]:
    """The first form of a pop: its first customer, that customer's first address, the airing on air."""
    first = pop.customers[0].customer if pop.customers else None
    airing = pop.on_air
    values = {
        "seq": str(pop.seq),
        "customer": first.customer_id if first else NEW,
        "customer_ids": ",".join(c.customer.customer_id for c in pop.customers),
        "address": "0" if first and first.addresses else NEW,
        "payment": PAYMENT_METHODS[0],
        "discount": "0",
        "channel": airing.channel if airing else "",
        "program": airing.product if airing else "",
        "airing_id": airing.airing_id if airing else "",
    }
    return values, product_choices(engine, airing.airing_id if airing else "")


def customers_of(engine, form: dict[str, str]) -> list:
    """The customers the pop offered (the form carries their ids), for the form shown again."""
    customers = SqlCustomers(engine)
    found = []
    for customer_id in form.get("customer_ids", "").split(",")[:20]:
        try:
            found.append(customers.get(customer_id.strip()))
        except UnknownCustomer:
            continue
    if form.get("customer") not in ("", NEW, *[c.customer_id for c in found]):  # a customer registered in a retry
        try:
            found.append(customers.get(form["customer"]))
        except UnknownCustomer:
            pass
    return found


def resolve_city(entry: str) -> tuple[Division | None, str]:
    """A division code (what the page's list offers), else pinyin initials or a postcode; (division, problem)
    where problem is "" / "unknown" / "ambiguous"."""
    divisions = load_divisions()
    exact = divisions.get(entry.strip()) if entry.strip().isdigit() else None
    if exact is not None:
        return exact, ""
    try:
        found = find_divisions(divisions, entry, limit=2)
    except AddressError:
        return None, "unknown"
    if len(found) != 1:
        return None, "unknown" if not found else "ambiguous"
    return found[0], ""


def read_order(
    engine, form: dict[str, str], user: AppUser, caller: str, area_code: str | None, t: Callable[..., str]
) -> tuple[OrderDraft | None, dict[str, str]]:
    """The posted form as a draft, or a message per field. ``caller`` is the call's number (for a new
    customer who gives no other)."""
    errors: dict[str, str] = {}
    for name, limit in TEXT_LIMITS.items():
        if len(form.get(name, "")) > limit:
            errors[name] = t("field.too_long", n=limit)
    customer_id = form.get("customer", "")
    customer = None
    if customer_id and customer_id != NEW:
        try:
            customer = SqlCustomers(engine).get(customer_id)
        except UnknownCustomer:
            errors["customer"] = t("order.pick_customer")
    elif customer_id != NEW:
        errors["customer"] = t("order.pick_customer")
    new_name, new_phone = form.get("new_name", "").strip(), form.get("new_phone", "").strip()
    if customer_id == NEW:
        if not new_name:
            errors["new_name"] = t("field.required")
        try:
            parse_phone(new_phone or caller, default_area_code=area_code)
        except InvalidPhoneNumber as error:
            errors["new_phone"] = str(error) if new_phone else t("field.required")

    address = None
    if form.get("address", NEW) == NEW or customer is None or not customer.addresses:
        division, problem = resolve_city(form.get("city", "")) if form.get("city", "").strip() else (None, "missing")
        if problem:
            errors["city"] = t(
                {"missing": "field.required", "unknown": "order.city_unknown", "ambiguous": "order.city_ambiguous"}[
                    problem
                ]
            )
        if not form.get("detail", "").strip():
            errors["detail"] = t("field.required")
        if division is not None and not errors.get("detail"):
            address = Address(division, form["detail"].strip(), recipient=form.get("recipient", "").strip())
    else:
        index = form.get("address", "0")
        if not index.isdigit() or int(index) >= len(customer.addresses):
            errors["address"] = t("field.choice")
        else:
            address = customer.addresses[int(index)]

    products = {p.sku: p for p in SqlCatalog(engine).products(active_only=True)}
    lines: dict[str, int] = {}
    for name, value in form.items():
        if not name.startswith(QTY) or not value.strip():
            continue
        sku = name[len(QTY) :]
        if not value.strip().isdigit():
            errors[name] = t("field.number")
        elif int(value) > MAX_QUANTITY:
            errors[name] = t("field.max", n=MAX_QUANTITY)
        elif int(value) > 0 and sku in products:
            lines[sku] = int(value)
    if not lines and not any(name.startswith(QTY) for name in errors):
        errors["lines"] = t("order.no_lines")
    readback = [OrderLine(sku, products[sku].name, quantity, products[sku].price) for sku, quantity in lines.items()]
    subtotal = sum((line.total for line in readback), Decimal("0.00"))

    payment = form.get("payment", "")
    if payment not in PAYMENT_METHODS:
        errors["payment"] = t("field.choice")
    discount = Decimal("0")
    text = form.get("discount", "").strip() or "0"
    try:
        if not MONEY.match(text):
            raise InvalidOperation
        discount = Decimal(text)
    except InvalidOperation:
        errors["discount"] = t("field.number")
    limit = DISCOUNT_LIMIT.get(user.role, Decimal("0"))
    if "discount" not in errors and readback and discount > (subtotal * limit).quantize(Decimal("0.01")):
        errors["discount"] = t("order.discount_limit", pct=int(limit * 100))
    channel = form.get("channel", "").strip()
    survey = MediaSurvey(channel or "unknown", form.get("program", "").strip(), form.get("airing_id", "").strip())
    if errors:
        return None, errors
    return OrderDraft(
        customer.customer_id if customer else "",
        new_name,
        new_phone,
        address,
        lines,
        payment,
        survey,
        discount,
        readback,
    ), {}
