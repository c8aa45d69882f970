"""Callback dispatch: a ticket opened for a caller the center could not serve, and given to a free agent.

``CallbackDispatch`` opens tickets (abandons, the callback prompt, out of hours), hands due tickets to idle
agents while more than ``Policy.callback_reserve`` agents stay free, and takes the agents' callback commands
(claim, complete, not answered), ``ExpireCallbacks`` and the end of the post-queue callback prompt. The
tickets themselves are ``core.tickets.TicketBook``.
"""

from __future__ import annotations

from core.bookkeeping import Handlers
from core.center_part import CenterPart
from core.log import NONE, Verb
from core.messages import (
    AgentPaused,
    CallbackAgentDidNotAnswer,
    ClaimCallback,
    CompleteCallback,
    DialCallback,
    ExpireCallbacks,
    HangUp,
    PromptFinished,
)
from core.state import CALLBACK, PAUSED, PROMPT, READY, Agent, Call, CommandRejected
from core.tickets import PRIORITIES, Ticket, TicketError


class CallbackDispatch(CenterPart):
    def handlers(self) -> Handlers:
        return {
            ClaimCallback: self.claim,
            CompleteCallback: self.complete,
            CallbackAgentDidNotAnswer: self.agent_did_not_answer,
            ExpireCallbacks: self.expire,
            PromptFinished: self.prompt_finished,
        }

    def open_ticket(self, call: Call, now: float, actions: list) -> None:
        center = self.center
        if not call.caller:
            return  # no caller ID, nobody to call back
        existing = center.tickets.open_ticket_for(call.caller)
        if existing is not None:
            center.emit(now, call.call_id, call.queue, NONE, Verb.CALLBACK_DUPLICATE, existing.ticket_id)
            return
        airing = center.site.airing_for(call.hotline, call.arrived)
        ticket = center.tickets.create(
            Ticket(
                ticket_id=f"cb-{call.call_id}",
                call_id=call.call_id,
                number=call.caller,
                priority="urgent" if call.priority < 2 else "normal",
                hotline=call.hotline,
                airing=airing.airing_id if airing else "",
                created_at=now,
                queue=call.queue,
            )
        )
        center.emit(
            now,
            call.call_id,
            call.queue,
            NONE,
            Verb.CALLBACK_CREATED,
            ticket.ticket_id,
            ticket.number,
            ticket.priority,
            ticket.hotline,
            ticket.airing,
        )
        self.dispatch(now, actions)

    def prompt_finished(self, msg: PromptFinished, actions: list) -> None:
        call = self.center.calls.get(msg.call_id)
        if call is None or call.state != PROMPT:
            return
        self.prompt_done(call, msg.digits, msg.now, actions)

    def prompt_done(self, call: Call, digits: str, now: float, actions: list) -> None:
        """The callback prompt ended (or the caller hung up in it): a ticket unless the number has one."""
        self.center.emit(now, call.call_id, call.queue, NONE, Verb.CALLBACK_PROMPT, digits)
        self.center.end_call(call)
        actions.append(HangUp(call.call_id, "callback-prompt-done"))
        self.open_ticket(call, now, actions)

    def dispatch(self, now: float, actions: list) -> None:
        """Give due tickets to idle agents while more than ``callback_reserve`` agents stay free.

        The best ticket (priority, then first-come) among the queues that have an idle agent goes to that
        queue's longest-idle agent."""
        center = self.center
        reserve = center.policy.callback_reserve
        if reserve is None:
            return
        while center.n_idle > reserve:
            best = None
            for queue in center.tickets.due_queues():
                idle = center.idle.get(queue)
                if not idle:
                    continue
                ticket, expired = center.tickets.next_due(now, queue)
                for gone in expired:
                    center.emit(now, gone.call_id, queue, NONE, Verb.CALLBACK_EXPIRED, gone.ticket_id)
                if ticket is not None and (
                    best is None
                    or (PRIORITIES.index(ticket.priority), ticket.created_at)
                    < (PRIORITIES.index(best[0].priority), best[0].created_at)
                ):
                    best = (ticket, next(iter(idle.values())))
            if best is None:
                return
            self._start(best[1], best[0], now, actions)

    def _start(self, agent: Agent, ticket: Ticket, now: float, actions: list) -> None:
        center = self.center
        center.tickets.claim(ticket.ticket_id, agent.agent_id)
        center.set_busy(agent)
        agent.state = CALLBACK
        agent.ticket_id = ticket.ticket_id
        agent.busy_since = now
        center.emit(now, ticket.call_id, ticket.queue, agent.agent_id, Verb.CALLBACK_CLAIMED, ticket.ticket_id)
        actions.append(DialCallback(ticket.ticket_id, agent.agent_id, ticket.number, agent.extension))

    def claim(self, msg: ClaimCallback, actions: list) -> None:
        center = self.center
        agent = center.agent_desk.agent(msg.agent_id)
        if agent.state not in (READY, PAUSED):
            raise CommandRejected(
                f"agent {agent.agent_id} is {agent.state}; only a ready or paused agent can call back"
            )
        ticket = center.tickets.tickets.get(msg.ticket_id)
        if ticket is None or ticket.status != "open":
            state = ticket.status if ticket else "unknown"
            raise CommandRejected(f"ticket {msg.ticket_id} is {state}, not open")
        if msg.now >= center.tickets.expires_at(ticket):
            raise CommandRejected(f"ticket {msg.ticket_id} has expired")  # ExpireCallbacks or dispatch closes it
        if agent.state == PAUSED:
            # the callback is work, not a pause: log the pause's end, and pause again once the callback is done
            center.emit(msg.now, NONE, NONE, agent.agent_id, Verb.UNPAUSE, agent.reason)
            agent.pending = ("pause", agent.reason)
        self._start(agent, ticket, msg.now, actions)

    def complete(self, msg: CompleteCallback, actions: list) -> None:
        center = self.center
        agent = center.agent_desk.agent(msg.agent_id)
        try:
            ticket = center.tickets.complete(msg.ticket_id, msg.agent_id, msg.outcome, msg.now)
        except TicketError as error:
            raise CommandRejected(str(error)) from None
        now = msg.now
        center.emit(
            now,
            ticket.call_id,
            ticket.queue,
            agent.agent_id,
            Verb.CALLBACK_DONE,
            ticket.ticket_id,
            msg.outcome,
            ticket.attempts,
            now - agent.busy_since,
        )
        if ticket.status == "waiting":
            center.emit(
                now, ticket.call_id, ticket.queue, NONE, Verb.CALLBACK_RETRY, ticket.ticket_id, ticket.next_try_at
            )
            center.start_timer("retry", ticket.ticket_id, ticket.next_try_at, actions)
        elif ticket.status == "expired":
            center.emit(now, ticket.call_id, ticket.queue, NONE, Verb.CALLBACK_EXPIRED, ticket.ticket_id)
        agent.ticket_id = None
        if agent.state == CALLBACK:
            center.agent_desk.after_work(agent, now, actions)

    def agent_did_not_answer(self, msg: CallbackAgentDidNotAnswer, actions: list) -> None:
        center = self.center
        agent = center.agents.get(msg.agent_id)
        if agent is None or agent.state != CALLBACK or agent.ticket_id != msg.ticket_id:
            return  # a late report: that callback ended otherwise
        now = msg.now
        ticket = center.tickets.release(msg.ticket_id, agent.agent_id)
        center.emit(now, ticket.call_id, ticket.queue, agent.agent_id, Verb.CALLBACK_RELEASED, ticket.ticket_id)
        agent.ticket_id = None
        if agent.pending and agent.pending[0] == "logout":
            agent.state = PAUSED
            center.agent_desk.do_logout(agent, now, actions)
        else:
            agent.pending = None
            center.agent_desk.pause(agent, center.policy.rna_pause_reason, now)
            actions.append(AgentPaused(agent.agent_id, center.policy.rna_pause_reason))
        self.dispatch(now, actions)  # the ticket is open again: another free agent may take it

    def expire(self, msg: ExpireCallbacks, actions: list) -> None:
        center = self.center
        for ticket in center.tickets.expire(msg.now):
            center.cancel_timer("retry", ticket.ticket_id, actions)
            center.emit(msg.now, ticket.call_id, ticket.queue, NONE, Verb.CALLBACK_EXPIRED, ticket.ticket_id)

    def retry_due(self, ticket_id: str, now: float, actions: list) -> None:
        """The retry timer of an unreachable ticket fired: it is open again, and may go to a free agent."""
        if self.center.tickets.retry_due(ticket_id) is not None:
            self.dispatch(now, actions)
