"""The dialer's steps (``core.dialer`` handles the messages with them): the pacing step, the next number due
(a lazy heap per run), placing, connecting and dropping attempts, and how an attempt ends (retry or finish).

The handlers are in ``core.dialer``, the state they work on (runs, targets, attempts) in ``core.dial_state``.
"""

from __future__ import annotations

import heapq
from typing import Container

from core.bookkeeping import Bookkeeping
from core.campaigns import (
    BROADCAST,
    DROPPED,
    MANUAL,
    PREDICTIVE,
    PREVIEW,
    NumberZones,
    may_call,
    next_calling_time,
)
from core.dial_state import (
    BLEND_RECHECK,
    ENDED,
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
from core.log import NONE, Verb
from core.outbound_messages import (
    ConnectOutbound,
    DialNumber,
    HangUpOutbound,
    PlayDropMessage,
    ShowPreview,
)
from core.pacer import drop_allowance, new_dials
from core.ports import EventSink
from core.state import CommandRejected


class DialSteps(Bookkeeping):
    """The dialer's state and the steps its handlers share (``core.dialer.Dialer`` is one)."""

    pool: AgentPool
    log: EventSink
    zones: NumberZones
    do_not_call: Container[str]
    runs: dict[str, CampaignRun]
    attempts: dict[str, Attempt]
    _ended: dict[str, Attempt]
    _seq: int

    # --- helpers ---------------------------------------------------------------------------------

    def _run(self, campaign_id: str) -> CampaignRun:
        run = self.runs.get(campaign_id)
        if run is None:
            raise CommandRejected(f"campaign {campaign_id} is not running")
        return run

    def _live_attempt(self, attempt_id: str) -> Attempt | None:
        return self.attempts.get(attempt_id)

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
                self.emit(now, NONE, campaign.campaign_id, NONE, verb, self.pool.waiting_calls(campaign.order_line))
            if crowded:
                self._release_spare(run, now, actions, keep=0)
                self.start_timer(PACE, campaign.campaign_id, now + BLEND_RECHECK, actions)
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
                self.emit(
                    now,
                    attempt.attempt_id,
                    campaign.campaign_id,
                    agent_id,
                    Verb.OUTBOUND_PREVIEW,
                    target.entry.number,
                    target.entry.name,
                )
                actions.append(
                    ShowPreview(
                        agent_id, attempt.attempt_id, campaign.campaign_id, target.entry.number, target.entry.name
                    )
                )
        else:
            ringing, held = run.in_state(RINGING), len(run.held)
            if campaign.mode == BROADCAST:
                wanted = campaign.broadcast_lines - ringing - run.in_state(LISTENING)
            else:
                waiting = len(run.waiting_agents())
                talking = sum(1 for a in run.agents.values() if a is not None)
                wanted = new_dials(
                    predictive=campaign.mode == PREDICTIVE,
                    counts=run.today(now),
                    cap=campaign.drop_cap,
                    waiting_agents=waiting,
                    talking_agents=talking,
                    ringing=ringing,
                    held=held,
                )
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
                target.last_result = "do_not_call"
                self._close(run, target, "do_not_call", now)
                continue
            if not may_call(run.campaign, target.entry.zone, now):
                later = next_calling_time(run.campaign, target.entry.zone, now)
                if later is None:
                    self._close(run, target, "campaign_over", now)
                else:
                    target.next_at = later
                    self._push(run, target)
                continue
            return target
        return None

    def _wake_for_next(self, run: CampaignRun, now: float, actions: list) -> None:
        self._peek_due(run, now)
        if run.due and run.due[0][0] > now:
            self.start_timer(PACE, run.campaign.campaign_id, run.due[0][0], actions)

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
        attempt = Attempt(
            f"{run.campaign.campaign_id}-{self._seq}",
            run.campaign.campaign_id,
            target,
            target.attempts + 1,
            run.today(now),
            agent_id=agent_id,
        )
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
        self.emit(
            now,
            attempt.attempt_id,
            campaign.campaign_id,
            attempt.agent_id or NONE,
            Verb.OUTBOUND_DIAL,
            attempt.target.entry.number,
            attempt.target.attempts,
            campaign.mode,
        )
        actions.append(
            DialNumber(
                attempt.attempt_id,
                campaign.campaign_id,
                attempt.target.entry.number,
                campaign.caller_id,
                campaign.ring_timeout,
            )
        )

    def _connect(self, run: CampaignRun, attempt: Attempt, agent_id: str, now: float, actions: list) -> None:
        attempt.state = TALKING
        attempt.agent_id = agent_id
        attempt.connected_at = now
        run.agents[agent_id] = attempt.attempt_id
        attempt.counts.connects += 1
        self.emit(
            now,
            attempt.attempt_id,
            run.campaign.campaign_id,
            agent_id,
            Verb.OUTBOUND_CONNECT,
            now - attempt.answered_at,
            attempt.target.entry.number,
        )
        actions.append(ConnectOutbound(attempt.attempt_id, agent_id, self.pool.extension_of(agent_id)))

    def _drop(self, run: CampaignRun, attempt: Attempt, now: float, actions: list, played: bool) -> None:
        run.held.remove(attempt.attempt_id)
        attempt.counts.drops += 1
        self.emit(
            now,
            attempt.attempt_id,
            run.campaign.campaign_id,
            NONE,
            Verb.OUTBOUND_DROP,
            now - attempt.answered_at,
            "message" if played else "hung_up",
        )
        if played:
            actions.append(PlayDropMessage(attempt.attempt_id))
        self._end_attempt(run, attempt, now, actions, worked=False)
        self._retry_or_finish(run, attempt.target, DROPPED, now)

    def _complete(self, run: CampaignRun, attempt: Attempt, side: str, now: float, actions: list) -> None:
        talk = now - attempt.connected_at
        attempt.counts.handle_total += talk
        attempt.counts.handled += 1
        self.emit(
            now,
            attempt.attempt_id,
            run.campaign.campaign_id,
            attempt.agent_id or NONE,
            Verb.OUTBOUND_COMPLETE,
            talk,
            side,
        )
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
        self.emit(
            now,
            attempt.attempt_id,
            run.campaign.campaign_id,
            agent or NONE,
            Verb.OUTBOUND_BROADCAST,
            digits,
            "agent" if agent else ("no_agent" if digits == "0" else "heard"),
        )
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
        self.emit(
            now,
            NONE,
            run.campaign.campaign_id,
            NONE,
            Verb.OUTBOUND_RETRY,
            target.entry.number,
            target.next_at,
            target.attempts,
        )

    def _finish(self, run: CampaignRun, target: Target, result: str, now: float) -> None:
        target.busy = False
        target.last_result = result
        self._close(run, target, result, now)

    def _close(self, run: CampaignRun, target: Target, reason: str, now: float) -> None:
        """The number is done with: never dialled again, logged once (OUTBOUND_DONE with the reason)."""
        if not target.done:
            target.done = True
            self.emit(
                now,
                NONE,
                run.campaign.campaign_id,
                NONE,
                Verb.OUTBOUND_DONE,
                target.entry.number,
                reason,
                target.attempts,
            )

    def spare_drop_allowance(self, campaign_id: str, now: float) -> int:
        """For screens: how many calls beyond the waiting agents the cap allows now."""
        run = self._run(campaign_id)
        return drop_allowance(run.today(now), run.campaign.drop_cap, len(run.held))
