"""Callbacks dialled live: how the live driver carries out the core's ``DialCallback``.

A ticket the core dispatched to an agent is worked in three steps over ARI:

1. ring the agent: originate ``PJSIP/<agent>`` into the Stasis app (channel ``hlb-<claim>-agent``, the
   customer's number as caller ID, the policy's ring timeout as Asterisk's ring limit). Not answered
   (timeout, refused, failed) -> ``CallbackAgentDidNotAnswer``: the ticket goes back unworked, the agent
   is paused like after a ring-no-answer;
2. the agent answered and hears ringing while the customer is dialled: originate
   ``CallbackOptions.endpoint`` (``PJSIP/{number}@hotline-outbound``) into the app (channel
   ``hlb-<claim>-customer``, ring limit ``dial_timeout``). Not reached (no answer, busy, rejected, failed,
   or the agent hung up first) -> ``CompleteCallback(outcome="unreachable")``: the core retries it after
   ``callback_retry_after``;
3. the customer answered: both legs in the mixing bridge ``callback-<claim>``. When one side hangs up the
   other is hung up too, and the agent stays on the callback until they report the outcome
   (``LiveDriver.complete_callback``; reporting earlier ends the conversation).

Never twice for one ticket. A claim is named by ticket, agent and claim time (the same after a journal
replay), and each step is written to ``callbacks.jsonl`` before its originate. Replaying the journal
carries out no action; the resync after every (re)connect looks at each callback the core has running:
no step written -> that ``DialCallback`` was never carried out, ring the agent now; otherwise go on from
what the claim's channels show, never originating a written step again (at most once: a crash between
writing a step and its originate counts as not answered / not reached).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from adapters.asterisk.ari import AriError
from adapters.asterisk.lanes import PrefixedLegs
from core import messages as m
from core.tickets import OUTCOMES

log = logging.getLogger("hotline.live.callbacks")

CALLBACK_PREFIX = "hlb-"  # both legs of a callback
BRIDGE_PREFIX = "callback-"
ARI_FAILURES = (AriError, OSError)  # OSError: timeouts and connection failures too


@dataclass(frozen=True)
class CallbackOptions:
    endpoint: str = "PJSIP/{number}@hotline-outbound"  # the customer's leg; {number} is the ticket's number
    dial_timeout: int = 30  # seconds the customer's phone rings before the attempt counts as unreachable
    ringback: str = "tone:ring"  # what the agent hears while the customer's phone rings


@dataclass
class Callback:
    claim: str
    ticket_id: str
    agent_id: str
    number: str
    hotline: str
    step: str = ""  # "" (not rung yet), agent, customer, talking, over

    @property
    def agent_channel(self) -> str:
        return f"{CALLBACK_PREFIX}{self.claim}-agent"

    @property
    def customer_channel(self) -> str:
        return f"{CALLBACK_PREFIX}{self.claim}-customer"

    @property
    def bridge(self) -> str:
        return f"{BRIDGE_PREFIX}{self.claim}"


def claim_name(ticket_id: str, agent_id: str, claimed_at: float) -> str:
    """One dispatch of a ticket to an agent; ``claimed_at`` comes from the core, so a replay names it alike."""
    return f"{ticket_id}-{agent_id}-{round(claimed_at * 1000)}"


class StepFile:
    """The last step written per claim, one JSON line per step (flushed; fsynced if asked)."""

    def __init__(self, path: Path, fsync: bool = False) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self.steps: dict[str, str] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a torn last line: that step's originate never went out
                self.steps[entry["claim"]] = entry["step"]
        self._fh = open(self.path, "a", encoding="utf-8")

    def write(self, claim: str, step: str) -> None:
        self.steps[claim] = step
        self._fh.write(json.dumps({"claim": claim, "step": step}) + "\n")
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


class CallbackDialer(PrefixedLegs):
    """The callbacks of one ``LiveDriver`` (``driver``: it feeds the core through ``driver.handle``). Every
    method runs as a job of the agent's callback lane (``lane``), so one callback's steps happen in order."""

    PREFIX = CALLBACK_PREFIX

    def __init__(self, driver, path: Path, options: CallbackOptions) -> None:
        super().__init__(driver)
        self.options = options
        self.steps = StepFile(path, fsync=driver.options.fsync)
        self.running: dict[str, Callback] = {}  # claim -> callback
        self.by_channel: dict[str, Callback] = {}  # live legs

    def key_of(self, callback: Callback) -> str:
        return callback.agent_id  # one lane per agent: an agent works one callback at a time

    def close(self) -> None:
        self.steps.close()

    # --- the core's DialCallback --------------------------------------------------------------------

    async def dial(self, action: m.DialCallback) -> None:
        """The core's DialCallback, after it was handled: a failure is reported to the core as a new message."""
        callback = self._callback(action.agent_id, action.ticket_id)
        if not await self._ring_agent(callback):
            self.driver.handle(self._agent_did_not_answer(callback))

    def _callback(self, agent_id: str, ticket_id: str) -> Callback:
        agent = self.driver.core.agents[agent_id]
        ticket = self.driver.core.tickets.tickets[ticket_id]
        claim = claim_name(ticket_id, agent_id, agent.busy_since)
        callback = self.running.get(claim)
        if callback is None:
            callback = Callback(
                claim, ticket_id, agent_id, ticket.number, ticket.hotline, self.steps.steps.get(claim, "")
            )
            self.running[claim] = callback
        return callback

    async def _ring_agent(self, callback: Callback) -> bool:
        self.steps.write(callback.claim, "agent")
        callback.step = "agent"
        timeout = self.driver.core.policy.ring_timeout or self.driver.options.originate_timeout
        try:
            await self.ari.originate(
                self.driver.endpoint_of(callback.agent_id),
                channel_id=callback.agent_channel,
                app_args=f"callback,{callback.claim},agent",
                caller_id=callback.number,
                timeout=max(1, round(timeout)),
            )
        except ARI_FAILURES as exc:
            log.warning("callback %s: ringing %s failed: %s", callback.ticket_id, callback.agent_id, exc)
            await self._finish(callback)
            return False
        self.by_channel[callback.agent_channel] = callback
        log.info("callback %s: ringing %s", callback.ticket_id, callback.agent_id)
        return True

    async def _dial_customer(self, callback: Callback) -> None:
        self.steps.write(callback.claim, "customer")
        callback.step = "customer"
        try:  # the agent hears ringing; without it the call goes on in silence
            await self.ari.play(callback.agent_channel, [self.options.ringback], playback_id=callback.bridge)
        except ARI_FAILURES as exc:
            log.info("callback %s: no ringback for the agent: %s", callback.ticket_id, exc)
        try:
            await self.ari.originate(
                self.options.endpoint.format(number=callback.number),
                channel_id=callback.customer_channel,
                app_args=f"callback,{callback.claim},customer",
                caller_id=callback.hotline,
                timeout=self.options.dial_timeout,
            )
        except ARI_FAILURES as exc:
            log.warning("callback %s: dialling %s failed: %s", callback.ticket_id, callback.number, exc)
            await self._not_reached(callback)
            return
        self.by_channel[callback.customer_channel] = callback
        log.info("callback %s: %s answered, dialling %s", callback.ticket_id, callback.agent_id, callback.number)

    async def _bridge(self, callback: Callback) -> None:
        self.steps.write(callback.claim, "talking")
        callback.step = "talking"
        await self.ari.stop_playback(callback.bridge)
        await self.ari.create_bridge(callback.bridge, "mixing")
        await self.ari.add_channel(callback.bridge, [callback.agent_channel, callback.customer_channel])
        log.info("callback %s: %s reached, talking to %s", callback.ticket_id, callback.number, callback.agent_id)

    # --- endings ------------------------------------------------------------------------------------

    def _agent_did_not_answer(self, callback: Callback) -> m.CallbackAgentDidNotAnswer:
        return m.CallbackAgentDidNotAnswer(self.driver.now(), callback.agent_id, callback.ticket_id)

    async def _not_reached(self, callback: Callback) -> None:
        await self._finish(callback)
        self.driver.handle(m.CompleteCallback(self.driver.now(), callback.agent_id, callback.ticket_id, "unreachable"))

    async def _conversation_over(self, callback: Callback) -> None:
        """One side hung up: the other goes too; the agent reports the outcome when ready."""
        self.steps.write(callback.claim, "over")
        callback.step = "over"
        await self._hang_up_legs(callback)

    async def _hang_up_legs(self, callback: Callback) -> None:
        for channel in (callback.agent_channel, callback.customer_channel):
            if self.by_channel.pop(channel, None) is not None:
                await self.ari.hangup(channel)
        await self.ari.destroy_bridge(callback.bridge)

    async def _finish(self, callback: Callback) -> None:
        self.running.pop(callback.claim, None)
        await self._hang_up_legs(callback)

    # --- the agent's report ---------------------------------------------------------------------------

    async def complete(self, agent_id: str, ticket_id: str, outcome: str) -> None:
        """The agent's outcome; raises ``CommandRejected`` when the core refuses it (nothing is hung up)."""
        agent = self.driver.core.agents.get(agent_id)
        if agent is not None and agent.state == "callback" and agent.ticket_id == ticket_id and outcome in OUTCOMES:
            # the legs go before the core frees the agent, who may be rung for the next call at once
            await self._finish(self._callback(agent_id, ticket_id))
        self.driver.handle(m.CompleteCallback(self.driver.now(), agent_id, ticket_id, outcome), strict=True)

    # --- ARI events of the legs ------------------------------------------------------------------------

    async def on_event(self, event: dict) -> None:
        kind = event.get("type")
        channel = event["channel"]["id"]
        callback = self.by_channel.get(channel)
        if callback is None:
            if kind == "StasisStart":
                await self.ari.hangup(channel)  # a leg of a callback that is over
            return
        is_agent = channel == callback.agent_channel
        if kind == "StasisStart":
            if is_agent and callback.step == "agent":
                await self._dial_customer(callback)
            elif not is_agent and callback.step == "customer":
                await self._bridge(callback)
        elif kind in ("StasisEnd", "ChannelDestroyed"):
            self.by_channel.pop(channel, None)
            await self._leg_gone(callback, is_agent)

    async def _leg_gone(self, callback: Callback, is_agent: bool) -> None:
        if callback.step == "agent" and is_agent:
            await self._finish(callback)
            self.driver.handle(self._agent_did_not_answer(callback))
        elif callback.step == "customer":
            await self._not_reached(callback)
        elif callback.step == "talking":
            await self._conversation_over(callback)

    # --- resynchronisation ------------------------------------------------------------------------------

    async def resync(self, channels: dict[str, dict], bridges: dict[str, dict]) -> None:
        """Go on with every callback the core has running, from the channels Asterisk has now."""
        core = self.driver.core
        current = {}
        for agent in core.agents.values():
            if agent.state == "callback" and agent.ticket_id:
                current[claim_name(agent.ticket_id, agent.agent_id, agent.busy_since)] = agent
        for claim in [c for c in self.running if c not in current]:
            await self._finish(self.running[claim])  # ended otherwise (the core no longer has it)
        for claim, agent in current.items():
            if agent.state != "callback" or claim_name(agent.ticket_id, agent.agent_id, agent.busy_since) != claim:
                continue  # changed by an earlier step of this resync
            await self._resume(self._callback(agent.agent_id, agent.ticket_id), channels, bridges)
        mine = {c for cb in self.running.values() for c in (cb.agent_channel, cb.customer_channel)}
        for channel in channels:
            if channel.startswith(CALLBACK_PREFIX) and channel not in mine:
                await self.ari.hangup(channel)
        for bridge in bridges:
            if bridge.startswith(BRIDGE_PREFIX) and bridge[len(BRIDGE_PREFIX) :] not in self.running:
                await self.ari.destroy_bridge(bridge)

    async def _resume(self, callback: Callback, channels: dict[str, dict], bridges: dict[str, dict]) -> None:
        agent_leg, customer_leg = channels.get(callback.agent_channel), channels.get(callback.customer_channel)
        for channel, leg in ((callback.agent_channel, agent_leg), (callback.customer_channel, customer_leg)):
            if leg is not None:
                self.by_channel[channel] = callback
            else:
                self.by_channel.pop(channel, None)
        answered = [leg is not None and leg.get("state") == "Up" for leg in (agent_leg, customer_leg)]
        step = callback.step
        log.info("callback %s: resuming at step %r", callback.ticket_id, step or "not rung")
        if step == "":
            if not await self._ring_agent(callback):
                self.driver.handle(self._agent_did_not_answer(callback))
        elif step == "agent":
            if agent_leg is None:
                await self._finish(callback)
                self.driver.handle(self._agent_did_not_answer(callback))
            elif answered[0]:
                await self._dial_customer(callback)
        elif step == "customer":
            if agent_leg is None or customer_leg is None:
                await self._not_reached(callback)
            elif answered[1]:
                await self._bridge(callback)
        elif step == "talking":
            if agent_leg is None or customer_leg is None:
                await self._conversation_over(callback)
            elif set((bridges.get(callback.bridge) or {}).get("channels", ())) != {
                callback.agent_channel,
                callback.customer_channel,
            }:
                await self.ari.destroy_bridge(callback.bridge)
                await self._bridge(callback)
        else:
            await self._hang_up_legs(callback)
