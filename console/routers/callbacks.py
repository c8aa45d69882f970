"""Callback tickets: the list in the core's callback order (urgent first, then first-come), claim (409 when
someone else holds it), complete with an outcome, release."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from adapters.store.models import TICKET_STATUSES
from adapters.store.tickets import SqlTickets
from console.deps import AuditDep, EngineDep, Now, SettingsDep, Unmasked, ensure_can, require
from console.models import AppUser
from console.schemas import CallbackComplete, TicketPublic, ticket_out

router = APIRouter(prefix="/callbacks", tags=["callbacks"])
Agent = Annotated[AppUser, require("callbacks.claim")]


def _tickets(engine, settings) -> SqlTickets:
    return SqlTickets(engine, source=settings.ticket_source)


@router.get("", response_model=list[TicketPublic])
def list_callbacks(user: Agent, engine: EngineDep, settings: SettingsDep, now: Now, unmasked: Unmasked,
                   status: Annotated[list[str] | None, Query(description=f"any of {', '.join(TICKET_STATUSES)}; "
                                                               "needs callbacks.list_all")] = None,
                   queue: Annotated[list[str] | None, Query(description="skill groups")] = None,
                   limit: Annotated[int | None, Query(ge=1, le=1000)] = None) -> list[TicketPublic]:
    """What an agent may claim now, in callback order, then the tickets this agent holds. With ``status``
    (supervisors): every ticket in those statuses, in callback order."""
    tickets = _tickets(engine, settings)
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
def claim(ticket_id: str, user: Agent, engine: EngineDep, settings: SettingsDep, now: Now, unmasked: Unmasked,
          audit: AuditDep) -> TicketPublic:
    ticket = _tickets(engine, settings).claim(ticket_id, user.username, now)
    audit("callbacks.claim", "callback_ticket", [ticket_id])
    return ticket_out(ticket, unmasked)


@router.post("/{ticket_id}/complete", response_model=TicketPublic)
def complete(ticket_id: str, body: CallbackComplete, user: Agent, engine: EngineDep, settings: SettingsDep,
             now: Now, unmasked: Unmasked, audit: AuditDep) -> TicketPublic:
    """Record the attempt's outcome; an unreachable ticket waits for a retry, others are done."""
    ticket = _tickets(engine, settings).complete(ticket_id, user.username, body.outcome, now)
    audit("callbacks.complete", "callback_ticket", [ticket_id], body.outcome)
    return ticket_out(ticket, unmasked)


@router.post("/{ticket_id}/release", response_model=TicketPublic)
def release(ticket_id: str, user: Agent, engine: EngineDep, settings: SettingsDep, now: Now,
            unmasked: Unmasked) -> TicketPublic:
    """Give a claimed ticket back unworked."""
    return ticket_out(_tickets(engine, settings).release(ticket_id, user.username, now), unmasked)
