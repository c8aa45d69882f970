"""A deterministic outbound driver for unit tests: a heap of timed reactions around ``CallCenter``.

It plays the callees (answer with probability ``answer_rate`` after a ring, else busy / no answer; a person
waits ``patience`` for an agent) and the agents (talk for an exponential handle time, then hang up and
record a result), and checks on every action what the acceptance asks of the dialer: a number is never
dialled twice at once, never outside its calling hours, never while it is on the do-not-call list.
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field

from core.campaigns import Campaign, ListEntry, may_call
from core.center import CallCenter
from core.log import Verb
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
    ShowPreview,
)


@dataclass
class Callees:
    answer_rate: float = 0.3
    ring_to_answer: tuple[float, float] = (3.0, 20.0)
    handle_mean: float = 120.0
    patience: float = 10.0
    digits: str = ""  # what broadcast listeners press


@dataclass
class OutboundDriver:
    center: CallCenter
    now: float
    callees: Callees = field(default_factory=Callees)
    seed: int = 0
    auto_preview: bool = True
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    zones: dict[str, str] = field(default_factory=dict)
    dialling: dict[str, str] = field(default_factory=dict)  # attempt -> number, while it is dialled or talking
    connected: set[str] = field(default_factory=set)
    previews: list[ShowPreview] = field(default_factory=list)
    dials: list[DialNumber] = field(default_factory=list)
    drop_messages: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._heap: list = []
        self._order = itertools.count()

    def send(self, msg) -> list:
        actions = self.center.handle(msg)
        for action in actions:
            self._act(action)
        return actions

    def load(self, campaign: Campaign, entries: list[ListEntry]) -> list:
        self.campaigns[campaign.campaign_id] = campaign
        self.zones.update({e.number: e.zone for e in entries})
        return self.send(LoadCampaign(self.now, campaign, tuple(entries)))

    def login(self, *agent_ids: str) -> None:
        for agent_id in agent_ids:
            self.send(LogIn(self.now, agent_id))

    def at(self, when: float, msg_of_time) -> None:
        heapq.heappush(self._heap, (when, next(self._order), msg_of_time))

    def run_until(self, until: float, limit: int = 2_000_000) -> None:
        for _ in range(limit):
            if not self._heap or self._heap[0][0] > until:
                break
            when, _, make = heapq.heappop(self._heap)
            self.now = max(self.now, when)
            msg = make(self.now)
            if msg is not None:
                self.send(msg)
        self.now = max(self.now, until)

    def _act(self, action) -> None:
        if isinstance(action, StartTimer):
            timer = action.timer
            self.at(action.at, lambda now, t=timer: TimerFired(now, t))
        elif isinstance(action, DialNumber):
            self._dial(action)
        elif isinstance(action, ConnectOutbound):
            self.connected.add(action.attempt_id)
            talk = self.rng.expovariate(1 / self.callees.handle_mean)
            self.at(self.now + talk, lambda now, a=action: self._hang_up(now, a))
        elif isinstance(action, (PlayDropMessage, HangUpOutbound)):
            self.drop_messages += isinstance(action, PlayDropMessage)
            self.dialling.pop(action.attempt_id, None)
        elif isinstance(action, PlayBroadcast):
            self.at(self.now + 20, lambda now, a=action.attempt_id: BroadcastHeard(now, a, self.callees.digits))
        elif isinstance(action, ShowPreview):
            self.previews.append(action)

    def _dial(self, action: DialNumber) -> None:
        number = action.number
        campaign = self.campaigns[action.campaign_id]
        assert number not in self.dialling.values(), f"{number} dialled twice at once"
        assert may_call(campaign, self.zones.get(number, "Asia/Shanghai"), self.now), f"{number} outside its hours"
        assert number not in self.center.outbound.do_not_call, f"{number} is on the do-not-call list"
        self.dials.append(action)
        self.dialling[action.attempt_id] = number
        if self.rng.random() < self.callees.answer_rate:
            after = self.rng.uniform(*self.callees.ring_to_answer)
            self.at(self.now + after, lambda now, a=action.attempt_id: CalleeAnswered(now, a))
            self.at(self.now + after + self.callees.patience, lambda now, a=action.attempt_id: self._impatient(now, a))
        elif self.rng.random() < 0.3:
            self.at(self.now + self.rng.uniform(1, 5), lambda now, a=action.attempt_id: self._failed(now, a, "busy"))
        else:
            self.at(self.now + action.ring_timeout, lambda now, a=action.attempt_id: self._failed(now, a, "no_answer"))

    def _failed(self, now: float, attempt_id: str, result: str):
        self.dialling.pop(attempt_id, None)
        return CalleeNotReached(now, attempt_id, result)

    def _impatient(self, now: float, attempt_id: str):
        if attempt_id in self.dialling and attempt_id not in self.connected:
            self.dialling.pop(attempt_id)
            return CalleeHungUp(now, attempt_id)
        return None

    def _hang_up(self, now: float, action: ConnectOutbound):
        self.dialling.pop(action.attempt_id, None)
        self.connected.discard(action.attempt_id)
        self.send(
            CalleeHungUp(now, action.attempt_id)
            if self.rng.random() < 0.5
            else OutboundAgentHungUp(now, action.attempt_id)
        )
        codes = self.campaigns[action.attempt_id.rsplit("-", 1)[0]].result_codes
        return RecordResult(now, action.agent_id, action.attempt_id, self.rng.choice(codes))


def counts_of(log, campaign_id: str) -> dict[str, int]:
    """Drops, answers, dials and connects of a campaign, from the event log alone."""
    verbs = {
        Verb.OUTBOUND_DIAL: "dials",
        Verb.OUTBOUND_ANSWER: "answered",
        Verb.OUTBOUND_DROP: "drops",
        Verb.OUTBOUND_CONNECT: "connects",
        Verb.OUTBOUND_FAIL: "failed",
    }
    out = dict.fromkeys(verbs.values(), 0)
    for record in log:
        if record.queue == campaign_id and record.verb in verbs:
            out[verbs[record.verb]] += 1
    return out
