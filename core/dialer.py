"""The outbound dialer: runs approved campaigns beside the inbound routing, in the same core turn.

``CallCenter`` owns one ``Dialer`` and hands it the outbound messages (``core.outbound_messages``) and its
own timers (kinds starting "outbound"). Agents are lent by the inbound side through the ``AgentPool`` port
(``core.blending``): the dialer only takes agents the inbound side left free, so inbound calls come first,
and while more calls than a campaign's threshold wait on its order line the campaign pauses and gives its
agents back. A number is dialled only inside its calling hours, never twice at once, never when on the
do-not-call list; failed dials are retried after the campaign's back-off for their result, up to
``max_attempts``. How many calls ring at once is ``core.pacer``'s decision.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any, Callable, Container, Protocol

from core.campaigns import (
    BROADCAST,
    DIAL_FAILURES,
    DROPPED,
    MANUAL,
    PREDICTIVE,
    PREVIEW,
    Campaign,
    ListEntry,
    NumberZones,
    SiteZone,
    may_call,
    next_calling_time,
    site_day,
)
from core.log import NONE, LogRecord, Verb
from core.messages import StartTimer, Timer, TimerFired
from core.outbound_messages import (
    BroadcastHeard,
    CalleeAnswered,
    CalleeHungUp,
    CalleeNotReached,
    ConnectOutbound,
    DialManual,
    DialNumber,
    DialPreviewed,
    HangUpOutbound,
    LoadCampaign,
    OutboundAgentHungUp,
    PlayBroadcast,
    PlayDropMessage,
    RecordResult,
    ShowPreview,
    SkipPreview,
    StopCampaign,
)
from core.pacer import DayCounts, drop_allowance, new_dials
from core.phones import InvalidPhoneNumber, parse_phone
from core.ports import EventSink
from core.state import CommandRejected

PACE, CONNECT = "outbound_pace", "outbound_connect"  # timer kinds
BLEND_RECHECK = 5.0  # seconds between looks at the order line while a campaign gives way to inbound
# attempt states
PREVIEWING, RINGING, HELD, TALKING, LISTENING, ENDED = "preview", "ringing", "held", "talking", "broadcast", "ended"


class AgentPool(Protocol):
    """The inbound side's agents, as the dialer borrows them (``core.blending`` implements it)."""

    def free_agents(self, campaign: Campaign) -> list[str]: ...

    def take_agent(self, agent_id: str, now: float) -> None: ...

    def give_back_agent(self, agent_id: str, now: float, worked: bool, actions: list) -> None: ...

    def agent_wants_out(self, agent_id: str) -> bool: ...

    def waiting_calls(self, queue: str) -> int: ...

    def extension_of(self, agent_id: str) -> str: ...


@dataclass(slots=True, eq=False)
class Target:
    entry: ListEntry
    attempts: int = 0
    next_at: float = 0.0
    busy: bool = False  # an attempt (or a preview) is in progress
    done: bool = False
    last_result: str = ""


@dataclass(slots=True, eq=False)
class Attempt:
    attempt_id: str
    campaign_id: str
    target: Target
    number_of_try: int
    counts: DayCounts  # of the day it was dialled: its answer and drop count there
    state: str = RINGING
    agent_id: str | None = None
    dialled_at: float = 0.0
    answered_at: float = 0.0
    connected_at: float = 0.0
    result_code: str = ""


@dataclass(eq=False)
class CampaignRun:
    campaign: Campaign
    targets: dict[str, Target]
    due: list[tuple[float, int, str]] = field(default_factory=list)  # lazy heap (next_at, seq, number)
    agents: dict[str, str | None] = field(default_factory=dict)  # reserved agent -> attempt (None: waiting)
    attempts: dict[str, Attempt] = field(default_factory=dict)  # live ones
    held: list[str] = field(default_factory=list)  # answered, waiting for an agent, first come first
    counts: dict[str, DayCounts] = field(default_factory=dict)
    stopped: bool = False
    giving_way: bool = False  # paused for inbound

    def today(self, now: float) -> DayCounts:
        day = site_day(now)
        if day not in self.counts:
            self.counts[day] = DayCounts(day)
        return self.counts[day]

    def in_state(self, state: str) -> int:
        return sum(1 for a in self.attempts.values() if a.state == state)

    def waiting_agents(self) -> list[str]:
        return [agent for agent, attempt in self.agents.items() if attempt is None]


class Dialer:
    def __init__(self, pool: AgentPool, log: EventSink, *, zones: NumberZones | None = None,
                 do_not_call: Container[str] = ()) -> None:
        self.pool = pool
        self.log = log
        self.zones: NumberZones = zones or SiteZone()
        self.do_not_call = do_not_call
        self.runs: dict[str, CampaignRun] = {}
        self.attempts: dict[str, Attempt] = {}
        self.results: dict[str, str] = {}  # attempt -> agent's result code, once recorded
        self._ended: dict[str, Attempt] = {}  # connected attempts that may still get their result code
        self._timers: dict[tuple[str, str], int] = {}
        self._token = 0
        self._seq = 0
        self._turn = False  # inside one of our handlers: the pool's "agent free" calls wait for our pacing
        self.handlers: dict[type, Callable[[Any, list], None]] = {
            LoadCampaign: self._load, StopCampaign: self._stop, DialPreviewed: self._dial_previewed,
            SkipPreview: self._skip_preview, DialManual: self._dial_manual, RecordResult: self._record_result,
            CalleeAnswered: self._answered, CalleeNotReached: self._not_reached, CalleeHungUp: self._callee_hung_up,
            OutboundAgentHungUp: self._agent_hung_up, BroadcastHeard: self._broadcast_heard,
        }

    def handle(self, message, actions: list) -> None:
        self._turn = True
        try:
            self.handlers[type(message)](message, actions)
        finally:
            self._turn = False

    # --- helpers ---------------------------------------------------------------------------------

    def _emit(self, now, call_id, queue, agent, verb, d1="", d2="", d3="", d4="", d5="") -> None:
        self.log.append(LogRecord(now, call_id, queue, agent, verb, d1, d2, d3, d4, d5))

    def _start_timer(self, kind: str, key: str, at: float, actions: list) -> None:
        self._token += 1
        self._timers[(kind, key)] = self._token
        actions.append(StartTimer(at, Timer(kind, key, self._token)))

    def _run(self, campaign_id: str) -> CampaignRun:
        run = self.runs.get(campaign_id)
        if run is None:
            raise CommandRejected(f"campaign {campaign_id} is not running")
        return run

    def _live_attempt(self, attempt_id: str) -> Attempt | None:
        return self.attempts.get(attempt_id)

    # --- commands --------------------------------------------------------------------------------

    def _load(self, msg: LoadCampaign, actions: list) -> None:
        campaign = msg.campaign
        if not campaign.approved_by:
            raise CommandRejected(f"campaign {campaign.campaign_id} is not approved; nothing is dialled before")
        problems = campaign.problems()
        if problems:
            raise CommandRejected(f"campaign {campaign.campaign_id}: " + "; ".join(problems))
        if campaign.campaign_id in self.runs and not self.runs[campaign.campaign_id].stopped:
            raise CommandRejected(f"campaign {campaign.campaign_id} is running already")
        run = CampaignRun(campaign, {})
        for entry in msg.entries:
            if entry.number not in run.targets:
                run.targets[entry.number] = Target(entry, next_at=msg.now)
                self._push(run, run.targets[entry.number])
        self.runs[campaign.campaign_id] = run
        self._emit(msg.now, NONE, campaign.campaign_id, NONE, Verb.CAMPAIGN_START, campaign.mode, len(run.targets),
                   campaign.approved_by)
        self._pace(run, msg.now, actions)

    def _stop(self, msg: StopCampaign, actions: list) -> None:
        run = self._run(msg.campaign_id)
        run.stopped = True
        for attempt in list(run.attempts.values()):
            if attempt.state == PREVIEWING:
                self._end_attempt(run, attempt, msg.now, actions, worked=False)
                attempt.target.busy = False
        self._emit(msg.now, NONE, msg.campaign_id, NONE, Verb.CAMPAIGN_STOP, "stopped")
        self._release_spare(run, msg.now, actions, keep=0)

    def _dial_previewed(self, msg: DialPreviewed, actions: list) -> None:
        attempt = self._live_attempt(msg.attempt_id)
        if attempt is None or attempt.state != PREVIEWING or attempt.agent_id != msg.agent_id:
            raise CommandRejected(f"{msg.attempt_id} is not a preview of agent {msg.agent_id}")
        run = self.runs[attempt.campaign_id]
        reason = self._refusal(run, attempt.target, msg.now)
        if reason:
            raise CommandRejected(reason + "; skip this preview")  # nothing changed: the agent may skip
        self._place(run, attempt, msg.now, actions)

    def _skip_preview(self, msg: SkipPreview, actions: list) -> None:
        attempt = self._live_attempt(msg.attempt_id)
        if attempt is None or attempt.state != PREVIEWING or attempt.agent_id != msg.agent_id:
            raise CommandRejected(f"{msg.attempt_id} is not a preview of agent {msg.agent_id}")
        run = self.runs[attempt.campaign_id]
        run.attempts.pop(attempt.attempt_id)
        self.attempts.pop(attempt.attempt_id)
        attempt.target.busy = False
        attempt.target.next_at = msg.now
        self._push(run, attempt.target)  # behind the numbers already due
        run.agents[msg.agent_id] = None
        self._pace(run, msg.now, actions)

    def _dial_manual(self, msg: DialManual, actions: list) -> None:
        run = self._run(msg.campaign_id)
        if run.stopped:
            raise CommandRejected(f"campaign {msg.campaign_id} is stopped")
        try:
            phone = parse_phone(msg.number)
        except InvalidPhoneNumber as error:
            raise CommandRejected(str(error)) from None
        target = run.targets.get(phone.key)
        if target is None:
            target = run.targets[phone.key] = Target(ListEntry(phone.key, zone=self.zones.zone_of(phone)), done=True)
        if target.busy:
            raise CommandRejected(f"{phone} is being called already")
        reason = self._refusal(run, target, msg.now)
        if reason:
            raise CommandRejected(reason)
        if run.agents.get(msg.agent_id, "") is None:
            run.agents.pop(msg.agent_id)  # a waiting agent of this campaign dials by hand
        elif msg.agent_id in self.pool.free_agents(run.campaign):
            self.pool.take_agent(msg.agent_id, msg.now)
        else:
            raise CommandRejected(f"agent {msg.agent_id} is not free to dial for campaign {msg.campaign_id}")
        run.agents[msg.agent_id] = None
        self._place(run, self._new_attempt(run, target, msg.now, msg.agent_id), msg.now, actions)

    def _record_result(self, msg: RecordResult, actions: list) -> None:
        attempt = self.attempts.get(msg.attempt_id) or self._ended.get(msg.attempt_id)
        if attempt is None or attempt.agent_id != msg.agent_id or not attempt.connected_at:
            raise CommandRejected(f"agent {msg.agent_id} had no call {msg.attempt_id}")
        campaign = self.runs[attempt.campaign_id].campaign
        if msg.code not in campaign.result_codes:
            raise CommandRejected(f"result {msg.code!r} is not one of {', '.join(campaign.result_codes)}")
        if attempt.attempt_id in self.results:
            raise CommandRejected(f"{msg.attempt_id} has its result already: {self.results[attempt.attempt_id]}")
        self.results[attempt.attempt_id] = attempt.result_code = msg.code
        self._ended.pop(attempt.attempt_id, None)
        self._emit(msg.now, attempt.attempt_id, campaign.campaign_id, msg.agent_id, Verb.OUTBOUND_RESULT, msg.code,
                   attempt.target.entry.number)

    # --- events ----------------------------------------------------------------------------------

    def _answered(self, msg: CalleeAnswered, actions: list) -> None:
        attempt = self._live_attempt(msg.attempt_id)
        if attempt is None or attempt.state != RINGING:
            return  # a late report
        run = self.runs[attempt.campaign_id]
        now = msg.now
        counts = attempt.counts
        counts.resolved += 1
        counts.answered += 1
        counts.answer_wait_total += now - attempt.dialled_at
        attempt.answered_at = now
        self._emit(now, attempt.attempt_id, run.campaign.campaign_id, attempt.agent_id or NONE, Verb.OUTBOUND_ANSWER,
                   now - attempt.dialled_at)
        if run.campaign.mode == BROADCAST:
            attempt.state = LISTENING
            actions.append(PlayBroadcast(attempt.attempt_id, run.campaign.recording))
        elif attempt.agent_id is not None:
            self._connect(run, attempt, attempt.agent_id, now, actions)
        else:
            waiting = run.waiting_agents()
            if waiting:
                self._connect(run, attempt, waiting[0], now, actions)
            else:
                attempt.state = HELD
                run.held.append(attempt.attempt_id)
                self._start_timer(CONNECT, attempt.attempt_id, now + run.campaign.connect_within, actions)
        self._pace(run, now, actions)

    def _not_reached(self, msg: CalleeNotReached, actions: list) -> None:
        attempt = self._live_attempt(msg.attempt_id)
        if attempt is None or attempt.state != RINGING:
            return
        if msg.result not in DIAL_FAILURES:
            raise CommandRejected(f"dial result {msg.result!r} is not one of {', '.join(DIAL_FAILURES)}")
        run = self.runs[attempt.campaign_id]
        attempt.counts.resolved += 1
        self._emit(msg.now, attempt.attempt_id, run.campaign.campaign_id, attempt.agent_id or NONE,
                   Verb.OUTBOUND_FAIL, msg.result, msg.now - attempt.dialled_at)
        self._end_attempt(run, attempt, msg.now, actions, worked=False)
        self._retry_or_finish(run, attempt.target, msg.result, msg.now)
        self._pace(run, msg.now, actions)

    def _callee_hung_up(self, msg: CalleeHungUp, actions: list) -> None:
        attempt = self._live_attempt(msg.attempt_id)
        if attempt is None:
            return
        run = self.runs[attempt.campaign_id]
        if attempt.state == HELD:
            self._drop(run, attempt, msg.now, actions, played=False)
        elif attempt.state == TALKING:
            self._complete(run, attempt, "callee", msg.now, actions)
        elif attempt.state == LISTENING:
            self._broadcast_done(run, attempt, "", msg.now, actions)
        elif attempt.state == RINGING:
            self._not_reached(CalleeNotReached(msg.now, msg.attempt_id, "no_answer"), actions)
            return
        self._pace(run, msg.now, actions)

    def _agent_hung_up(self, msg: OutboundAgentHungUp, actions: list) -> None:
        attempt = self._live_attempt(msg.attempt_id)
        if attempt is None or attempt.state != TALKING:
            return
        run = self.runs[attempt.campaign_id]
        actions.append(HangUpOutbound(attempt.attempt_id, "agent hung up"))
        self._complete(run, attempt, "agent", msg.now, actions)
        self._pace(run, msg.now, actions)

    def _broadcast_heard(self, msg: BroadcastHeard, actions: list) -> None:
        attempt = self._live_attempt(msg.attempt_id)
        if attempt is None or attempt.state != LISTENING:
            return
        run = self.runs[attempt.campaign_id]
        self._broadcast_done(run, attempt, msg.digits, msg.now, actions)
        self._pace(run, msg.now, actions)

    def timer_fired(self, msg: TimerFired, actions: list) -> None:
        timer = msg.timer
        if self._timers.get((timer.kind, timer.key)) != timer.token:
            return
        del self._timers[(timer.kind, timer.key)]
        self._turn = True
        try:
            if timer.kind == PACE:
                run = self.runs.get(timer.key)
                if run is not None:
                    self._pace(run, msg.now, actions)
            elif timer.kind == CONNECT:
                attempt = self._live_attempt(timer.key)
                if attempt is not None and attempt.state == HELD:
                    run = self.runs[attempt.campaign_id]
                    self._drop(run, attempt, msg.now, actions, played=True)
                    self._pace(run, msg.now, actions)
        finally:
            self._turn = False

    def agent_free(self, agent_id: str, now: float, actions: list) -> None:
        """The inbound side has no work for this agent: a campaign with work may take them."""
        if self._turn:
            return  # our own pacing, which gave the agent back, takes free agents itself
        self._turn = True
        try:
            for run in self.runs.values():
                if self._active(run, now) and agent_id in self.pool.free_agents(run.campaign) and self._has_work(run, now):
                    self._pace(run, now, actions)
                    if agent_id in run.agents:
                        return
        finally:
            self._turn = False

    # --- the steps -------------------------------------------------------------------------------

    def _active(self, run: CampaignRun, now: float) -> bool:
        campaign = run.campaign
        if run.stopped or campaign.mode in (MANUAL, BROADCAST):
            return False
        return not run.giving_way

    def _pace(self, run: CampaignRun, now: float, actions: list) -> None:
        """Take free agents, give back those not needed, and dial (or preview) what the mode allows."""
        campaign = run.campaign
        if run.stopped:
            self._release_spare(run, now, actions, keep=0)
            return
        if campaign.order_line:
            crowded = self.pool.waiting_calls(campaign.order_line) > campaign.inbound_threshold
            if crowded != run.giving_way:
                run.giving_way = crowded
                verb = Verb.CAMPAIGN_PAUSE if crowded else Verb.CAMPAIGN_RESUME
                self._emit(now, NONE, campaign.campaign_id, NONE, verb, self.pool.waiting_calls(campaign.order_line))
            if crowded:
                self._release_spare(run, now, actions, keep=0)
                self._start_timer(PACE, campaign.campaign_id, now + BLEND_RECHECK, actions)
                return
        if campaign.mode == MANUAL:
            return
        has_work = self._has_work(run, now)
        if campaign.mode != BROADCAST and has_work:
            for agent_id in self.pool.free_agents(campaign):
                self.pool.take_agent(agent_id, now)
                run.agents[agent_id] = None
        self._release_spare(run, now, actions, keep=None if has_work else 0)
        if campaign.mode == PREVIEW:
            for agent_id in run.waiting_agents():
                target = self._next_due(run, now)
                if target is None:
                    break
                attempt = self._new_attempt(run, target, now, agent_id)
                attempt.state = PREVIEWING
                self._emit(now, attempt.attempt_id, campaign.campaign_id, agent_id, Verb.OUTBOUND_PREVIEW,
                           target.entry.number, target.entry.name)
                actions.append(ShowPreview(agent_id, attempt.attempt_id, campaign.campaign_id, target.entry.number,
                                           target.entry.name))
        else:
            ringing, held = run.in_state(RINGING), len(run.held)
            if campaign.mode == BROADCAST:
                wanted = campaign.broadcast_lines - ringing - run.in_state(LISTENING)
            else:
                waiting = len(run.waiting_agents())
                talking = sum(1 for a in run.agents.values() if a is not None)
                wanted = new_dials(predictive=campaign.mode == PREDICTIVE, counts=run.today(now), cap=campaign.drop_cap,
                                   waiting_agents=waiting, talking_agents=talking, ringing=ringing, held=held)
            for _ in range(max(0, wanted)):
                target = self._next_due(run, now)
                if target is None:
                    break
                self._place(run, self._new_attempt(run, target, now), now, actions)
        self._wake_for_next(run, now, actions)

    def _release_spare(self, run: CampaignRun, now: float, actions: list, keep: int | None) -> None:
        """Give waiting agents back while the calls in flight keep an agent each (so no drop risk is added);
        ``keep=None`` keeps all but those who asked to stop (a pause or logout waits on them)."""
        needed = run.in_state(RINGING) + len(run.held) if run.campaign.mode != PREVIEW else 0
        for agent_id in run.waiting_agents():
            if len(run.waiting_agents()) <= needed:
                return
            if keep is None and not self.pool.agent_wants_out(agent_id):
                continue
            del run.agents[agent_id]
            self.pool.give_back_agent(agent_id, now, False, actions)

    def _has_work(self, run: CampaignRun, now: float) -> bool:
        return bool(run.held) or self._peek_due(run, now)

    def _peek_due(self, run: CampaignRun, now: float) -> bool:
        while run.due:
            at, _, number = run.due[0]
            target = run.targets[number]
            if target.busy or target.done or at != target.next_at:
                heapq.heappop(run.due)  # stale
                continue
            return at <= now
        return False

    def _next_due(self, run: CampaignRun, now: float) -> Target | None:
        """The next number that may be called now; numbers outside their hours move to their next hour."""
        while self._peek_due(run, now):
            _, _, number = heapq.heappop(run.due)
            target = run.targets[number]
            if number in self.do_not_call:
                target.done = True
                target.last_result = "do_not_call"
                self._emit(now, NONE, run.campaign.campaign_id, NONE, Verb.OUTBOUND_DONE, number, "do_not_call",
                           target.attempts)
                continue
            if not may_call(run.campaign, target.entry.zone, now):
                later = next_calling_time(run.campaign, target.entry.zone, now)
                if later is None:
                    target.done = True
                    self._emit(now, NONE, run.campaign.campaign_id, NONE, Verb.OUTBOUND_DONE, number, "campaign_over",
                               target.attempts)
                else:
                    target.next_at = later
                    self._push(run, target)
                continue
            return target
        return None

    def _wake_for_next(self, run: CampaignRun, now: float, actions: list) -> None:
        self._peek_due(run, now)
        if run.due and run.due[0][0] > now:
            self._start_timer(PACE, run.campaign.campaign_id, run.due[0][0], actions)

    def _refusal(self, run: CampaignRun, target: Target, now: float) -> str:
        if target.entry.number in self.do_not_call:
            return f"{target.entry.number} is on the do-not-call list"
        if not may_call(run.campaign, target.entry.zone, now):
            return f"{target.entry.number} may not be called now (campaign window or the callee's calling hours)"
        return ""

    def _push(self, run: CampaignRun, target: Target) -> None:
        self._seq += 1
        heapq.heappush(run.due, (target.next_at, self._seq, target.entry.number))

    def _new_attempt(self, run: CampaignRun, target: Target, now: float, agent_id: str | None = None) -> Attempt:
        self._seq += 1
        attempt = Attempt(f"{run.campaign.campaign_id}-{self._seq}", run.campaign.campaign_id, target,
                          target.attempts + 1, run.today(now), agent_id=agent_id)
        target.busy = True
        run.attempts[attempt.attempt_id] = self.attempts[attempt.attempt_id] = attempt
        if agent_id is not None:
            run.agents[agent_id] = attempt.attempt_id
        return attempt

    def _place(self, run: CampaignRun, attempt: Attempt, now: float, actions: list) -> None:
        campaign = run.campaign
        attempt.state = RINGING
        attempt.dialled_at = now
        attempt.counts = run.today(now)
        attempt.counts.attempts += 1
        attempt.target.attempts += 1
        self._emit(now, attempt.attempt_id, campaign.campaign_id, attempt.agent_id or NONE, Verb.OUTBOUND_DIAL,
                   attempt.target.entry.number, attempt.target.attempts, campaign.mode)
        actions.append(DialNumber(attempt.attempt_id, campaign.campaign_id, attempt.target.entry.number,
                                  campaign.caller_id, campaign.ring_timeout))

    def _connect(self, run: CampaignRun, attempt: Attempt, agent_id: str, now: float, actions: list) -> None:
        attempt.state = TALKING
        attempt.agent_id = agent_id
        attempt.connected_at = now
        run.agents[agent_id] = attempt.attempt_id
        attempt.counts.connects += 1
        self._emit(now, attempt.attempt_id, run.campaign.campaign_id, agent_id, Verb.OUTBOUND_CONNECT,
                   now - attempt.answered_at, attempt.target.entry.number)
        actions.append(ConnectOutbound(attempt.attempt_id, agent_id, self.pool.extension_of(agent_id)))

    def _drop(self, run: CampaignRun, attempt: Attempt, now: float, actions: list, played: bool) -> None:
        run.held.remove(attempt.attempt_id)
        attempt.counts.drops += 1
        self._emit(now, attempt.attempt_id, run.campaign.campaign_id, NONE, Verb.OUTBOUND_DROP,
                   now - attempt.answered_at, "message" if played else "hung_up")
        if played:
            actions.append(PlayDropMessage(attempt.attempt_id))
        self._end_attempt(run, attempt, now, actions, worked=False)
        self._retry_or_finish(run, attempt.target, DROPPED, now)

    def _complete(self, run: CampaignRun, attempt: Attempt, side: str, now: float, actions: list) -> None:
        talk = now - attempt.connected_at
        attempt.counts.handle_total += talk
        attempt.counts.handled += 1
        self._emit(now, attempt.attempt_id, run.campaign.campaign_id, attempt.agent_id or NONE,
                   Verb.OUTBOUND_COMPLETE, talk, side)
        self._ended[attempt.attempt_id] = attempt
        self._end_attempt(run, attempt, now, actions, worked=True)
        self._finish(run, attempt.target, "contacted", now)

    def _broadcast_done(self, run: CampaignRun, attempt: Attempt, digits: str, now: float, actions: list) -> None:
        agent = None
        if digits == "0":
            free = self.pool.free_agents(run.campaign)
            if free:
                agent = free[0]
                self.pool.take_agent(agent, now)
        self._emit(now, attempt.attempt_id, run.campaign.campaign_id, agent or NONE, Verb.OUTBOUND_BROADCAST, digits,
                   "agent" if agent else ("no_agent" if digits == "0" else "heard"))
        if agent is not None:
            self._connect(run, attempt, agent, now, actions)
            return
        if digits == "0":
            actions.append(PlayDropMessage(attempt.attempt_id))
        else:
            actions.append(HangUpOutbound(attempt.attempt_id, "notice played"))
        self._end_attempt(run, attempt, now, actions, worked=False)
        self._finish(run, attempt.target, "heard", now)

    def _end_attempt(self, run: CampaignRun, attempt: Attempt, now: float, actions: list, worked: bool) -> None:
        attempt.state = ENDED
        run.attempts.pop(attempt.attempt_id, None)
        self.attempts.pop(attempt.attempt_id, None)
        agent_id = attempt.agent_id
        if agent_id is not None and run.agents.get(agent_id) == attempt.attempt_id:
            if run.campaign.mode in (PREVIEW, MANUAL) or worked or run.campaign.mode == BROADCAST:
                del run.agents[agent_id]
                self.pool.give_back_agent(agent_id, now, worked, actions)
            else:
                run.agents[agent_id] = None

    def _retry_or_finish(self, run: CampaignRun, target: Target, result: str, now: float) -> None:
        target.busy = False
        target.last_result = result
        delay = run.campaign.retry_delay(result)
        if delay is None or target.attempts >= run.campaign.max_attempts or target.done:
            self._finish(run, target, result, now)
            return
        target.next_at = now + delay
        self._push(run, target)
        self._emit(now, NONE, run.campaign.campaign_id, NONE, Verb.OUTBOUND_RETRY, target.entry.number,
                   target.next_at, target.attempts)

    def _finish(self, run: CampaignRun, target: Target, result: str, now: float) -> None:
        target.busy = False
        was_done = target.done
        target.done = True
        target.last_result = result
        if not was_done:
            self._emit(now, NONE, run.campaign.campaign_id, NONE, Verb.OUTBOUND_DONE, target.entry.number, result,
                       target.attempts)

    def spare_drop_allowance(self, campaign_id: str, now: float) -> int:
        """For screens: how many calls beyond the waiting agents the cap allows now."""
        run = self._run(campaign_id)
        return drop_allowance(run.today(now), run.campaign.drop_cap, len(run.held))
