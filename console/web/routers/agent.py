"""The agent's desk: the state bar (its buttons call the API's live commands from the page), the screen pop
of a ringing or connected call (fetched by the page when the WebSocket stream says so), and the call record
with its disposition at the end of the call. The order form lives in ``order_entry``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from adapters.store.customers import SqlCustomers
from adapters.store.live_channel import SqlLiveEvents, SqlLiveStates
from adapters.store.orders import SqlOrders, UnknownOrder
from app.calls import OpenComplaint, RecordCall, open_complaint, record_call
from app.live import HEARTBEAT_STALE, AgentStatus, agent_states
from console.deps import AuditDep, EngineDep, Now, SettingsDep, UnitOfWorkDep, Unmasked, require
from console.models import AppUser
from console.permissions import can
from console.routers.agents import agent_id_of
from console.routers.stream import CALL_KINDS
from console.web.forms import FormDep, check
from console.web.i18n import MESSAGES
from console.web.order_form import blank_order
from console.web.render import Labels, render
from console.web.screen_pop import screen_pop, site_config
from core.call_records import BUSINESS_TYPES, CALL_TYPES
from core.customers import UnknownCustomer

router = APIRouter()
LiveUser = Annotated[AppUser, require("live.self")]
Seq = Annotated[int, Query(ge=1, le=2**62)]
PAUSE_REASONS = ("break", "meal", "meeting", "training")
CALL_EVENTS_READ = 200  # events of one agent read after a pop to find how its call went


def call_event(engine, user: AppUser, seq: int) -> dict:
    """The ringing / connected event ``seq``: the user's own (as an agent), any agent's for a supervisor."""
    own = None if can(user.role, "live.agents") else agent_id_of(user.username, engine)
    found = SqlLiveEvents(engine).after(seq - 1, own, limit=1)
    if not found or found[0]["seq"] != seq or found[0]["kind"] not in CALL_KINDS:
        raise HTTPException(404, f"no call event {seq} of yours")
    return found[0]


@router.get("/agent")
def desk(request: Request, t: Labels, user: LiveUser, engine: EngineDep, now: Now):
    agent_id = agent_id_of(user.username, engine)
    states = SqlLiveStates(engine)
    mine = agent_states(states, agent_id)
    state = mine[0] if mine else AgentStatus(agent_id, "out")
    config = site_config(engine)
    beat = states.heartbeat()
    labels = {key.removeprefix("state."): t(key) for key in MESSAGES if key.startswith("state.")}
    labels["_wrapup_left"] = t("desk.wrapup_left", s="{s}")
    return render(
        request,
        "agent/desk.html",
        user,
        agent_id=agent_id,
        state=state,
        labels=labels,
        wrapup=config.policy.wrapup if config else 0,
        reasons=PAUSE_REASONS,
        live=beat is not None and now - beat <= HEARTBEAT_STALE,
        after=SqlLiveEvents(engine).last_seq(),
    )


@router.get("/agent/pop")
def pop(
    request: Request,
    seq: Seq,
    user: LiveUser,
    engine: EngineDep,
    settings: SettingsDep,
    now: Now,
    unmasked: Unmasked,
    audit: AuditDep,
):
    event = call_event(engine, user, seq)
    popped = screen_pop(engine, settings, event, now, unmasked)
    audit(
        "customers.lookup",
        "customer",
        [c.customer.customer_id for c in popped.customers],
        f"screen pop of call {popped.call_id}",
    )
    values, products = blank_order(engine, popped, user)
    return render(
        request,
        "agent/pop.html",
        user,
        pop=popped,
        values=values,
        errors={},
        products=products,
        customers=[c.customer for c in popped.customers],
        unmasked=unmasked,
    )


class RecordForm(BaseModel):
    business_type: Literal[BUSINESS_TYPES]  # type: ignore[valid-type]
    call_type: Literal[CALL_TYPES]  # type: ignore[valid-type]
    summary: str = Field(default="", max_length=2000)
    customer_id: str = Field(default="", max_length=32)
    order_id: str = Field(default="", max_length=32)
    complaint: str = ""
    category: str = Field(default="", max_length=64)


def _call_times(engine, event: dict, now: float) -> tuple[float, float | None, float]:
    """(rang, answered, ended) of the popped call, from the agent's events after it."""
    answered = event["at"] if event["kind"] == "connected" else None
    ended = now
    for later in SqlLiveEvents(engine).after(event["seq"], event["agent_id"], CALL_EVENTS_READ):
        if later["call_id"] != event["call_id"] and later["kind"] != "agent_state":
            continue
        if later["kind"] == "connected" and answered is None:
            answered = later["at"]
        if later["kind"] == "agent_state" and later["payload"].get("state") not in ("ringing", "talking"):
            ended = later["at"]
            break
    return event["at"], answered, ended


def _unknown_references(engine, parsed: RecordForm, t) -> dict[str, str]:
    """The customer and order the record names must exist (a typo would file the call under nobody)."""
    errors = {}
    if parsed.customer_id:
        try:
            SqlCustomers(engine).get(parsed.customer_id)
        except UnknownCustomer:
            errors["customer_id"] = t("record.unknown", id=parsed.customer_id)
    if parsed.order_id:
        try:
            SqlOrders(engine).get(parsed.order_id)
        except UnknownOrder:
            errors["order_id"] = t("record.unknown", id=parsed.order_id)
    return errors


def _record_page(request, user, seq: int, values: dict, errors: dict, notice: str = "", status_code: int = 200):
    return render(
        request,
        "agent/record.html",
        user,
        seq=seq,
        values=values,
        errors=errors,
        notice=notice,
        business_types=BUSINESS_TYPES,
        call_types=CALL_TYPES,
        status_code=status_code,
    )


@router.get("/agent/record")
def record_form(
    request: Request,
    seq: Seq,
    user: LiveUser,
    engine: EngineDep,
    order_id: Annotated[str, Query(max_length=32)] = "",
    customer_id: Annotated[str, Query(max_length=32)] = "",
):
    event = call_event(engine, user, seq)
    customers = event["payload"].get("customers") or []
    values = {
        "business_type": "order" if order_id else "inquiry",
        "call_type": "normal",
        "order_id": order_id,
        "customer_id": customer_id or (customers[0]["customer_id"] if len(customers) == 1 else ""),
    }
    return _record_page(request, user, seq, values, {})


@router.post("/agent/record")
def save_record(
    request: Request,
    t: Labels,
    seq: Seq,
    form: FormDep,
    user: LiveUser,
    engine: EngineDep,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    now: Now,
):
    event = call_event(engine, user, seq)
    parsed, errors = check(RecordForm, form, t)
    if parsed is None:
        return _record_page(request, user, seq, form, errors, status_code=422)
    errors = _unknown_references(engine, parsed, t)
    if parsed.complaint and parsed.business_type != "complaint":  # the core opens complaints of complaint calls
        errors["business_type"] = t("record.complaint_needs")
    if errors:
        return _record_page(request, user, seq, form, errors, status_code=422)
    rang, answered, ended = _call_times(engine, event, now)
    command = RecordCall(
        now=now,
        agent_id=user.username,
        call_id=event["call_id"],
        started_at=rang,
        ended_at=max(ended, rang),
        caller=event["payload"].get("caller") or "",
        answered_at=answered,
        call_type=parsed.call_type,
        business_type=parsed.business_type,
        summary=parsed.summary,
        customer_id=parsed.customer_id,
        order_id=parsed.order_id,
        default_area_code=settings.default_area_code,
    )
    record = record_call(command, uow)
    notice = t("record.saved", id=record.record_id)
    if parsed.complaint:
        try:
            complaint = open_complaint(
                OpenComplaint(now, user.username, record.record_id, parsed.summary, parsed.category, parsed.order_id),
                request.app.state.unit_of_work(),
            )
        except ValueError as error:  # the record is saved; the complaints page can open it again
            notice += f" · {error}"
        else:
            notice += " · " + t("complaints.changed", id=complaint.complaint_id)
    return render(request, "agent/record_done.html", user, notice=notice, record=record)
