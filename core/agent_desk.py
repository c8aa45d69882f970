"""Agents' commands and states: log in and out (hot-desking), ready and not ready, wrap-up, and what an agent
who becomes free takes next (a pending pause or logout, a sticky call, the best waiting call, a due callback,
then outbound work).

``AgentDesk`` works on ``CallCenter``'s agents and idle lists and asks the center to ring calls; a pause or
logout asked while the agent works (``WORKING``) waits in ``Agent.pending`` until the work ends.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from core.bookkeeping import Handlers
from core.center_part import CenterPart
from core.log import NONE, Verb
from core.messages import AgentDidNotAnswer, AgentPaused, EndWrapUp, LogIn, LogOut, MakeNotReady, MakeReady, StopRinging
from core.state import CALL_RINGING, OUT, PAUSED, QUEUED, READY, RINGING, WORKING, WRAPUP, Agent, Call, CommandRejected

if TYPE_CHECKING:
    from core.center import CallCenter


class AgentDesk(CenterPart):
    def __init__(self, center: CallCenter) -> None:
        super().__init__(center)
        self.phones: dict[str, str] = {}  # phone (extension, or the agent's own endpoint) -> agent logged in there

    def handlers(self) -> Handlers:
        return {
            LogIn: self.log_in,
            LogOut: self.log_out,
            MakeReady: self.make_ready,
            MakeNotReady: self.make_not_ready,
            EndWrapUp: self.end_wrapup,
            AgentDidNotAnswer: self.agent_did_not_answer,
        }

    def agent(self, agent_id: str) -> Agent:
        center = self.center
        agent = center.agents.get(agent_id)
        if agent is None:
            raise CommandRejected(f"no agent {agent_id}")
        return agent

    def log_in(self, msg: LogIn, actions: list) -> None:
        """Log in at ``msg.extension`` (hot-desking). Logged in already: cancels a pending logout; at another
        extension: rejected (log out first). One agent per phone."""
        center = self.center
        agent = self.agent(msg.agent_id)
        if agent.retired:
            raise CommandRejected(f"agent {agent.agent_id} is no longer in the configuration")
        if agent.state != OUT:
            if msg.extension and msg.extension != agent.extension:
                raise CommandRejected(
                    f"agent {agent.agent_id} is logged in at {agent.extension or 'their own phone'}"
                    f", not {msg.extension}: log out first"
                )
            if agent.pending and agent.pending[0] == "logout":
                agent.pending = None
            return
        phone = msg.extension or agent.agent_id
        holder = self.phones.get(phone)
        if holder is not None:
            raise CommandRejected(f"phone {phone} is taken by agent {holder}")
        self.phones[phone] = agent.agent_id
        agent.extension = msg.extension
        agent.login_at = msg.now
        agent.state = PAUSED  # becomes ready through agent_free
        for group in agent.skills:
            center.logged_in[group] += 1
        center.emit(msg.now, NONE, NONE, agent.agent_id, Verb.AGENTLOGIN, msg.extension)
        self.agent_free(agent, msg.now, actions)

    def log_out(self, msg: LogOut, actions: list) -> None:
        agent = self.agent(msg.agent_id)
        if agent.state == OUT:
            return
        if agent.state in WORKING:
            agent.pending = ("logout", "")
            return
        self._withdraw_ring(agent, msg.now, actions)
        self.do_logout(agent, msg.now, actions)

    def make_ready(self, msg: MakeReady, actions: list) -> None:
        center = self.center
        agent = self.agent(msg.agent_id)
        if agent.state == OUT:
            raise CommandRejected(f"agent {agent.agent_id} is not logged in")
        if agent.pending and agent.pending[0] == "pause":
            agent.pending = None
        if agent.state == PAUSED:
            center.emit(msg.now, NONE, NONE, agent.agent_id, Verb.UNPAUSE, agent.reason)
            agent.reason = ""
            self.agent_free(agent, msg.now, actions)

    def make_not_ready(self, msg: MakeNotReady, actions: list) -> None:
        agent = self.agent(msg.agent_id)
        if agent.state == OUT:
            raise CommandRejected(f"agent {agent.agent_id} is not logged in")
        if agent.state in WORKING:
            agent.pending = ("pause", msg.reason)
            return
        if agent.state == PAUSED and agent.reason == msg.reason:
            return  # already paused for this reason (checked before a withdrawn ring makes the agent PAUSED)
        self._withdraw_ring(agent, msg.now, actions)
        self.pause(agent, msg.reason, msg.now)

    def end_wrapup(self, msg: EndWrapUp, actions: list) -> None:
        center = self.center
        agent = self.agent(msg.agent_id)
        if agent.state != WRAPUP:
            raise CommandRejected(f"agent {agent.agent_id} is {agent.state}, not in wrap-up")
        center.cancel_timer("wrapup", agent.agent_id, actions)
        self.wrapup_done(agent, msg.now, actions)

    def pause(self, agent: Agent, reason: str, now: float) -> None:
        center = self.center
        center.set_busy(agent)
        agent.state = PAUSED
        agent.reason = reason
        center.emit(now, NONE, NONE, agent.agent_id, Verb.PAUSE, reason)

    def _withdraw_ring(self, agent: Agent, now: float, actions: list) -> None:
        center = self.center
        if agent.state != RINGING:
            return
        assert agent.call_id is not None  # a ringing agent has a call
        call = center.calls[agent.call_id]
        center.cancel_timer("ring", call.call_id, actions)
        actions.append(StopRinging(call.call_id, agent.agent_id))
        agent.call_id = None
        agent.state = PAUSED
        center.requeue(call, now, actions)

    def do_logout(self, agent: Agent, now: float, actions: list) -> None:
        center = self.center
        center.set_busy(agent)
        agent.state = OUT
        agent.pending = None
        for group in agent.skills_to_come:
            center.logged_in[group] -= 1
        del self.phones[agent.extension or agent.agent_id]
        agent.extension = ""
        agent.take_next_skills()
        center.emit(now, NONE, NONE, agent.agent_id, Verb.AGENTLOGOFF, "", now - agent.login_at)
        for call in center.reserved.pop(agent.agent_id, []):
            call.sticky_agent = None
            center.cancel_timer("sticky", call.call_id, actions)
            center.offer(call, now, actions)
        if agent.retired:
            del center.agents[agent.agent_id]

    def wrapup_done(self, agent: Agent, now: float, actions: list) -> None:
        center = self.center
        center.emit(now, NONE, NONE, agent.agent_id, Verb.WRAPUPEND, now - agent.busy_since)
        self.agent_free(agent, now, actions)

    def after_work(self, agent: Agent, now: float, actions: list) -> None:
        center = self.center
        if center.policy.wrapup > 0:
            agent.state = WRAPUP
            agent.busy_since = now  # wrap-up starts; WRAPUPEND logs how long it really took
            center.start_timer("wrapup", agent.agent_id, now + center.policy.wrapup, actions)
        else:
            self.agent_free(agent, now, actions)

    def agent_free(self, agent: Agent, now: float, actions: list) -> None:
        """The agent can take work: pending logout/pause first, then sticky calls, then the best waiting call."""
        center = self.center
        agent.take_next_skills()
        if agent.pending is not None:
            kind, reason = agent.pending
            agent.pending = None
            if kind == "logout":
                agent.state = PAUSED
                self.do_logout(agent, now, actions)
            else:
                agent.state = PAUSED
                agent.reason = reason
                center.emit(now, NONE, NONE, agent.agent_id, Verb.PAUSE, reason)
            return
        agent.state = READY  # so that ring's bookkeeping sees a free agent
        center.n_idle += 1
        for group in agent.skills:
            center.idle[group][agent.agent_id] = agent
        agent.idle_since = now
        reserved = center.reserved.get(agent.agent_id)
        if reserved:
            sticky = reserved.pop(0)
            sticky.sticky_agent = None
            center.cancel_timer("sticky", sticky.call_id, actions)
            center.ring(sticky, agent, now, actions)
            return
        call = self.best_waiting_call(agent)
        if call is not None:
            center.ring(call, agent, now, actions)
            return
        center.callbacks.dispatch(now, actions)
        center.blending.offer_agent(agent, now, actions)

    def best_waiting_call(self, agent: Agent) -> Call | None:
        """The waiting call the agent takes: best skill level first, then priority class and arrival."""
        center = self.center
        calls, waiting = center.calls, center.waiting
        for groups in agent.groups_by_level:
            best_key: tuple[int, int, str] | None = None
            best_heap: list[tuple[int, int, str]] = []
            for group in groups:
                heap = waiting[group]
                while heap:
                    call = calls.get(heap[0][2])
                    if call is not None and call.state == QUEUED and call.sticky_agent is None:
                        break
                    heapq.heappop(heap)  # stale: answered, abandoned or ringing elsewhere
                if heap and (best_key is None or heap[0] < best_key):
                    best_key, best_heap = heap[0], heap
            if best_key is not None:
                heapq.heappop(best_heap)
                return calls[best_key[2]]
        return None

    def agent_did_not_answer(self, msg: AgentDidNotAnswer, actions: list) -> None:
        center = self.center
        call = center.calls.get(msg.call_id)
        if call is None or call.state != CALL_RINGING or call.agent_id != msg.agent_id:
            return
        center.cancel_timer("ring", call.call_id, actions)
        self.ring_not_answered(call, msg.now, actions)

    def ring_not_answered(self, call: Call, now: float, actions: list) -> None:
        center = self.center
        assert call.agent_id is not None  # a ringing call has an agent
        agent = center.agents[call.agent_id]
        center.emit(
            now, call.call_id, call.queue, agent.agent_id, Verb.RINGNOANSWER, round((now - call.ring_started) * 1000)
        )
        actions.append(StopRinging(call.call_id, agent.agent_id))
        agent.call_id = None
        self.pause(agent, center.policy.rna_pause_reason, now)
        actions.append(AgentPaused(agent.agent_id, center.policy.rna_pause_reason))
        center.requeue(call, now, actions)

    def release_ringing_agent(self, call: Call, now: float, actions: list) -> None:
        center = self.center
        assert call.agent_id is not None  # a ringing call has an agent
        agent = center.agents[call.agent_id]
        center.cancel_timer("ring", call.call_id, actions)
        actions.append(StopRinging(call.call_id, agent.agent_id))
        agent.call_id = None
        self.agent_free(agent, now, actions)
