"""Callback tickets worked by people: claim one (or the next in callback order), complete it with an outcome,
release it unworked; and the housekeeping round. Each is one unit of work with its audit row; the rules
(one claimer, outcomes, retries, expiry) are the core's, enforced by the ticket repository."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from app.ports import AuditEntry, CallbackTicketRepository, UnitOfWork
from core.messages import ClaimCallback, CompleteCallback, ExpireCallbacks
from core.tickets import Ticket

TICKET = "callback_ticket"


@dataclass(slots=True)
class ClaimNextCallback:
    """The agent takes the first claimable ticket in callback order (of ``queues``; all: None)."""

    now: float
    agent_id: str
    queues: Sequence[str] | None = None


@dataclass(slots=True)
class ReleaseCallback:
    """The claimer gives the ticket back unworked."""

    now: float
    agent_id: str
    ticket_id: str


@dataclass(slots=True)
class HandOverCallback:
    """A supervisor takes a claimed ticket from whoever holds it: back to the queue (``to`` None) or to
    another agent, so that a ticket held by someone absent still reaches the customer."""

    now: float
    by: str
    ticket_id: str
    to: str | None = None


@dataclass(slots=True)
class ReleaseClaimsOf:
    """Every ticket ``agent_id`` holds goes back to the queue (the agent was deactivated)."""

    now: float
    by: str
    agent_id: str


def _ticket_change(
    uow: UnitOfWork,
    now: float,
    agent_id: str,
    action: str,
    change: Callable[[CallbackTicketRepository], Ticket],
    detail: str = "",
) -> Ticket:
    with uow:
        ticket = change(uow.tickets)
        uow.audit.add(AuditEntry(now, agent_id, action, TICKET, (ticket.ticket_id,), detail))
        uow.commit()
    return ticket


def claim_callback(command: ClaimCallback, uow: UnitOfWork) -> Ticket:
    """Raises ``UnknownTicket``, or ``TicketError`` when someone else holds it or it is not open."""
    return _ticket_change(
        uow,
        command.now,
        command.agent_id,
        "callbacks.claim",
        lambda tickets: tickets.claim(command.ticket_id, command.agent_id, command.now),
    )


def claim_next_callback(command: ClaimNextCallback, uow: UnitOfWork) -> Ticket | None:
    """The ticket claimed, or None when nothing is claimable."""
    with uow:
        ticket = uow.tickets.claim_next(command.agent_id, command.now, command.queues)
        if ticket is None:
            return None
        uow.audit.add(AuditEntry(command.now, command.agent_id, "callbacks.claim", TICKET, (ticket.ticket_id,)))
        uow.commit()
    return ticket


def complete_callback(command: CompleteCallback, uow: UnitOfWork) -> Ticket:
    """Record the attempt's outcome: an unreachable ticket waits for a retry, others are done."""
    return _ticket_change(
        uow,
        command.now,
        command.agent_id,
        "callbacks.complete",
        lambda tickets: tickets.complete(command.ticket_id, command.agent_id, command.outcome, command.now),
        command.outcome,
    )


def release_callback(command: ReleaseCallback, uow: UnitOfWork) -> Ticket:
    return _ticket_change(
        uow,
        command.now,
        command.agent_id,
        "callbacks.release",
        lambda tickets: tickets.release(command.ticket_id, command.agent_id, command.now),
    )


def hand_over_callback(command: HandOverCallback, uow: UnitOfWork) -> Ticket:
    """Raises ``UnknownTicket``, or ``TicketError`` when the ticket is not claimed."""
    with uow:
        before = uow.tickets.get(command.ticket_id)
        ticket = uow.tickets.hand_over(command.ticket_id, command.to, command.now)
        action, to = ("callbacks.release", "") if command.to is None else ("callbacks.reassign", f" to {command.to}")
        uow.audit.add(
            AuditEntry(
                command.now,
                command.by,
                action,
                TICKET,
                (ticket.ticket_id,),
                f"from {before.claimer if before else '?'}{to}",
            )
        )
        uow.commit()
    return ticket


def release_claims_of(command: ReleaseClaimsOf, uow: UnitOfWork) -> list[Ticket]:
    with uow:
        released = [
            uow.tickets.hand_over(t.ticket_id, None, command.now) for t in uow.tickets.claimed_by(command.agent_id)
        ]
        if released:
            uow.audit.add(
                AuditEntry(
                    command.now,
                    command.by,
                    "callbacks.release",
                    TICKET,
                    tuple(t.ticket_id for t in released),
                    f"from {command.agent_id}, deactivated",
                )
            )
        uow.commit()
    return released


def expire_callbacks(command: ExpireCallbacks, uow: UnitOfWork) -> tuple[list[Ticket], list[Ticket]]:
    """One housekeeping round: reopen tickets whose retry is due, then expire those past their expiry.
    Returns (reopened, expired)."""
    with uow:
        reopened = uow.tickets.retry_due(command.now)
        expired = uow.tickets.expire(command.now)
        uow.commit()
    return reopened, expired
