"""Callback tickets: the list in the core's callback order (urgent first, then first-come), claim (409 when
someone else holds it), complete with an outcome, release."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from adapters.store.models import TICKET_STATUSES
from adapters.store.tickets import SqlTickets
from app.callbacks import ReleaseCallback, claim_callback, complete_callback, release_callback
from console.deps import EngineDep, Now, SettingsDep, UnitOfWorkDep, Unmasked, ensure_can, require
from console.models import AppUser
from console.schemas import CallbackComplete, TicketPublic, ticket_out
from core.messages import ClaimCallback, CompleteCallback

router = APIRouter(prefix="/callbacks", tags=["callbacks"])
Agent = Annotated[AppUser, require("callbacks.claim")]


@router.get("", response_model=list[TicketPublic])
def list_callbacks(user: Agent, engine: EngineDep, settings: SettingsDep, now: Now, unmasked: Unmasked,
                   status: Annotated[list[str] | None, Query(description=f"any of {', '.join(TICKET_STATUSES)}; "
                                                               "needs callbacks.list_all")] = None,
                   queue: Annotated[list[str] | None, Query(description="skill groups")] = None,
                   limit: Annotated[int | None, Query(ge=1, le=1000)] = None) -> list[TicketPublic]:
    """What an agent may claim now, in callback order, then the tickets this agent holds. With ``status``
    (supervisors): every ticket in those statuses, in callback order."""
    tickets = SqlTickets(engine, source=settings.ticket_source)
    if status:
        ensure_can(user, "callbacks.list_all")
        unknown = sorted(set(status) - set(TICKET_STATUSES))
        if unknown:
            raise HTTPException(422, f"unknown status {', '.join(unknown)} (one of {', '.join(TICKET_STATUSES)})")
        found = [t for t in tickets.all(status) if queue is None or t.queue in queue]
    else:
        found = tickets.ordered(now, queue, limit)
        found += [t for t in tickets.all(["claimed"]) if t.claimer == user.username and (queue is None or t.queue in queue)]
    return [ticket_out(t, unmasked) for t in found[:limit]]


@router.post("/{ticket_id}/claim", response_model=TicketPublic)
def claim(ticket_id: str, user: Agent, uow: UnitOfWorkDep, now: Now, unmasked: Unmasked) -> TicketPublic:
    return ticket_out(claim_callback(ClaimCallback(now, user.username, ticket_id), uow), unmasked)


@router.post("/{ticket_id}/complete", response_model=TicketPublic)
def complete(ticket_id: str, body: CallbackComplete, user: Agent, uow: UnitOfWorkDep, now: Now,
             unmasked: Unmasked) -> TicketPublic:
    """Record the attempt's outcome; an unreachable ticket waits for a retry, others are done."""
    ticket = complete_callback(CompleteCallback(now, user.username, ticket_id, body.outcome), uow)
    return ticket_out(ticket, unmasked)


@router.post("/{ticket_id}/release", response_model=TicketPublic)
def release(ticket_id: str, user: Agent, uow: UnitOfWorkDep, now: Now, unmasked: Unmasked) -> TicketPublic:
    """Give a claimed ticket back unworked."""
    return ticket_out(release_callback(ReleaseCallback(now, user.username, ticket_id), uow), unmasked)
