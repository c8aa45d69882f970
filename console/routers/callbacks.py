"""Callback tickets: the list in the core's callback order (urgent first, then first-come), a page at a time,
claim (409 when someone else holds it), complete with an outcome, release; a supervisor (``callbacks.manage``)
releases or reassigns a ticket whoever holds it. A list showing full numbers is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from adapters.store.models import TICKET_STATUSES
from adapters.store.tickets import SqlTickets
from app.callbacks import (
    HandOverCallback,
    ReleaseCallback,
    claim_callback,
    complete_callback,
    hand_over_callback,
    release_callback,
)
from console.accounts import SqlAccounts
from console.deps import AuditDep, Now, SessionDep, SettingsDep, UnitOfWorkDep, Unmasked, ensure_can, require
from console.models import AppUser
from console.on_loop import on_event_loop
from console.paging import DEFAULT_LIMIT, Limit, Offset, page
from console.permissions import can
from console.schemas import CallbackComplete, CallbackReassign, TicketPublic, ticket_out
from core.messages import ClaimCallback, CompleteCallback

router = APIRouter(prefix="/callbacks", tags=["callbacks"])
Agent = Annotated[AppUser, require("callbacks.claim")]


@router.get("", response_model=list[TicketPublic])
def list_callbacks(
    user: Agent,
    session: SessionDep,
    settings: SettingsDep,
    now: Now,
    unmasked: Unmasked,
    audit: AuditDep,
    status: Annotated[
        list[str] | None, Query(description=f"any of {', '.join(TICKET_STATUSES)}; needs callbacks.list_all")
    ] = None,
    queue: Annotated[list[str] | None, Query(description="skill groups")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> list[TicketPublic]:
    """What an agent may claim now, in callback order, then the tickets this agent holds. With ``status``
    (supervisors): every ticket in those statuses, in callback order."""
    tickets = SqlTickets(session.engine, source=settings.ticket_source, connection=session.connection())
    if status:
        ensure_can(user, "callbacks.list_all")
        unknown = sorted(set(status) - set(TICKET_STATUSES))
        if unknown:
            raise HTTPException(422, f"unknown status {', '.join(unknown)} (one of {', '.join(TICKET_STATUSES)})")
        found = [t for t in tickets.all(status) if queue is None or t.queue in queue]
    else:
        found = tickets.ordered(now, queue, offset + limit)
        found += [t for t in tickets.claimed_by(user.username) if queue is None or t.queue in queue]
    found = page(found, limit, offset)
    if unmasked:
        audit("callbacks.list", "callback_ticket", [t.ticket_id for t in found], "full numbers")
    return [ticket_out(t, unmasked) for t in found]


@router.post("/{ticket_id}/claim", response_model=TicketPublic)
@on_event_loop
def claim(ticket_id: str, user: Agent, uow: UnitOfWorkDep, now: Now, unmasked: Unmasked) -> TicketPublic:
    return ticket_out(claim_callback(ClaimCallback(now, user.username, ticket_id), uow), unmasked)


@router.post("/{ticket_id}/complete", response_model=TicketPublic)
@on_event_loop
def complete(
    ticket_id: str, body: CallbackComplete, user: Agent, uow: UnitOfWorkDep, now: Now, unmasked: Unmasked
) -> TicketPublic:
    """Record the attempt's outcome; an unreachable ticket waits for a retry, others are done."""
    ticket = complete_callback(CompleteCallback(now, user.username, ticket_id, body.outcome), uow)
    return ticket_out(ticket, unmasked)


@router.post("/{ticket_id}/release", response_model=TicketPublic)
@on_event_loop
def release(
    ticket_id: str,
    user: Agent,
    uow: UnitOfWorkDep,
    session: SessionDep,
    settings: SettingsDep,
    now: Now,
    unmasked: Unmasked,
) -> TicketPublic:
    """Give a claimed ticket back unworked: the claimer, or a supervisor whoever holds it."""
    held = SqlTickets(session.engine, source=settings.ticket_source, connection=session.connection()).get(ticket_id)
    if held is not None and held.claimer not in (None, user.username) and can(user.role, "callbacks.manage"):
        return ticket_out(hand_over_callback(HandOverCallback(now, user.username, ticket_id), uow), unmasked)
    return ticket_out(release_callback(ReleaseCallback(now, user.username, ticket_id), uow), unmasked)


@router.post("/{ticket_id}/reassign", response_model=TicketPublic)
def reassign(
    ticket_id: str,
    body: CallbackReassign,
    user: Annotated[AppUser, require("callbacks.manage")],
    uow: UnitOfWorkDep,
    session: SessionDep,
    now: Now,
    unmasked: Unmasked,
) -> TicketPublic:
    """Give a claimed ticket, whoever holds it, to another active user (who then completes it)."""
    agent = SqlAccounts(session.engine, session.connection()).by_username(body.agent)
    if agent is None or not agent.active:
        raise HTTPException(422, f"agent: there is no active user {body.agent!r}")
    return ticket_out(
        hand_over_callback(HandOverCallback(now, user.username, ticket_id, agent.username), uow), unmasked
    )
