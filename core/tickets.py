"""Callback tickets: one per caller who could not be answered, claimed by one agent at a time."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

OUTCOMES = ("ordered", "cancelled", "unreachable", "inquiry", "complaint", "wrong_number")  # only unreachable retries
PRIORITIES = ("urgent", "normal")  # the callback list is ordered by this, then first-come
OPEN_STATUSES = ("open", "claimed", "waiting")  # a number has at most one ticket in these
EXPIRABLE_STATUSES = ("open", "waiting")  # a claimed ticket is being worked: its outcome decides


class TicketError(ValueError):
    """A ticket operation that the rules forbid (claimed twice, unknown outcome, ...)."""


class UnknownTicket(TicketError, LookupError):
    """No ticket has this ID."""


def check_priority(priority: str) -> None:
    if priority not in PRIORITIES:
        raise TicketError(f"priority {priority!r} is not one of {PRIORITIES}")


def check_outcome(outcome: str) -> None:
    if outcome not in OUTCOMES:
        raise TicketError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")


def after_attempt(outcome: str, now: float, expires_at: float, retry_after: float) -> tuple[str, float | None]:
    """The ticket's status after an attempt with this outcome, and when to try again (None: no retry).
    Only an unreachable callee is tried again, ``retry_after`` later, unless that would be past expiry."""
    if outcome != "unreachable":
        return "done", None
    if now + retry_after < expires_at:
        return "waiting", now + retry_after
    return "expired", None


@dataclass(slots=True)
class Ticket:
    ticket_id: str
    call_id: str
    number: str
    priority: str
    hotline: str
    airing: str
    created_at: float
    queue: str = ""  # skill group whose agents call back
    status: str = "open"  # open | claimed | waiting (for a retry) | done | expired
    claimer: str | None = None
    attempts: int = 0
    outcome: str | None = None
    next_try_at: float = 0.0

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketBook:
    """All tickets, the due list in callback order, and at most one open ticket per number."""

    def __init__(self, ttl: float, retry_after: float) -> None:
        self.ttl = ttl
        self.retry_after = retry_after
        self.tickets: dict[str, Ticket] = {}
        self.open_by_number: dict[str, str] = {}
        self._due: dict[str, list[tuple[int, float, int, str]]] = {}  # queue -> (priority rank, created, seq, id)
        self._seq = 0

    def open_ticket_for(self, number: str) -> Ticket | None:
        ticket_id = self.open_by_number.get(number)
        return self.tickets[ticket_id] if ticket_id else None

    def create(self, ticket: Ticket) -> Ticket:
        if ticket.ticket_id in self.tickets:
            raise TicketError(f"ticket {ticket.ticket_id} exists already")
        if ticket.number in self.open_by_number:
            raise TicketError(f"number {ticket.number} already has open ticket {self.open_by_number[ticket.number]}")
        check_priority(ticket.priority)
        self.tickets[ticket.ticket_id] = ticket
        self.open_by_number[ticket.number] = ticket.ticket_id
        self._push(ticket)
        return ticket

    def _push(self, ticket: Ticket) -> None:
        self._seq += 1
        rank = PRIORITIES.index(ticket.priority)
        heapq.heappush(self._due.setdefault(ticket.queue, []), (rank, ticket.created_at, self._seq, ticket.ticket_id))

    def expires_at(self, ticket: Ticket) -> float:
        return ticket.created_at + self.ttl

    def due_queues(self) -> list[str]:
        """Queues with something listed (it may turn out claimed or expired): a cheap pre-check."""
        return [queue for queue, heap in self._due.items() if heap]

    def next_due(self, now: float, queue: str) -> tuple[Ticket | None, list[Ticket]]:
        """The first open ticket of ``queue`` in callback order (it stays listed until claimed), and the
        tickets found expired on the way."""
        heap = self._due.get(queue, [])
        expired: list[Ticket] = []
        while heap:
            ticket = self.tickets[heap[0][3]]
            if ticket.status != "open":
                heapq.heappop(heap)  # claimed or closed since it was listed
            elif now >= self.expires_at(ticket):
                heapq.heappop(heap)
                self._close(ticket, "expired")
                expired.append(ticket)
            else:
                return ticket, expired
        return None, expired

    def ordered(self) -> list[Ticket]:
        """Open tickets as the callback list shows them: priority, then first-come."""
        rank = PRIORITIES.index
        return sorted(
            (t for t in self.tickets.values() if t.status == "open"),
            key=lambda t: (rank(t.priority), t.created_at, t.ticket_id),
        )

    def claim(self, ticket_id: str, agent_id: str) -> Ticket:
        ticket = self._get(ticket_id)
        if ticket.status == "claimed":
            raise TicketError(f"ticket {ticket_id} is already claimed by {ticket.claimer}")
        if ticket.status != "open":
            raise TicketError(f"ticket {ticket_id} is {ticket.status}, not open")
        ticket.status = "claimed"
        ticket.claimer = agent_id
        return ticket

    def release(self, ticket_id: str, agent_id: str) -> Ticket:
        ticket = self._claimed_by(ticket_id, agent_id)
        ticket.status = "open"
        ticket.claimer = None
        self._push(ticket)
        return ticket

    def complete(self, ticket_id: str, agent_id: str, outcome: str, now: float) -> Ticket:
        """Record an attempt (``after_attempt`` says what follows)."""
        check_outcome(outcome)
        ticket = self._claimed_by(ticket_id, agent_id)
        ticket.attempts += 1
        ticket.claimer = None
        ticket.outcome = outcome
        status, next_try_at = after_attempt(outcome, now, self.expires_at(ticket), self.retry_after)
        if next_try_at is not None:
            ticket.status, ticket.next_try_at = status, next_try_at
        else:
            self._close(ticket, status)
        return ticket

    def retry_due(self, ticket_id: str) -> Ticket | None:
        ticket = self.tickets.get(ticket_id)
        if ticket is None or ticket.status != "waiting":
            return None
        ticket.status = "open"
        self._push(ticket)
        return ticket

    def expire(self, now: float) -> list[Ticket]:
        expired = [t for t in self.tickets.values() if t.status in EXPIRABLE_STATUSES and now >= self.expires_at(t)]
        for ticket in expired:
            self._close(ticket, "expired")
        return expired

    def _close(self, ticket: Ticket, status: str) -> None:
        ticket.status = status
        if self.open_by_number.get(ticket.number) == ticket.ticket_id:
            del self.open_by_number[ticket.number]

    def _get(self, ticket_id: str) -> Ticket:
        try:
            return self.tickets[ticket_id]
        except KeyError:
            raise UnknownTicket(f"no ticket {ticket_id}") from None

    def _claimed_by(self, ticket_id: str, agent_id: str) -> Ticket:
        ticket = self._get(ticket_id)
        if ticket.status != "claimed" or ticket.claimer != agent_id:
            raise TicketError(f"ticket {ticket_id} is not claimed by {agent_id}")
        return ticket
