"""What media ROI attributes (``core.media``): calls and orders, read from an event log (twin or live) or given
as plain items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from core.log import OUTCOME_OF_VERB, LogRecord, Verb
from core.orders import ORDER_PLACED


class MediaError(ValueError):
    """Inputs that cannot be attributed (repeated airing IDs, a call without a time, ...)."""


ANSWERED = "answered"
ABANDONED = "abandoned"
CALLBACK = "callback"  # left the queue for the callback prompt


@dataclass(frozen=True, slots=True)
class Call:
    call_id: str
    time: float
    hotline: str
    outcome: str = ""  # answered | abandoned | callback | rejected | "" (unknown / still going)
    ticket: bool = False  # a callback ticket was created for it


@dataclass(frozen=True, slots=True)
class OrderFact:
    time: float
    hotline: str
    revenue: float
    call_id: str = ""
    order_id: str = ""


def calls_from_log(records: Iterable[LogRecord]) -> list[Call]:
    """One Call per ENTERQUEUE (at the hotline it names), with the outcome its terminal verb names and whether a
    callback ticket was created for it. Calls that never queued (REJECTED, OUTOFHOURS) are not counted."""
    entered: dict[str, tuple[float, str]] = {}
    outcome: dict[str, str] = {}
    tickets: set[str] = set()
    for record in records:
        verb = record.verb
        if verb == Verb.ENTERQUEUE:
            if record.call_id not in entered:  # the first entry counts; overflow does not make a new call
                entered[record.call_id] = (float(record.time), str(record.field("hotline")))
        elif verb in OUTCOME_OF_VERB:
            outcome.setdefault(record.call_id, OUTCOME_OF_VERB[verb])
        elif verb == Verb.CALLBACK_CREATED:
            tickets.add(record.call_id)
    return [
        Call(call_id, time, hotline, outcome.get(call_id, ""), call_id in tickets)
        for call_id, (time, hotline) in entered.items()
    ]


def orders_from_log(records: Iterable[LogRecord]) -> list[OrderFact]:
    """ORDER_PLACED records as order facts."""
    return [
        OrderFact(
            float(r.time),
            str(r.field("hotline")),
            float(str(r.field("total"))),
            "" if r.call_id == "NONE" else r.call_id,
            str(r.field("order")),
        )
        for r in records
        if r.verb == ORDER_PLACED
    ]


def as_calls(items: Iterable[object]) -> list[Call]:
    """Calls given as a whole event log, or as Call / (time, hotline, call_id[, outcome, ticket]) items."""
    items = list(items)
    if any(isinstance(item, LogRecord) for item in items):
        if not all(isinstance(item, LogRecord) for item in items):
            raise MediaError("calls: pass either a whole event log or Call / tuple items, not a mix")
        return calls_from_log(items)  # type: ignore[arg-type]
    calls = []
    for item in items:
        if isinstance(item, Call):
            calls.append(item)
        elif isinstance(item, tuple) and len(item) in (3, 4, 5):
            time, hotline, call_id, *rest = item
            calls.append(Call(str(call_id), float(time), str(hotline), *rest))
        else:
            raise MediaError(f"a call is a Call, a LogRecord or (time, hotline, call_id[, outcome, ticket]): {item!r}")
    return calls


def as_orders(items: Iterable[object]) -> list[OrderFact]:
    """Orders given as OrderFact items, ORDER_PLACED records or (time, hotline, revenue[, call_id, order_id])."""
    orders = []
    for item in items:
        if isinstance(item, OrderFact):
            orders.append(item)
        elif isinstance(item, LogRecord):
            orders.extend(orders_from_log([item]))
        elif isinstance(item, tuple) and len(item) in (3, 4, 5):
            time, hotline, revenue, *rest = item
            orders.append(OrderFact(float(time), str(hotline), float(revenue), *map(str, rest)))
        else:
            raise MediaError(
                f"an order is an OrderFact, an ORDER_PLACED LogRecord or (time, hotline, revenue): {item!r}"
            )
    return orders
