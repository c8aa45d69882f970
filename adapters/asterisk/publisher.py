"""What screens need, derived from what the core did, published into the store for the console to relay:

* ``ringing`` / ``connected`` per agent (from the ``RingAgent`` / ``ConnectCall`` actions), with the caller's
  number, the hotline and the queue;
* ``preview`` per agent (from ``ShowPreview``, preview mode): the customer to call, with its campaign, number
  and name (``preview_event``), which the desk's outbound panel shows before the agent dials;
* ``agent_state`` when an agent's state, reason or call changes (every agent a message, its actions or its
  log records name is compared with what was last published), and the state table ``GET /api/agents`` reads;
* ``queue`` when a queue's waiting callers change: how many, and since when the longest has waited;
* a heartbeat every ``HEARTBEAT_EVERY`` seconds (the console sends commands only to a running driver).

``observe`` runs in the core's turn on every message (``driver.observers``) and only buffers; ``run`` writes the buffer to the
store every ``flush_every`` seconds (so the calls never wait for the database) and prunes old events.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable

from adapters.store.live_channel import SqlLiveEvents, SqlLiveStates
from adapters.store.outage import StoreOutage
from app.live import HEARTBEAT_EVERY, AgentStatus, QueueStatus
from core import messages as m
from core.center import CALL_RINGING, QUEUED
from core.log import NONE
from core.outbound_messages import ShowPreview

log = logging.getLogger("hotline.live.publisher")
MAX_BUFFER = 100_000  # events kept while the store is unreachable; the oldest go first


def preview_event(now: float, action: ShowPreview) -> dict:
    return dict(
        at=now,
        kind="preview",
        agent_id=action.agent_id,
        call_id=action.attempt_id,
        payload={"campaign_id": action.campaign_id, "caller": action.number, "name": action.name},
    )


class Publisher:
    def __init__(
        self,
        driver,
        events: SqlLiveEvents,
        states: SqlLiveStates,
        *,
        flush_every: float = 0.1,
        retention: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.driver = driver
        self.events = events
        self.states = states
        self.flush_every = flush_every
        self.retention = retention  # events older than this are pruned
        self.clock = clock
        self._events: list[dict] = []
        self._agents: dict[str, AgentStatus] = {}  # changed since the last flush
        self._queues: dict[str, QueueStatus] = {}
        self._agent_seen: dict[str, tuple] = {}  # last published (state, reason, call)
        self._queue_seen: dict[str, tuple] = {}
        self.published = 0
        self.outage = StoreOutage(log, "publisher")

    # --- deriving (in the core's turn) ------------------------------------------------------

    def observe(self, message, actions: list, records) -> None:
        now = getattr(message, "now", None) or self.clock()
        agents: set[str] = set()
        queues: set[str] = set()
        if getattr(message, "agent_id", None):
            agents.add(message.agent_id)
        for action in actions:
            kind = type(action)
            if kind is m.RingAgent:
                self._call_event(now, "ringing", action.agent_id, action.call_id)
            elif kind is m.ConnectCall:
                self._call_event(now, "connected", action.agent_id, action.call_id)
            elif kind is ShowPreview:
                self._push(preview_event(now, action))
            agent = getattr(action, "agent_id", None)
            if agent:
                agents.add(agent)
        for record in records:
            if record.agent != NONE:
                agents.add(record.agent)
            if record.queue != NONE:
                queues.add(record.queue)
        for agent in sorted(agents):
            self._agent_changed(now, agent)
        for queue in sorted(queues):
            self._queue_changed(now, queue)

    def observe_all(self, now: float) -> None:
        """Every agent and queue (at start: the store shows the recovered core, not the last run's ends)."""
        self._agent_seen.clear()
        self._queue_seen.clear()
        for agent in self.driver.core.agents:
            self._agent_changed(now, agent, quiet=True)
        for queue in self.driver.core.groups:
            self._queue_changed(now, queue, quiet=True)

    def _call_event(self, now: float, kind: str, agent_id: str, call_id: str) -> None:
        call = self.driver.core.calls.get(call_id)
        payload = {"caller": call.caller, "hotline": call.hotline, "queue": call.queue} if call else {}
        self._push(dict(at=now, kind=kind, agent_id=agent_id, call_id=call_id, payload=payload))

    def _agent_changed(self, now: float, agent_id: str, quiet: bool = False) -> None:
        agent = self.driver.core.agents.get(agent_id)
        if agent is None:
            return
        key = (agent.state, agent.reason, agent.call_id or "")
        if self._agent_seen.get(agent_id) == key:
            return
        self._agent_seen[agent_id] = key
        call = self.driver.core.calls.get(agent.call_id) if agent.call_id else None
        status = AgentStatus(agent_id, agent.state, agent.reason, agent.call_id or "", call.caller if call else "", now)
        self._agents[agent_id] = status
        if not quiet:
            self._push(
                dict(
                    at=now,
                    kind="agent_state",
                    agent_id=agent_id,
                    call_id=status.call_id,
                    payload={"state": status.state, "reason": status.reason, "caller": status.caller},
                )
            )

    def _queue_changed(self, now: float, queue: str, quiet: bool = False) -> None:
        waiting = [
            c.arrived for c in self.driver.core.in_queue.get(queue, {}).values() if c.state in (QUEUED, CALL_RINGING)
        ]
        status = QueueStatus(queue, len(waiting), min(waiting) if waiting else None, now)
        key = (status.waiting, status.oldest_since)
        if self._queue_seen.get(queue) == key:
            return
        self._queue_seen[queue] = key
        self._queues[queue] = status
        if not quiet:
            self._push(
                dict(
                    at=now,
                    kind="queue",
                    payload={"queue": queue, "waiting": status.waiting, "oldest_since": status.oldest_since},
                )
            )

    def _push(self, event: dict) -> None:
        self._events.append(event)
        if len(self._events) > MAX_BUFFER:
            del self._events[: len(self._events) - MAX_BUFFER]

    # --- writing (a task beside the driver) --------------------------------------------------------

    async def run(self) -> None:
        await self.driver.ready.wait()
        started = self.clock()
        self.observe_all(started)
        last_prune = last_beat = 0.0
        while True:
            await self.flush()
            now = self.clock()
            if now - last_beat >= HEARTBEAT_EVERY:
                try:
                    await asyncio.to_thread(self.states.beat, now, started)
                    last_beat = now
                except Exception as exc:
                    self.outage.failed(exc, "the heartbeat")
            if now - last_prune > 60:
                last_prune = now
                try:
                    await asyncio.to_thread(self.events.prune, now - self.retention)
                except Exception as exc:
                    self.outage.failed(exc, "pruning old events")
            await asyncio.sleep(self.flush_every)

    async def flush(self) -> None:
        events, agents, queues = self._events, self._agents, self._queues
        if not (events or agents or queues):
            return
        self._events, self._agents, self._queues = [], {}, {}
        try:
            await asyncio.to_thread(self._write, events, list(agents.values()), list(queues.values()))
        except Exception as exc:  # the store is away: keep what we have and try again (newer states win)
            self.outage.failed(exc, f"publishing {len(events)} events")
            self._events[:0] = events
            self._agents = {**agents, **self._agents}
            self._queues = {**queues, **self._queues}
            return
        self.outage.answered()
        self.published += len(events)

    def _write(self, events: list[dict], agents: list[AgentStatus], queues: list[QueueStatus]) -> None:
        self.events.publish(events)
        self.states.put_agents(agents)
        self.states.put_queues(queues)
