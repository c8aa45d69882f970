"""What the agent's screen shows when a call rings: gathered from the store for one live call event.

``screen_pop(engine, settings, event, now, unmasked)`` -> ``ScreenPop``: the caller (masked unless the role may
see numbers), the region of the number, every customer the number matches with its history newest first
(orders and calls from the store, complaints, open callback tickets), VIP and owner flags from the site
configuration, and the airing on air for the dialled hotline (the order form's media survey starts from it).
Reads only; the page audits the lookup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from adapters.geo.phone_regions import PhoneNumberRegions
from adapters.store.airings import SqlAirings
from adapters.store.call_records import SqlCallRecords
from adapters.store.customers import SqlCustomers
from adapters.store.site import SqlSiteConfigs
from adapters.store.tickets import SqlTickets
from console.schemas import masked_text
from console.settings import ConsoleSettings
from core.config import Airing, CenterConfig
from core.customers import Customer, find_customers
from core.phones import InvalidPhoneNumber, parse_phone
from core.regions import Division
from twin.site import site_from_document

HISTORY_LIMIT = 20  # lines per customer on the pop; the customer page has the rest
LONGEST_AIRING = 6 * 3600.0  # airings that started longer ago than this are not looked at for "on air"


@dataclass
class HistoryLine:
    at: float
    kind: str  # order, call, complaint, ticket
    text: str
    status: str = ""


@dataclass
class PoppedCustomer:
    customer: Customer
    history: list[HistoryLine]


@dataclass
class ScreenPop:
    seq: int
    call_id: str
    kind: str  # ringing or connected
    caller_shown: str  # masked for agents
    hotline: str
    queue: str
    region: Division | None
    customers: list[PoppedCustomer]
    vip: bool = False
    owner: str = ""
    on_air: Airing | None = None
    tickets: list[HistoryLine] = field(default_factory=list)


@lru_cache(maxsize=1)
def phone_regions() -> PhoneNumberRegions:
    return PhoneNumberRegions()


_parsed_sites: dict[tuple, CenterConfig] = {}


def site_config(engine) -> CenterConfig | None:
    """The stored site configuration's routing model (VIPs, owners, wrap-up), parsed once per version."""
    latest = SqlSiteConfigs(engine).latest()
    if latest is None:
        return None
    key = (str(engine.url), latest.version, latest.saved_at)
    if key not in _parsed_sites:
        _parsed_sites.clear()  # one site at a time: a new version replaces the old
        _parsed_sites[key] = site_from_document(latest.document).config
    return _parsed_sites[key]


def on_air(engine, hotline: str, now: float) -> Airing | None:
    """The airing on this hotline's screen now (the latest to start, if two overlap)."""
    if not hotline:
        return None
    recent = SqlAirings(engine).list(hotline=hotline, start=now - LONGEST_AIRING, end=now)
    showing = [a for a in recent if a.start <= now < a.start + a.length]
    return max(showing, key=lambda a: a.start, default=None)


def _history(engine, customer: Customer, complaints) -> list[HistoryLine]:
    lines = []
    for entry in SqlCustomers(engine).history(customer.customer_id, HISTORY_LIMIT):
        item = entry.item
        if entry.kind == "order":
            names = ", ".join(f"{line.name}×{line.quantity}" for line in item.lines)
            lines.append(HistoryLine(entry.at, "order", f"{item.order_id} {names} ¥{item.total}", item.status))
        else:
            lines.append(HistoryLine(entry.at, "call", f"{item.business_type} {item.summary}".strip(), item.call_type))
    lines += [
        HistoryLine(c.opened_at, "complaint", f"{c.complaint_id} {c.description}", c.status)
        for c in complaints
        if c.customer_id == customer.customer_id
    ]
    return sorted(lines, key=lambda line: line.at, reverse=True)


def screen_pop(engine, settings: ConsoleSettings, event: dict, now: float, unmasked: bool) -> ScreenPop:
    payload = event["payload"]
    caller = payload.get("caller") or ""
    try:
        number = parse_phone(caller, default_area_code=settings.default_area_code) if caller else None
    except InvalidPhoneNumber:
        number = None  # withheld or internal: nobody to look up
    found = find_customers(SqlCustomers(engine), number) if number is not None else []
    ids = [c.customer_id for c in found]
    complaints = SqlCallRecords(engine).complaints(customer_ids=ids) if found else []
    ticket = SqlTickets(engine, source=settings.ticket_source).open_ticket_for(caller) if caller else None
    config = site_config(engine)
    hotline = payload.get("hotline") or ""
    return ScreenPop(
        seq=event["seq"],
        call_id=event["call_id"],
        kind=event["kind"],
        caller_shown=masked_text(caller, unmasked),
        hotline=hotline,
        queue=payload.get("queue") or "",
        region=phone_regions().region_of(number) if number is not None else None,
        customers=[PoppedCustomer(c, _history(engine, c, complaints)) for c in found],
        vip=bool(config and caller in config.vip),
        owner=(config.owners.get(caller, "") if config else ""),
        on_air=on_air(engine, hotline, now),
        tickets=[HistoryLine(ticket.created_at, "ticket", ticket.ticket_id, ticket.status)] if ticket else [],
    )
