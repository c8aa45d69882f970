"""The callback worklist: what the agent may call back now (the core's callback order), the tickets it holds;
claim one or the next, record the outcome (unreachable ones come back for a retry), release."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Callable

from fastapi import APIRouter, Depends, Path, Request

from adapters.store.tickets import SqlTickets
from app.callbacks import ClaimNextCallback, ReleaseCallback, claim_callback, claim_next_callback, complete_callback
from app.callbacks import release_callback as release_ticket
from console.deps import EngineDep, Now, SettingsDep, UnitOfWorkDep, Unmasked, require
from console.models import AppUser
from console.schemas import masked_text
from console.web.forms import FormDep
from console.web.render import Labels, render
from core.messages import ClaimCallback, CompleteCallback
from core.tickets import OUTCOMES, Ticket

router = APIRouter()
Agent = Annotated[AppUser, require("callbacks.claim")]
TicketId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
SHOWN = 50  # claimable tickets listed; "claim next" takes the first anyway


@dataclass
class Worklist:
    """The agent's worklist as this request sees it (FastAPI makes one per request): the page, and a change to
    one of its tickets followed by the page again."""

    request: Request
    t: Labels
    user: Agent
    engine: EngineDep
    settings: SettingsDep
    now: Now
    unmasked: Unmasked

    def page(self, notice: str = "", errors: dict | None = None, status_code: int = 200):
        tickets = SqlTickets(self.engine, source=self.settings.ticket_source)
        waiting = tickets.ordered(self.now, None, SHOWN)
        mine = [t for t in tickets.all(["claimed"]) if t.claimer == self.user.username]
        number = {t.ticket_id: masked_text(t.number, self.unmasked) for t in waiting + mine}
        return render(
            self.request,
            "callbacks.html",
            self.user,
            waiting=waiting,
            mine=mine,
            number=number,
            outcomes=OUTCOMES,
            notice=notice,
            errors=errors or {},
            values={},
            status_code=status_code,
        )

    def change(self, change: Callable[[], Ticket | None], field: str):
        """``change()`` runs a use case on a ticket; its refusal is shown beside ``field`` (409)."""
        t = self.t
        try:
            ticket = change()
        except ValueError as error:  # someone else holds it, it is done already, an unknown ticket
            return self.page(errors={field: str(error)}, status_code=409)
        notice = t("callbacks.none") if ticket is None else t("callbacks.claimed", id=ticket.ticket_id)
        if ticket is not None and ticket.status != "claimed":
            notice = t("callbacks.done", id=ticket.ticket_id, outcome=t("status." + ticket.status))
        return self.page(notice=notice)


WorklistDep = Annotated[Worklist, Depends()]


@router.get("/callbacks")
def callbacks_page(worklist: WorklistDep):
    return worklist.page()


@router.post("/callbacks/claim-next")
def claim_next(worklist: WorklistDep, uow: UnitOfWorkDep):
    command = ClaimNextCallback(worklist.now, worklist.user.username)
    return worklist.change(lambda: claim_next_callback(command, uow), "form")


@router.post("/callbacks/{ticket_id}/claim")
def claim(ticket_id: TicketId, worklist: WorklistDep, uow: UnitOfWorkDep):
    command = ClaimCallback(worklist.now, worklist.user.username, ticket_id)
    return worklist.change(lambda: claim_callback(command, uow), "form")


@router.post("/callbacks/{ticket_id}/complete")
def complete(ticket_id: TicketId, form: FormDep, worklist: WorklistDep, uow: UnitOfWorkDep):
    outcome, field = form.get("outcome", ""), f"outcome-{ticket_id}"
    if outcome not in OUTCOMES:
        return worklist.page(errors={field: worklist.t("field.choice")}, status_code=422)
    command = CompleteCallback(worklist.now, worklist.user.username, ticket_id, outcome)
    return worklist.change(lambda: complete_callback(command, uow), field)


@router.post("/callbacks/{ticket_id}/release")
def release(ticket_id: TicketId, worklist: WorklistDep, uow: UnitOfWorkDep):
    command = ReleaseCallback(worklist.now, worklist.user.username, ticket_id)
    return worklist.change(lambda: release_ticket(command, uow), f"outcome-{ticket_id}")
