"""Blended agents: the part of ``CallCenter`` that lends agents to the outbound dialer (``core.dialer``).

An agent the dialer takes is in state OUTBOUND: busy for inbound routing, and a pause or logout asked
meanwhile waits, as during a call. The dialer only gets agents the inbound side left free (the hook runs
after waiting calls and due callbacks had their turn), so inbound keeps priority; a campaign with an order
line also gives its agents back while that line is crowded.
"""

from __future__ import annotations

from typing import Container

from core.campaigns import Campaign, NumberZones
from core.dialer import Dialer
from core.log import LogRecord
from core.outbound_messages import OUTBOUND_COMMANDS, OUTBOUND_EVENTS
from core.state import OUTBOUND, READY, Agent


class _CentersLog:
    """The center's log as it is at each record: a driver may give the core another sink after building it
    (the live driver's journal recovery does)."""

    def __init__(self, center) -> None:
        self.center = center

    def append(self, record: LogRecord, /) -> None:
        self.center.log.append(record)


class OutboundAgents:
    """Mixed into ``CallCenter``; implements ``core.dialer.AgentPool`` on its agents."""

    agents: dict[str, Agent]
    in_queue: dict
    _handlers: dict

    def _init_outbound(self, zones: NumberZones | None, do_not_call: Container[str]) -> None:
        self.outbound = Dialer(self, _CentersLog(self), zones=zones, do_not_call=do_not_call)
        for cls in OUTBOUND_EVENTS + OUTBOUND_COMMANDS:
            self._handlers[cls] = self.outbound.handle

    def free_agents(self, campaign: Campaign) -> list[str]:
        ready = [
            a
            for a in self.agents.values()
            if a.state == READY and a.pending is None and campaign.serves(a.agent_id, a.skills)
        ]
        ready.sort(key=lambda a: (a.idle_since, a.order))
        return [a.agent_id for a in ready]

    def take_agent(self, agent_id: str, now: float) -> None:
        agent = self.agents[agent_id]
        if agent.state != READY:
            raise ValueError(f"agent {agent_id} is {agent.state}, not free for outbound work")
        self._set_busy(agent)  # type: ignore[attr-defined]
        agent.state = OUTBOUND
        agent.busy_since = now

    def give_back_agent(self, agent_id: str, now: float, worked: bool, actions: list) -> None:
        agent = self.agents[agent_id]
        if agent.state != OUTBOUND:
            return
        if worked:
            agent.calls += 1
            agent.talk_total += now - agent.busy_since
            self._after_work(agent, now, actions)  # type: ignore[attr-defined]
        else:
            self._agent_free(agent, now, actions)  # type: ignore[attr-defined]

    def agent_wants_out(self, agent_id: str) -> bool:
        return self.agents[agent_id].pending is not None

    def waiting_calls(self, queue: str) -> int:
        return len(self.in_queue.get(queue, ()))

    def extension_of(self, agent_id: str) -> str:
        return self.agents[agent_id].extension

    def _offer_to_outbound(self, agent: Agent, now: float, actions: list) -> None:
        if agent.state == READY and self.outbound.runs:
            self.outbound.agent_free(agent.agent_id, now, actions)
