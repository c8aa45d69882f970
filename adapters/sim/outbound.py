"""The SimPy driver for outbound campaigns: simulated callees and agents around the real core's dialer.

It holds no pacing rule: the core (``core.dialer`` with ``core.pacer``, the same code the live driver runs)
decides what to dial; this driver makes callees answer (or ring out, or be busy) after a ring time, wait a
patience for an agent once they answered, talk a handle time, and listen to a broadcast; agents record a
result when the call ends. One numpy generator per random stream, derived from one ``SeedSequence``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import simpy

from adapters.sim.distributions import Distribution
from core.campaigns import BUSY, NO_ANSWER, Campaign, ListEntry
from core.center import CallCenter
from core.messages import LogIn, StartTimer, TimerFired
from core.outbound_messages import (
    BroadcastHeard,
    CalleeAnswered,
    CalleeHungUp,
    CalleeNotReached,
    ConnectOutbound,
    DialNumber,
    HangUpOutbound,
    LoadCampaign,
    OutboundAgentHungUp,
    PlayBroadcast,
    PlayDropMessage,
    RecordResult,
)

STREAMS = ("answer", "ring", "patience", "handle", "result", "digits")


@dataclass(frozen=True)
class CalleeBehaviour:
    answer_rate: float  # a person answers
    busy_share: float  # of those who do not: busy at once (the rest ring out)
    ring_to_answer: Distribution
    handle: Distribution
    patience: Distribution  # how long an answered callee waits for an agent
    busy_after: float = 3.0
    zero_share: float = 0.1  # broadcast listeners who press 0
    notice_length: float = 30.0
    sale_share: float = 0.1


@dataclass
class OutboundRun:
    """What happened, beyond the event log: when the campaign ran out of numbers (or the horizon came)."""

    ended_at: float = 0.0
    open_calls: set[str] = field(default_factory=set)


class OutboundModel:
    def __init__(
        self,
        center: CallCenter,
        campaign: Campaign,
        entries: list[ListEntry],
        agents: list[str],
        behaviour: CalleeBehaviour,
        start: float,
        seed: np.random.SeedSequence,
    ) -> None:
        self.center = center
        self.campaign = campaign
        self.entries = entries
        self.agents = agents
        self.behaviour = behaviour
        self.env = simpy.Environment(initial_time=start)
        self.rng = {
            name: np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, i)))
            for i, name in enumerate(STREAMS)
        }
        self.run_info = OutboundRun(ended_at=start)
        self._connected: set[str] = set()
        self._agent_of: dict[str, str] = {}

    def run(self, horizon: float) -> OutboundRun:
        now = self.env.now
        for agent_id in self.agents:
            self._send(LogIn(now, agent_id))
        self._send(LoadCampaign(now, self.campaign, tuple(self.entries)))
        self.env.run(until=self.env.now + horizon)
        return self.run_info

    # --- plumbing ----------------------------------------------------------------------------------

    def _send(self, msg) -> None:
        for action in self.center.handle(msg):
            self._act(action)

    def _later(self, delay: float, make) -> None:
        event = self.env.timeout(max(0.0, delay))
        event.callbacks.append(lambda _event: self._fire(make))

    def _fire(self, make) -> None:
        msg = make(self.env.now)
        if msg is not None:
            self._send(msg)

    def _draw(self, stream: str, dist: Distribution) -> float:
        return float(dist.sample(self.rng[stream], 1)[0])

    def _act(self, action) -> None:
        b = self.behaviour
        if isinstance(action, StartTimer):
            timer = action.timer
            self._later(action.at - self.env.now, lambda now: TimerFired(now, timer))
        elif isinstance(action, DialNumber):
            self._dial(action)
        elif isinstance(action, ConnectOutbound):
            self._connected.add(action.attempt_id)
            self._agent_of[action.attempt_id] = action.agent_id
            self._later(self._draw("handle", b.handle), lambda now: self._talk_ends(now, action))
        elif isinstance(action, (PlayDropMessage, HangUpOutbound)):
            self._ended(action.attempt_id)
        elif isinstance(action, PlayBroadcast):
            digits = "0" if self.rng["digits"].random() < b.zero_share else ""
            self._later(b.notice_length, lambda now: BroadcastHeard(now, action.attempt_id, digits))

    def _dial(self, action: DialNumber) -> None:
        b = self.behaviour
        self.run_info.open_calls.add(action.attempt_id)
        attempt = action.attempt_id
        if self.rng["answer"].random() < b.answer_rate:
            after = min(self._draw("ring", b.ring_to_answer), action.ring_timeout)
            patience = self._draw("patience", b.patience)
            self._later(after, lambda now: CalleeAnswered(now, attempt))
            self._later(after + patience, lambda now: self._impatient(now, attempt))
        elif self.rng["answer"].random() < b.busy_share:
            self._later(b.busy_after, lambda now: self._not_reached(now, attempt, BUSY))
        else:
            self._later(action.ring_timeout, lambda now: self._not_reached(now, attempt, NO_ANSWER))

    def _not_reached(self, now: float, attempt: str, result: str):
        self._ended(attempt)
        return CalleeNotReached(now, attempt, result)

    def _impatient(self, now: float, attempt: str):
        if attempt in self.run_info.open_calls and attempt not in self._connected:
            self._ended(attempt)
            return CalleeHungUp(now, attempt)  # the dialer ignores it unless the callee still waits
        return None

    def _talk_ends(self, now: float, action: ConnectOutbound):
        self._ended(action.attempt_id)
        self._connected.discard(action.attempt_id)
        self._send(OutboundAgentHungUp(now, action.attempt_id))
        sale = self.rng["result"].random() < self.behaviour.sale_share
        codes = self.campaign.result_codes
        code = codes[0] if sale or len(codes) == 1 else codes[1]
        return RecordResult(now, action.agent_id, action.attempt_id, code)

    def _ended(self, attempt: str) -> None:
        self.run_info.open_calls.discard(attempt)
        self.run_info.ended_at = self.env.now
