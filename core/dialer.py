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

from typing import Any, Callable, Container

from core.campaigns import (
    BROADCAST,
    DIAL_FAILURES,
    ListEntry,
    NumberZones,
    SiteZone,
)
from core.dial_state import (
    CONNECT,
    HELD,
    LISTENING,
    PACE,
    PREVIEWING,
    RINGING,
    TALKING,
    AgentPool,
    Attempt,
    CampaignRun,
    Target,
)
from core.dial_steps import DialSteps
from core.log import NONE, Verb
from core.messages import TimerFired
from core.outbound_messages import (
    BroadcastHeard,
    CalleeAnswered,
    CalleeHungUp,
    CalleeNotReached,
    DialManual,
    DialPreviewed,
    HangUpOutbound,
    LoadCampaign,
    OutboundAgentHungUp,
    PlayBroadcast,
    RecordResult,
    SkipPreview,
    StopCampaign,
)
from core.phones import InvalidPhoneNumber, parse_phone
from core.ports import EventSink
from core.state import CommandRejected


class Dialer(DialSteps):
    def __init__(
        self, pool: AgentPool, log: EventSink, *, zones: NumberZones | None = None, do_not_call: Container[str] = ()
    ) -> None:
        super().__init__(log)
        self.pool = pool
        self.zones: NumberZones = zones or SiteZone()
        self.do_not_call = do_not_call
        self.runs: dict[str, CampaignRun] = {}
        self.attempts: dict[str, Attempt] = {}
        self.results: dict[str, str] = {}  # attempt -> agent's result code, once recorded
        self._ended: dict[str, Attempt] = {}  # connected attempts that may still get their result code
        self._seq = 0
        self._turn = False  # inside one of our handlers: the pool's "agent free" calls wait for our pacing
        self.handlers: dict[type, Callable[[Any, list], None]] = {
            LoadCampaign: self._load,
            StopCampaign: self._stop,
            DialPreviewed: self._dial_previewed,
            SkipPreview: self._skip_preview,
            DialManual: self._dial_manual,
            RecordResult: self._record_result,
            CalleeAnswered: self._answered,
            CalleeNotReached: self._not_reached,
            CalleeHungUp: self._callee_hung_up,
            OutboundAgentHungUp: self._agent_hung_up,
            BroadcastHeard: self._broadcast_heard,
        }

    def handle(self, message, actions: list) -> None:
        self._turn = True
        try:
            self.handlers[type(message)](message, actions)
        finally:
            self._turn = False

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
        self.emit(
            msg.now,
            NONE,
            campaign.campaign_id,
            NONE,
            Verb.CAMPAIGN_START,
            campaign.mode,
            len(run.targets),
            campaign.approved_by,
        )
        self._pace(run, msg.now, actions)

    def _stop(self, msg: StopCampaign, actions: list) -> None:
        run = self._run(msg.campaign_id)
        run.stopped = True
        for attempt in list(run.attempts.values()):
            if attempt.state == PREVIEWING:
                self._end_attempt(run, attempt, msg.now, actions, worked=False)
                attempt.target.busy = False
        self.emit(msg.now, NONE, msg.campaign_id, NONE, Verb.CAMPAIGN_STOP, "stopped")
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
        self.emit(
            msg.now,
            attempt.attempt_id,
            campaign.campaign_id,
            msg.agent_id,
            Verb.OUTBOUND_RESULT,
            msg.code,
            attempt.target.entry.number,
        )

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
        self.emit(
            now,
            attempt.attempt_id,
            run.campaign.campaign_id,
            attempt.agent_id or NONE,
            Verb.OUTBOUND_ANSWER,
            now - attempt.dialled_at,
        )
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
                self.start_timer(CONNECT, attempt.attempt_id, now + run.campaign.connect_within, actions)
        self._pace(run, now, actions)

    def _not_reached(self, msg: CalleeNotReached, actions: list) -> None:
        attempt = self._live_attempt(msg.attempt_id)
        if attempt is None or attempt.state != RINGING:
            return
        if msg.result not in DIAL_FAILURES:
            raise CommandRejected(f"dial result {msg.result!r} is not one of {', '.join(DIAL_FAILURES)}")
        run = self.runs[attempt.campaign_id]
        attempt.counts.resolved += 1
        self.emit(
            msg.now,
            attempt.attempt_id,
            run.campaign.campaign_id,
            attempt.agent_id or NONE,
            Verb.OUTBOUND_FAIL,
            msg.result,
            msg.now - attempt.dialled_at,
        )
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
        if not self.timer_in_force(timer):
            return
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
                if (
                    self._active(run, now)
                    and agent_id in self.pool.free_agents(run.campaign)
                    and self._has_work(run, now)
                ):
                    self._pace(run, now, actions)
                    if agent_id in run.agents:
                        return
        finally:
            self._turn = False
