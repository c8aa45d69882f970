"""Outbound campaign calls live: how the live driver carries out the dialer's actions (``core.dialer``).

* ``DialNumber``: originate ``OutboundOptions.endpoint`` (``PJSIP/{number}@hotline-outbound``) into the
  Stasis app as channel ``hlo-<attempt>``, with the campaign's ring limit. Answer detection: Asterisk puts
  an originated channel into Stasis only once the far end answered, so its StasisStart is
  ``CalleeAnswered``; a channel destroyed before that is ``CalleeNotReached`` with the result its hang-up
  cause names (17 busy; 1, 3, 21, 27, 34, 38 unreachable; the rest no answer).
* ``ConnectOutbound``: originate the agent's phone as ``hlo-<attempt>-agent``; when it answers, both legs
  go into the mixing bridge ``outbound-<attempt>``. Either side hanging up ends the other
  (``CalleeHungUp`` / ``OutboundAgentHungUp``).
* ``PlayDropMessage``: the apology (``drop_message``), then the hang-up after ``drop_seconds``.
* ``PlayBroadcast``: the notice; the first DTMF digit (or none within ``broadcast_seconds``) is
  ``BroadcastHeard``; "0" goes on to an agent through ``ConnectOutbound``.
Each attempt's work runs in its own lane (``hlo-<attempt>``), so its steps happen in order.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from functools import partial

from adapters.asterisk.ari import AriError
from adapters.asterisk.lanes import PrefixedLegs
from core.campaigns import BUSY, NO_ANSWER, UNREACHABLE
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
    SkipPreview,
    StopCampaign,
)

log = logging.getLogger("hotline.live.outbound")

OUTBOUND_PREFIX = "hlo-"
BRIDGE_PREFIX = "outbound-"
ARI_FAILURES = (AriError, OSError)
UNREACHABLE_CAUSES = frozenset({1, 3, 21, 27, 34, 38})
BUSY_CAUSES = frozenset({17})


@dataclass(frozen=True)
class OutboundOptions:
    endpoint: str = "PJSIP/{number}@hotline-outbound"
    drop_message: str = "sound:tt-allbusy"  # "all circuits are busy now"
    drop_seconds: float = 4.0
    broadcast_seconds: float = 20.0  # how long a listener has to press a key after the notice starts


@dataclass
class Attempt:
    attempt_id: str
    answered: bool = False
    talking: bool = False
    listening: bool = False
    ended: bool = False
    agent_id: str = ""
    timers: list[asyncio.TimerHandle] = field(default_factory=list)

    @property
    def callee(self) -> str:
        return f"{OUTBOUND_PREFIX}{self.attempt_id}"

    @property
    def agent_leg(self) -> str:
        return f"{OUTBOUND_PREFIX}{self.attempt_id}-agent"

    @property
    def bridge(self) -> str:
        return f"{BRIDGE_PREFIX}{self.attempt_id}"


def result_of_cause(cause: int) -> str:
    if cause in BUSY_CAUSES:
        return BUSY
    return UNREACHABLE if cause in UNREACHABLE_CAUSES else NO_ANSWER


class OutboundLegs(PrefixedLegs):
    """The outbound calls of one ``LiveDriver`` (``driver.handle`` feeds the core)."""

    PREFIX = OUTBOUND_PREFIX

    def __init__(self, driver, options: OutboundOptions) -> None:
        super().__init__(driver)
        self.options = options
        self.attempts: dict[str, Attempt] = {}
        self.by_channel: dict[str, Attempt] = {}

    def key_of(self, attempt: Attempt) -> str:
        return attempt.attempt_id

    def submit(self, action) -> None:
        self.driver.lanes.submit(self.lane(action.attempt_id), partial(self.carry_out, action))

    def _attempt(self, attempt_id: str) -> Attempt:
        if attempt_id not in self.attempts:
            self.attempts[attempt_id] = Attempt(attempt_id)
        return self.attempts[attempt_id]

    def _later(self, attempt: Attempt, seconds: float, work) -> None:
        loop = asyncio.get_running_loop()
        attempt.timers.append(loop.call_later(seconds, self.driver.lanes.submit, self.lane(attempt.attempt_id), work))

    # --- the dialer's actions -----------------------------------------------------------------------

    async def carry_out(self, action) -> None:
        attempt = self._attempt(action.attempt_id)
        if isinstance(action, DialNumber):
            await self._dial(attempt, action)
        elif isinstance(action, ConnectOutbound):
            await self._ring_agent(attempt, action)
        elif isinstance(action, PlayDropMessage):
            await self._play_then_hang_up(attempt)
        elif isinstance(action, PlayBroadcast):
            await self._broadcast(attempt, action)
        elif isinstance(action, HangUpOutbound):
            await self._end(attempt)

    async def _dial(self, attempt: Attempt, action: DialNumber) -> None:
        self.by_channel[attempt.callee] = attempt
        try:
            await self.ari.originate(
                self.options.endpoint.format(number=action.number.lstrip("+")),
                channel_id=attempt.callee,
                app_args=f"outbound,{attempt.attempt_id},callee",
                caller_id=action.caller_id,
                timeout=max(1, round(action.ring_timeout)),
            )
        except ARI_FAILURES as exc:
            log.warning("outbound %s: dialling %s failed: %s", attempt.attempt_id, action.number, exc)
            self.by_channel.pop(attempt.callee, None)
            attempt.ended = True
            self.driver.handle(CalleeNotReached(self.driver.now(), attempt.attempt_id, UNREACHABLE))

    async def _ring_agent(self, attempt: Attempt, action: ConnectOutbound) -> None:
        attempt.agent_id = action.agent_id
        attempt.listening = False
        self.by_channel[attempt.agent_leg] = attempt
        try:
            await self.ari.originate(
                self.driver.endpoint_of(action.agent_id),
                channel_id=attempt.agent_leg,
                app_args=f"outbound,{attempt.attempt_id},agent",
                timeout=30,
            )
        except ARI_FAILURES as exc:
            log.warning("outbound %s: ringing %s failed: %s", attempt.attempt_id, action.agent_id, exc)
            self.by_channel.pop(attempt.agent_leg, None)
            await self._end(attempt)
            self.driver.handle(OutboundAgentHungUp(self.driver.now(), attempt.attempt_id))

    async def _play_then_hang_up(self, attempt: Attempt) -> None:
        try:
            await self.ari.play(attempt.callee, [self.options.drop_message], playback_id=f"drop-{attempt.attempt_id}")
        except ARI_FAILURES as exc:
            log.info("outbound %s: no drop message: %s", attempt.attempt_id, exc)
        attempt.ended = True  # for the core this call is over; the hang-up below is only the line's
        self._later(attempt, self.options.drop_seconds, partial(self._end, attempt))

    async def _broadcast(self, attempt: Attempt, action: PlayBroadcast) -> None:
        attempt.listening = True
        media = action.recording if ":" in action.recording else f"sound:{action.recording}"
        try:
            await self.ari.play(attempt.callee, [media], playback_id=f"notice-{attempt.attempt_id}")
        except ARI_FAILURES as exc:
            log.info("outbound %s: notice not played: %s", attempt.attempt_id, exc)
        self._later(attempt, self.options.broadcast_seconds, partial(self._heard, attempt, ""))

    async def _heard(self, attempt: Attempt, digits: str) -> None:
        if not attempt.listening or attempt.ended:
            return
        attempt.listening = False
        await self.ari.stop_playback(f"notice-{attempt.attempt_id}")
        self.driver.handle(BroadcastHeard(self.driver.now(), attempt.attempt_id, digits))

    async def _end(self, attempt: Attempt) -> None:
        attempt.ended = True
        for timer in attempt.timers:
            timer.cancel()
        for channel in (attempt.callee, attempt.agent_leg):
            if self.by_channel.pop(channel, None) is not None:
                await self.ari.hangup(channel)
        await self.ari.destroy_bridge(attempt.bridge)
        self.attempts.pop(attempt.attempt_id, None)

    # --- resynchronisation ------------------------------------------------------------------------------

    async def resync(self, channels: dict[str, dict]) -> None:
        """After a (re)connect or a restart: every attempt the dialer has running is matched with Asterisk's
        channels; a leg that is gone is reported as its hang-up; channels of no running attempt are hung up."""
        dialer = self.driver.core.outbound
        for attempt_id, running in list(dialer.attempts.items()):
            if running.state == "preview":
                continue  # nothing dialled yet
            attempt = self._attempt(attempt_id)
            attempt.answered = running.state != "ringing"
            attempt.talking = running.state == "talking"
            attempt.listening = running.state == "broadcast"
            attempt.agent_id = running.agent_id or ""
            now = self.driver.now()
            if attempt.callee not in channels:
                self.attempts.pop(attempt_id, None)
                message = (
                    CalleeNotReached(now, attempt_id, NO_ANSWER)
                    if running.state == "ringing"
                    else CalleeHungUp(now, attempt_id)
                )
                await self._end(attempt)
                self.driver.handle(message)
                continue
            self.by_channel[attempt.callee] = attempt
            if attempt.talking and attempt.agent_leg not in channels:
                await self._end(attempt)
                self.driver.handle(OutboundAgentHungUp(now, attempt_id))
            elif attempt.agent_leg in channels:
                self.by_channel[attempt.agent_leg] = attempt
            if attempt.listening:
                self._later(attempt, self.options.broadcast_seconds, partial(self._heard, attempt, ""))
        for channel in channels:
            if channel.startswith(OUTBOUND_PREFIX) and channel not in self.by_channel:
                await self.ari.hangup(channel)

    # --- ARI events of the legs ------------------------------------------------------------------------

    async def on_event(self, event: dict) -> None:
        kind, channel = event.get("type"), event["channel"]["id"]
        attempt = self.by_channel.get(channel)
        if attempt is None:
            if kind == "StasisStart":
                await self.ari.hangup(channel)  # a leg of an attempt that is over
            return
        now = self.driver.now()
        is_agent = channel == attempt.agent_leg
        if kind == "StasisStart":
            if is_agent:
                await self.ari.create_bridge(attempt.bridge, "mixing")
                await self.ari.add_channel(attempt.bridge, [attempt.callee, attempt.agent_leg])
                attempt.talking = True
            else:
                attempt.answered = True
                self.driver.handle(CalleeAnswered(now, attempt.attempt_id))
        elif kind == "ChannelDtmfReceived" and not is_agent and attempt.listening:
            await self._heard(attempt, str(event.get("digit", "")))
        elif kind in ("StasisEnd", "ChannelDestroyed"):
            self.by_channel.pop(channel, None)
            if attempt.ended:
                return
            if is_agent:
                await self._end(attempt)
                self.driver.handle(OutboundAgentHungUp(now, attempt.attempt_id))
            elif not attempt.answered:
                attempt.ended = True
                await self._end(attempt)
                self.driver.handle(
                    CalleeNotReached(now, attempt.attempt_id, result_of_cause(int(event.get("cause") or 0)))
                )
            else:
                await self._end(attempt)
                self.driver.handle(CalleeHungUp(now, attempt.attempt_id))


def campaign_message(command, driver, engine):
    """The core message a campaign command of the live channel becomes. Starting reads the campaign from the
    store: only an approved one (``app.campaigns.campaign_to_run``), with the do-not-call list as it is now."""
    from adapters.store.uow import SqlUnitOfWork
    from app.campaigns import campaign_to_run

    kind, payload, now = command.kind, command.payload, driver.now()
    if kind == "start_campaign":
        campaign, entries = campaign_to_run(str(payload.get("campaign_id", "")), SqlUnitOfWork(engine))
        with SqlUnitOfWork(engine) as uow:
            driver.core.outbound.do_not_call = uow.campaigns.do_not_call()
        return LoadCampaign(now, campaign, tuple(entries))
    if kind == "stop_campaign":
        return StopCampaign(now, str(payload.get("campaign_id", "")))
    if kind == "dial_previewed":
        return DialPreviewed(now, command.agent_id, command.call_id)
    if kind == "skip_preview":
        return SkipPreview(now, command.agent_id, command.call_id)
    if kind == "dial_manual":
        return DialManual(now, command.agent_id, str(payload.get("campaign_id", "")), str(payload.get("number", "")))
    if kind == "record_result":
        return RecordResult(now, command.agent_id, command.call_id, str(payload.get("code", "")))
    raise ValueError(f"{kind} is not a campaign command")
