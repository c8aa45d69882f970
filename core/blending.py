"""Blended agents: how ``CallCenter`` lends agents to the outbound dialer (``core.dialer``).

An agent the dialer takes is in state OUTBOUND: busy for inbound routing, and a pause or logout asked
meanwhile waits, as during a call. The dialer only gets agents the inbound side left free (the hook runs
after waiting calls and due callbacks had their turn), so inbound keeps priority; a campaign with an order
line also gives its agents back while that line is crowded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Container

from core.campaigns import Campaign, NumberZones
from core.dialer import Dialer
from core.log import LogRecord
from core.state import OUTBOUND, READY, Agent

if TYPE_CHECKING:
    from core.center import CallCenter


class _CentersLog:
    """The center's log as it is at each record: a driver may give the core another sink after building it
    (the live driver's journal recovery does)."""

    def __init__(self, center: CallCenter) -> None:
        self.center = center

    def append(self, record: LogRecord, /) -> None:
        self.center.log.append(record)


class OutboundAgents:
    """Implements ``core.dial_state.AgentPool`` on ``CallCenter``'s agents, and owns the center's ``Dialer``."""

    def __init__(self, center: CallCenter, *, zones: NumberZones | None, do_not_call: Container[str]) -> None:
        self.center = center
        self.dialer = Dialer(self, _CentersLog(center), zones=zones, do_not_call=do_not_call)

    def free_agents(self, campaign: Campaign) -> list[str]:
        ready = [
            a
            for a in self.center.agents.values()
            if a.state == READY and a.pending is None and campaign.serves(a.agent_id, a.skills)
        ]
        ready.sort(key=lambda a: (a.idle_since, a.order))
        return [a.agent_id for a in ready]

    def take_agent(self, agent_id: str, now: float) -> None:
        agent = self.center.agents[agent_id]
        if agent.state != READY:
            raise ValueError(f"agent {agent_id} is {agent.state}, not free for outbound work")
        self.center.set_busy(agent)
        agent.state = OUTBOUND
        agent.busy_since = now

    def give_back_agent(self, agent_id: str, now: float, worked: bool, actions: list) -> None:
        agent = self.center.agents[agent_id]
        if agent.state != OUTBOUND:
            return
        if worked:
            agent.calls += 1
            agent.talk_total += now - agent.busy_since
            self.center.agent_desk.after_work(agent, now, actions)
        else:
            self.center.agent_desk.agent_free(agent, now, actions)

    def agent_wants_out(self, agent_id: str) -> bool:
        return self.center.agents[agent_id].pending is not None

    def waiting_calls(self, queue: str) -> int:
        return len(self.center.in_queue.get(queue, ()))

    def extension_of(self, agent_id: str) -> str:
        return self.center.agents[agent_id].extension

    def offer_agent(self, agent: Agent, now: float, actions: list) -> None:
        """An agent the inbound side has no work for: a running campaign may take them."""
        if agent.state == READY and self.dialer.runs:
            self.dialer.agent_free(agent.agent_id, now, actions)
