"""Request and response bodies of the API (pydantic), and the conversions from the core's objects.

Request bodies derive from ``Body``: NaN and Infinity are refused, and every text field is a ``Line`` (a name,
an ID, a code: at most 200 characters, no control character) or a ``Text`` (notes, a summary: at most 4000,
tab and line breaks allowed), so one request can neither store megabytes nor break an export (issue 14).

Responses carry phone numbers masked (``138****5678``) unless the caller's role has ``phones.unmasked``:
every ``*_out`` function takes ``unmasked``.

Why one module over 400 lines: it is declarations (bodies and their one-line conversions, no behaviour), one
section per resource, and every request body shares ``Body``, ``Line`` and ``Text`` defined here; the routers
in ``console/`` each import the few they use.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, create_model

from adapters.store.models import CallbackTicketBase
from adapters.store.tickets import ticket_as_dict
from console.permissions import mask_phone
from core.call_records import CallRecord, Complaint
from core.catalog import Product
from core.customers import Customer
from core.media import AiringResult
from core.orders import MediaSurvey, Order
from core.phones import PhoneNumber, parse_phone
from core.regions import Address, Division
from core.tickets import OUTCOMES, Ticket
from inputs.text import control_characters

Outcome = Literal[OUTCOMES]  # type: ignore[valid-type]
LINE_MAX = 200
TEXT_MAX = 4000
MAX_PHONES = 10
EPOCH_MAX = 4_102_444_800.0  # 2100-01-01: a time past it is a typo, not a call


def _refusing_controls(multiline: bool):
    def check(text: str) -> str:
        found = control_characters(text, multiline)
        if found:
            raise ValueError(f"control characters are not allowed here: {', '.join(found)}")
        return text

    return AfterValidator(check)


Line = Annotated[str, StringConstraints(max_length=LINE_MAX), _refusing_controls(multiline=False)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX), _refusing_controls(multiline=True)]


def same_named(model: type[BaseModel], source: object, *, besides: tuple[str, ...]) -> dict:
    """The fields of ``model`` that ``source`` (a core object) holds under the same name, except ``besides``
    (those the caller converts itself)."""
    return {name: getattr(source, name) for name in model.model_fields if name not in besides}


class Body(BaseModel):
    """A request body: finite numbers only, no text longer than ``TEXT_MAX`` whatever its field."""

    model_config = ConfigDict(allow_inf_nan=False, str_max_length=TEXT_MAX)


# --- phones and addresses -----------------------------------------------------------------------------


class PhoneOut(BaseModel):
    number: str = Field(description="as agents read it (138 0013 8000), or masked (138****8000)")
    e164: Optional[str] = Field(default=None, description="+8613800138000; only with phones.unmasked")
    kind: str
    extension: str = ""


def phone_out(number: PhoneNumber, unmasked: bool) -> PhoneOut:
    if unmasked:
        return PhoneOut(number=number.display(), e164=number.e164, kind=number.kind, extension=number.extension)
    return PhoneOut(number=mask_phone(number.domestic), kind=number.kind)


def masked_text(text: str, unmasked: bool) -> str:
    return text if unmasked else (mask_phone(text) or "")


class DivisionOut(BaseModel):
    code: str
    province: str
    city: str = ""
    county: str = ""


class AddressIn(Body):
    division_code: Line = Field(description="6-digit GB/T 2260 code, e.g. 110108")
    province: Line
    city: Line = ""
    county: Line = ""
    detail: Line = Field(description="street, building, room")
    recipient: Line = ""
    phone: Optional[Line] = Field(default=None, description="any spelling")
    postcode: Line = ""

    def to_core(self, default_area_code: str | None = None) -> Address:
        phone = parse_phone(self.phone, default_area_code=default_area_code) if self.phone else None
        return Address(
            Division(self.division_code, self.province, self.city, self.county),
            self.detail,
            recipient=self.recipient,
            phone=phone,
            postcode=self.postcode,
        )


class AddressOut(BaseModel):
    division: DivisionOut
    detail: str
    recipient: str = ""
    phone: Optional[PhoneOut] = None
    postcode: str = ""


def division_out(division: Division) -> DivisionOut:
    return DivisionOut(code=division.code, province=division.province, city=division.city, county=division.county)


def address_out(address: Address, unmasked: bool) -> AddressOut:
    return AddressOut(
        division=division_out(address.division),
        detail=address.detail,
        recipient=address.recipient,
        phone=phone_out(address.phone, unmasked) if address.phone else None,
        postcode=address.postcode,
    )


# --- customers ------------------------------------------------------------------------------------------


class CustomerCreate(Body):
    name: Line
    phones: list[Line] = Field(
        max_length=MAX_PHONES, description="any spelling: 138 0013 8000, +86-138-0013-8000, 010 6234 5678"
    )
    address: Optional[AddressIn] = None


class CustomerUpdate(Body):
    name: Optional[Line] = None
    notes: Optional[Text] = None
    add_phones: list[Line] = Field(default=[], max_length=MAX_PHONES)
    remove_phones: list[Line] = Field(
        default=[],
        max_length=MAX_PHONES,
        description=("numbers to remove; without phones.unmasked as the response shows them (138****8000)"),
    )
    add_address: Optional[AddressIn] = None


class CustomerPublic(BaseModel):
    id: str
    name: str
    phones: list[PhoneOut]
    created_at: float
    region: Optional[DivisionOut] = None
    addresses: list[AddressOut] = []
    notes: str = ""


def customer_out(customer: Customer, unmasked: bool) -> CustomerPublic:
    return CustomerPublic(
        id=customer.customer_id,
        name=customer.name,
        phones=[phone_out(p, unmasked) for p in customer.phones],
        created_at=customer.created_at,
        region=division_out(customer.region) if customer.region else None,
        addresses=[address_out(a, unmasked) for a in customer.addresses],
        notes=customer.notes,
    )


# --- products -------------------------------------------------------------------------------------------


class ProductPublic(BaseModel):
    sku: str
    name: str
    price: Decimal
    active: bool
    airings: list[str]
    available: Optional[int] = Field(default=None, description="units a new order can still take")


def product_out(product: Product, available: int | None = None) -> ProductPublic:
    return ProductPublic(
        sku=product.sku,
        name=product.name,
        price=product.price,
        active=product.active,
        airings=sorted(product.airings),
        available=available,
    )


# --- orders ---------------------------------------------------------------------------------------------


class LineIn(Body):
    sku: Line
    quantity: int = Field(le=10_000)


class SurveyOut(BaseModel):
    channel: str = Field(description="the channel the caller saw, or 'unknown'")
    program: str = ""
    airing_id: str = ""


class SurveyIn(Body):
    channel: Line = Field(description="the channel the caller saw, or 'unknown'")
    program: Line = ""
    airing_id: Line = ""

    def to_core(self) -> MediaSurvey:
        return MediaSurvey(self.channel, self.program, self.airing_id)


class Approval(Body):
    """A supervisor's approval, typed by the supervisor at the agent's desk."""

    username: Line
    password: str = Field(max_length=256)


class OrderCreate(Body):
    customer_id: Line
    lines: list[LineIn] = Field(max_length=100)
    payment: Line = Field(description="cod | prepaid")
    address: Optional[AddressIn] = Field(default=None, description="default: the customer's first address")
    survey: Optional[SurveyIn] = None
    hotline: Line = ""
    call_id: Line = ""
    discount: Decimal = Field(
        default=Decimal("0.00"),
        ge=0,
        decimal_places=2,
        max_digits=12,
        description="yuan off, to the fen (more decimals are refused, never rounded); "
        "over the role's limit (HOTLINE_DISCOUNT_LIMITS) it needs `approval`",
    )
    approval: Optional[Approval] = Field(
        default=None, description="a supervisor's name and password, for a discount over the placer's own limit"
    )


class OrderCancel(Body):
    reason: Text


class OrderStep(BaseModel):
    """One step of the order's life after it is taken (``app.orders.FulfilOrder``)."""

    step: Literal["sort", "pay", "dispatch", "deliver", "return"]
    reason: str = Field(default="", max_length=500, description="why it came back (return: required)")
    restock: bool = Field(default=True, description="return: put the goods back on the warehouse's shelf")


class LineOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


class StepOut(BaseModel):
    at: float
    status: str
    note: str = ""


class OrderPublic(BaseModel):
    id: str
    customer_id: str
    lines: list[LineOut]
    payment: str
    address: AddressOut
    placed_at: float
    survey: Optional[SurveyOut] = None
    hotline: str = ""
    call_id: str = ""
    agent_id: str = ""
    discount: Decimal
    total: Decimal
    status: str
    warehouse: str = ""
    courier: str = ""
    paid_at: Optional[float] = None
    history: list[StepOut] = []


def order_out(order: Order, unmasked: bool) -> OrderPublic:
    survey = order.survey
    return OrderPublic(
        id=order.order_id,
        lines=[
            LineOut(sku=line.sku, name=line.name, quantity=line.quantity, unit_price=line.unit_price)
            for line in order.lines
        ],
        address=address_out(order.address, unmasked),
        survey=SurveyOut(channel=survey.channel, program=survey.program, airing_id=survey.airing_id)
        if survey
        else None,
        history=[StepOut(at=t, status=s, note=n) for t, s, n in order.history],
        **same_named(OrderPublic, order, besides=("id", "lines", "address", "survey", "history")),
    )


# --- call records and complaints --------------------------------------------------------------------------


# a moment as epoch seconds: finite, between 2000 and 2100 (NaN, Infinity and absurd values are refused)
Moment = Annotated[float, Field(allow_inf_nan=False, ge=946684800, lt=4102444800)]


class CallRecordBase(BaseModel):
    call_id: str
    caller: str = Field(
        default="",
        description="in: the caller's number in any spelling (empty when withheld); "
        "out: its E.164 key, masked unless phones.unmasked",
    )
    started_at: Moment
    ended_at: Moment
    answered_at: Optional[Moment] = None
    call_type: str = "normal"
    business_type: str = "inquiry"
    summary: str = ""
    customer_id: str = ""
    order_id: str = ""
    direction: str = "inbound"


class CallRecordCreate(CallRecordBase, Body):
    call_id: Line
    caller: Line = Field(default="", description="the caller's number in any spelling (empty when withheld)")
    started_at: float = Field(ge=0, le=EPOCH_MAX)
    ended_at: float = Field(ge=0, le=EPOCH_MAX)
    answered_at: Optional[float] = Field(default=None, ge=0, le=EPOCH_MAX)
    call_type: Line = "normal"
    business_type: Line = "inquiry"
    summary: Text = ""
    customer_id: Line = ""
    order_id: Line = ""
    direction: Line = "inbound"


class CallRecordPublic(CallRecordBase):
    id: str
    agent_id: str
    recording: str = Field(default="", description="the call's recording file (GET /api/recordings/{name})")


def call_record_out(record: CallRecord, unmasked: bool) -> CallRecordPublic:
    values = {name: getattr(record, name) for name in CallRecordPublic.model_fields if name != "id"}
    values["caller"] = masked_text(record.caller, unmasked)
    return CallRecordPublic(id=record.record_id, **values)


class ComplaintCreate(Body):
    record_id: Line = Field(description="the complaint call's record")
    description: Text = Field(default="", description="default: the call's summary")
    category: Line = ""
    order_id: Line = ""


class ComplaintUpdate(Body):
    status: Literal["in_progress", "resolved", "closed"] = Field(
        description="in_progress: assign (or reopen a resolved one); resolved: say what was done; closed: "
        "the customer confirmed (needs complaints.close)"
    )
    handler: Line = Field(default="", description="the user name of an active user who works on it")
    resolution: Text = ""
    note: Text = ""


class ComplaintStepOut(BaseModel):
    at: float
    status: str
    by: str
    note: str = ""


class ComplaintPublic(BaseModel):
    id: str
    record_id: str
    customer_id: str
    opened_at: float
    description: str
    order_id: str
    category: str
    status: str
    handler: str
    resolution: str
    closed_at: Optional[float] = None
    steps: list[ComplaintStepOut]


def complaint_out(complaint: Complaint) -> ComplaintPublic:
    return ComplaintPublic(
        id=complaint.complaint_id,
        steps=[ComplaintStepOut(at=s.at, status=s.status, by=s.by, note=s.note) for s in complaint.steps],
        **same_named(ComplaintPublic, complaint, besides=("id", "steps")),
    )


# --- history --------------------------------------------------------------------------------------------


class HistoryEntryOut(BaseModel):
    at: float
    kind: Literal["order", "call"]
    order: Optional[OrderPublic] = None
    call: Optional[CallRecordPublic] = None


# --- callbacks ------------------------------------------------------------------------------------------


class TicketPublic(CallbackTicketBase):
    id: str
    status: str
    claimer: Optional[str] = None
    attempts: int
    outcome: Optional[str] = None
    next_try_at: float


def ticket_out(ticket: Ticket, unmasked: bool) -> TicketPublic:
    values = ticket_as_dict(ticket)
    values["id"], values["number"] = values.pop("ticket_id"), masked_text(ticket.number, unmasked)
    return TicketPublic(**values)


class CallbackComplete(Body):
    outcome: Outcome


class CallbackReassign(Body):
    agent: Line = Field(description="the user name of the active user who takes the ticket over")


# --- airings and reports --------------------------------------------------------------------------------


class AiringPublic(BaseModel):
    id: str
    channel: str
    start: float
    length: float
    hotline: str
    product: str = ""
    kind: str = "spot"
    cost: float = 0.0


class AiringUpload(BaseModel):
    stored: int
    airings: list[AiringPublic]


def _roi_row_fields() -> dict:
    """``core.media.AiringResult.as_row()``'s columns: its fields, then its derived figures (None where the
    divisor is 0)."""
    fields = {f.name: (str if f.type == "str" else float, ...) for f in dataclasses.fields(AiringResult)}
    fields.update(
        {name: (Optional[float], None) for name, value in vars(AiringResult).items() if isinstance(value, property)}
    )
    return fields


RoiRow = create_model("RoiRow", **_roi_row_fields())


class RoiReport(BaseModel):
    airings: list[RoiRow]
    unattributed: RoiRow
    total_calls: int
    total_orders: int
    total_revenue: float


class Health(BaseModel):
    status: str = "ok"


class SiteVersionPublic(BaseModel):
    version: int = Field(description="1, 2, ...: every change is a new version")
    saved_at: float = Field(description="epoch seconds")
    saved_by: str
    note: str = ""


class SitePublic(SiteVersionPublic):
    site: dict = Field(description="the site configuration in the scenario format (the body PUT /api/site takes)")
