"""What Asterisk says about a call's legs, told to the core (each event in its call's lane):

* a caller's StasisStart -> ``CallArrived``;
* an agent leg's StasisStart -> ``AgentAnswered``, once the caller is known to be still there (a ringing
  caller is answered now: Asterisk refuses when the caller hung up meanwhile, and that call is then an
  abandon, ``CallerHungUp``, whatever order the two channels' events arrive in); an agent leg destroyed
  before that -> ``AgentDidNotAnswer``, after it -> ``AgentHungUp``;
* a caller's StasisEnd -> ``CallerHungUp``; DTMF ``1`` during the callback prompt -> ``PromptFinished``, a
  digit during the survey -> ``SurveyAnswered``;
* a supervisor's leg answering or gone: ``supervisor``.

The hang-up requests and our own user event are read at once, outside the lanes: a job may be waiting for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime
from functools import partial

from adapters.asterisk import call_legs, supervisor
from adapters.asterisk.call_legs import AGENT_PREFIX, AgentLeg
from adapters.asterisk.supervisor import SNOOP_PREFIX, SUPERVISOR_PREFIX
from core import messages as m

log = logging.getLogger("hotline.live")

CANCEL_CAUSE = 127  # Asterisk's hang-up cause for a SIP caller's CANCEL (487): it never had a 200 OK
ANSWER_SETTLE_S = 2.0  # how long to wait for the caller's channel events after answering it
SETTLED_EVENT = "hotline-settled"  # our marker on a caller's event stream


def event_time(event: dict) -> float:
    """An ARI event's ``timestamp`` (e.g. ``2026-11-23T07:12:53.585+0000``) as epoch seconds; now if absent."""
    stamp = event.get("timestamp")
    if stamp:
        try:
            return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
        except ValueError:
            log.debug("unreadable event timestamp %r", stamp)
    return time.time()


def handlers(driver) -> dict:
    """The ARI events the driver reads in its calls' lanes (Asterisk is asked to send only these and the
    watchers')."""
    return {
        "StasisStart": partial(stasis_start, driver),
        "StasisEnd": partial(stasis_end, driver),
        "ChannelDestroyed": partial(channel_destroyed, driver),
        "ChannelDtmfReceived": partial(dtmf, driver),
    }


def watchers(driver) -> dict:
    """Events read at once, outside the lanes: a job may be waiting for them."""
    return {
        "ChannelHangupRequest": partial(hangup_requested, driver),
        "ChannelUserevent": partial(user_event, driver),
    }


async def stasis_start(driver, event: dict) -> None:
    channel = event["channel"]
    cid = channel["id"]
    args = event.get("args") or []
    if args and args[0] == "agent":
        await agent_answered(driver, cid)
        return
    if args and args[0] == "supervisor":
        await supervisor.leg_answered(driver, cid)
        return
    if cid.startswith((AGENT_PREFIX, SNOOP_PREFIX, SUPERVISOR_PREFIX)) or (args and args[0] == "snoop"):
        return
    if cid in driver.seen_calls:
        return  # resync already reported it
    # from Asterisk's stamp, not from when we got to the event: a backlog in the driver counts too
    driver.arrived_at[cid] = event_time(event)
    number = args[0] if args else channel.get("dialplan", {}).get("exten", "")
    caller = (channel.get("caller") or {}).get("number", "")
    actions = driver.handle(m.CallArrived(driver.now(), cid, caller, number))
    if not any(type(a) is m.RingAgent for a in actions):
        driver.arrived_at.pop(cid, None)  # not rung at once: it waits, and its wait is not this latency


async def agent_answered(driver, channel: str) -> None:
    leg = driver.agent_legs.get(channel)
    if leg is None or leg.dropped:
        await driver.ari.hangup(channel)
        return
    if leg.answered:
        return  # a resync reported it already
    leg.answered = leg.done = True
    call = driver.core.calls.get(leg.call_id)
    if (
        call is not None
        and call.state == "ringing"
        and call.agent_id == leg.agent_id
        and not await caller_still_there(driver, leg.call_id)
    ):
        # The caller hung up while this agent answered (Asterisk has seen it; the caller's StasisEnd may
        # still be on its way): an abandon, and the agent's leg is dropped.
        driver.handle(m.CallerHungUp(driver.now(), leg.call_id))
        return
    driver.handle(m.AgentAnswered(driver.now(), leg.call_id, leg.agent_id))


async def caller_still_there(driver, call_id: str) -> bool:
    """Answer a ringing caller (the connection needs it anyway; Asterisk refuses once the caller hung
    up), or look an answered one (music on hold) up."""
    caller = call_legs.caller_leg(driver, call_id)
    if caller.answered:
        return await driver.ari.channel(call_id) is not None
    caller.answered = await driver.ari.answer(call_id)
    if caller.answered:
        # Asterisk also says yes when the caller's CANCEL got there just before (chan_pjsip: "Session
        # already DISCONNECTED") and sends no 200 OK; the channel's end, with the CANCEL's cause, follows on
        # the call's SIP serializer. Reading a PJSIP value waits for that serializer, so by then that end
        # has been published; a marker published after it on the channel's own (ordered) event stream
        # comes back after that hang-up request. A BYE's hang-up request means it was answered.
        await driver.ari.variable(call_id, "CHANNEL(pjsip,call-id)")
        await driver.ari.user_event(SETTLED_EVENT, call_id)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(ANSWER_SETTLE_S):
                await caller.settled.wait()
        caller.answered = not caller.cancelled
    if not caller.answered:
        await driver.ari.hangup(call_id)  # going already; if Asterisk refused for another reason, it goes now
    return caller.answered


def hangup_requested(driver, event: dict) -> None:
    caller = driver.callers.get(event["channel"]["id"])
    if caller is not None:
        caller.cancelled = event.get("cause") == CANCEL_CAUSE
        caller.settled.set()


def user_event(driver, event: dict) -> None:
    caller = driver.callers.get((event.get("channel") or {}).get("id", ""))
    if caller is not None and event.get("eventname") == SETTLED_EVENT:
        caller.settled.set()


async def stasis_end(driver, event: dict) -> None:
    cid = event["channel"]["id"]
    leg = driver.agent_legs.get(cid)
    if leg is not None:
        await agent_leg_gone(driver, leg)
        return
    if driver.is_live(cid):
        driver.handle(m.CallerHungUp(driver.now(), cid))
    caller = driver.callers.pop(cid, None)
    if caller is not None:
        if caller.prompt_timer:
            caller.prompt_timer.cancel()
        await call_legs.cleanup_bridges(driver, caller)


async def channel_destroyed(driver, event: dict) -> None:
    cid = event["channel"]["id"]
    listener = driver.listeners.get(cid)
    if listener is not None:  # the supervisor hung up (or never answered)
        await supervisor.end_listener(driver, listener)
        return
    leg = driver.agent_legs.get(cid)
    if leg is not None:
        await agent_leg_gone(driver, leg)


async def agent_leg_gone(driver, leg: AgentLeg) -> None:
    driver.agent_legs.pop(leg.channel, None)
    if leg.dropped:
        return
    now = driver.now()
    if leg.answered:
        call = driver.core.calls.get(leg.call_id)
        if call is not None and call.state == "talking" and call.agent_id == leg.agent_id:
            driver.handle(m.AgentHungUp(now, leg.call_id))
    elif not leg.done:
        leg.done = True
        driver.handle(m.AgentDidNotAnswer(now, leg.call_id, leg.agent_id))


async def dtmf(driver, event: dict) -> None:
    cid = event["channel"]["id"]
    leg = driver.callers.get(cid)
    if leg is not None and leg.survey is not None and event.get("digit") in ("1", "2", "3"):
        await call_legs.survey_done(driver, cid, event["digit"])
        return
    if leg is None or not leg.prompt or leg.ended:
        return
    if event.get("digit") == "1":
        leg.prompt = False
        if leg.prompt_timer:
            leg.prompt_timer.cancel()
        driver.handle(m.PromptFinished(driver.now(), cid, "1"))
