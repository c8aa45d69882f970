"""The callback worklist: what the agent may call back now (the core's callback order), the tickets it holds;
claim one or the next, record the outcome (unreachable ones come back for a retry), release."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from adapters.store.tickets import SqlTickets
from app.callbacks import ClaimNextCallback, ReleaseCallback, claim_callback, claim_next_callback, complete_callback
from app.callbacks import release_callback as release_ticket
from console.deps import EngineDep, Now, SettingsDep, UnitOfWorkDep, Unmasked, require
from console.models import AppUser
from console.schemas import masked_text
from console.web.forms import FormDep
from console.web.i18n import translator
from console.web.render import render, request_language
from core.messages import ClaimCallback, CompleteCallback
from core.tickets import OUTCOMES

router = APIRouter()
Agent = Annotated[AppUser, require("callbacks.claim")]
TicketId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
SHOWN = 50  # claimable tickets listed; "claim next" takes the first anyway


def worklist(
    request: Request,
    user: AppUser,
    engine,
    settings,
    now: float,
    unmasked: bool,
    notice: str = "",
    errors: dict | None = None,
    status_code: int = 200,
):
    tickets = SqlTickets(engine, source=settings.ticket_source)
    waiting = tickets.ordered(now, None, SHOWN)
    mine = [t for t in tickets.all(["claimed"]) if t.claimer == user.username]
    number = {t.ticket_id: masked_text(t.number, unmasked) for t in waiting + mine}
    return render(
        request,
        "callbacks.html",
        user,
        waiting=waiting,
        mine=mine,
        number=number,
        outcomes=OUTCOMES,
        notice=notice,
        errors=errors or {},
        values={},
        status_code=status_code,
    )


@router.get("/callbacks")
def callbacks_page(
    request: Request, user: Agent, engine: EngineDep, settings: SettingsDep, now: Now, unmasked: Unmasked
):
    return worklist(request, user, engine, settings, now, unmasked)


def _change(request: Request, user: AppUser, engine, settings, now: float, unmasked: bool, change, field: str):
    t = translator(request_language(request))
    try:
        ticket = change(t)
    except ValueError as error:  # someone else holds it, it is done already, an unknown ticket
        return worklist(request, user, engine, settings, now, unmasked, errors={field: str(error)}, status_code=409)
    notice = t("callbacks.none") if ticket is None else t("callbacks.claimed", id=ticket.ticket_id)
    if ticket is not None and ticket.status != "claimed":
        notice = t("callbacks.done", id=ticket.ticket_id, outcome=t("status." + ticket.status))
    return worklist(request, user, engine, settings, now, unmasked, notice=notice)


@router.post("/callbacks/claim-next")
def claim_next(
    request: Request,
    user: Agent,
    engine: EngineDep,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    now: Now,
    unmasked: Unmasked,
):
    return _change(
        request,
        user,
        engine,
        settings,
        now,
        unmasked,
        lambda t: claim_next_callback(ClaimNextCallback(now, user.username), uow),
        "form",
    )


@router.post("/callbacks/{ticket_id}/claim")
def claim(
    request: Request,
    ticket_id: TicketId,
    user: Agent,
    engine: EngineDep,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    now: Now,
    unmasked: Unmasked,
):
    return _change(
        request,
        user,
        engine,
        settings,
        now,
        unmasked,
        lambda t: claim_callback(ClaimCallback(now, user.username, ticket_id), uow),
        "form",
    )


@router.post("/callbacks/{ticket_id}/complete")
def complete(
    request: Request,
    ticket_id: TicketId,
    form: FormDep,
    user: Agent,
    engine: EngineDep,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    now: Now,
    unmasked: Unmasked,
):
    outcome = form.get("outcome", "")
    if outcome not in OUTCOMES:
        t = translator(request_language(request))
        return worklist(
            request,
            user,
            engine,
            settings,
            now,
            unmasked,
            errors={f"outcome-{ticket_id}": t("field.choice")},
            status_code=422,
        )
    return _change(
        request,
        user,
        engine,
        settings,
        now,
        unmasked,
        lambda t: complete_callback(CompleteCallback(now, user.username, ticket_id, outcome), uow),
        f"outcome-{ticket_id}",
    )


@router.post("/callbacks/{ticket_id}/release")
def release(
    request: Request,
    ticket_id: TicketId,
    user: Agent,
    engine: EngineDep,
    uow: UnitOfWorkDep,
    settings: SettingsDep,
    now: Now,
    unmasked: Unmasked,
):
    return _change(
        request,
        user,
        engine,
        settings,
        now,
        unmasked,
        lambda t: release_ticket(ReleaseCallback(now, user.username, ticket_id), uow),
        f"outcome-{ticket_id}",
    )
