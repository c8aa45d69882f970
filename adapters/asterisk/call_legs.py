"""The callers' and agents' legs of the live driver's calls, and the core's call actions carried out on them
over ARI, each in its call's lane:

* ``HoldCall``: answer, put the caller alone in a holding bridge ``hold-<call>`` with music on hold (or, with
  ``answer_while_queued=False``, only indicate ringing: the caller is answered when connected or prompted);
* ``RingAgent``: originate ``PJSIP/<agent>`` into the app with appArgs ``agent,<call>,<agent>`` and channel id
  ``hla-<call>-<agent>-<random>`` (its StasisStart: ``channel_events``); the originate refused ->
  ``AgentDidNotAnswer``;
* ``ConnectCall``: caller and agent leg into a mixing bridge ``talk-<call>`` (recorded if asked);
* ``StopRinging``: hang up that agent leg; ``HangUp``: hang up the caller and the call's agent legs;
* ``PlayCallbackPrompt``: answer if needed, play a prompt; nothing within ``prompt_timeout`` ->
  ``PromptFinished(.., "")`` (a DTMF ``1``: ``channel_events``);
* ``PlaySurvey``: the agent hung up; the caller, alone, hears "press 1 / 2 / 3"; a digit or nothing within
  ``survey_timeout`` -> ``SurveyAnswered``, then the caller is hung up;
* ``TransferCaller``: the caller leaves Stasis for the dialplan.

The legs are the driver's (``driver.callers``, ``driver.agent_legs``): its events, its resync and the
supervisor's call control read them too.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from functools import partial

from adapters.asterisk import supervisor
from adapters.asterisk.ari import AriError, RequestTimeout
from core import messages as m

log = logging.getLogger("hotline.live")

AGENT_PREFIX = "hla-"
PROMPT_MEDIA = ("sound:if-correct-press", "sound:digits/1")
SURVEY_MEDIA = ("sound:queue-thankyou", "sound:digits/1", "sound:digits/2", "sound:digits/3")
# the core's actions carried out over ARI, each in the lane of its call
CALL_ACTIONS = frozenset(
    (
        m.HoldCall,
        m.RingAgent,
        m.StopRinging,
        m.ConnectCall,
        m.PlayCallbackPrompt,
        m.HangUp,
        m.TransferCaller,
        m.PlaySurvey,
    )
)


@dataclass
class CallerLeg:
    call_id: str
    hold_bridge: str | None = None
    talk_bridge: str | None = None
    prompt: bool = False
    prompt_timer: asyncio.TimerHandle | None = None
    ended: bool = False  # the core ended the call; its StasisEnd is no news
    answered: bool = False  # Asterisk answered the caller's channel (SIP 200 OK)
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # our marker came back, or a hang-up request
    cancelled: bool = False  # a hang-up request with the CANCEL's cause
    survey: m.PlaySurvey | None = None  # the after-call survey is asking this caller


@dataclass
class AgentLeg:
    channel: str
    call_id: str
    agent_id: str
    answered: bool = False
    dropped: bool = False  # we hung it up (StopRinging / HangUp)
    done: bool = False  # reported to the core


async def carry_out(driver, action) -> None:
    kind = type(action)
    try:
        if kind is m.HoldCall:
            await hold(driver, action.call_id)
        elif kind is m.RingAgent:
            await ring(driver, action)
        elif kind is m.StopRinging:
            await drop_agent_legs(driver, action.call_id, action.agent_id)
        elif kind is m.ConnectCall:
            await connect(driver, action.call_id, action.agent_id)
        elif kind is m.PlayCallbackPrompt:
            await prompt(driver, action.call_id)
        elif kind is m.HangUp:
            await hang_up(driver, action.call_id, action.reason)
        elif kind is m.PlaySurvey:
            await survey(driver, action)
        elif kind is m.TransferCaller:
            await transfer_caller(driver, action)
    except (AriError, OSError) as exc:  # AriError: Asterisk said no; OSError: timeouts too
        log.warning("%s failed: %s", kind.__name__, str(exc) or repr(exc))


def caller_leg(driver, call_id: str) -> CallerLeg:
    leg = driver.callers.get(call_id)
    if leg is None:
        leg = driver.callers[call_id] = CallerLeg(call_id)
    return leg


async def hold(driver, call_id: str) -> None:
    leg = caller_leg(driver, call_id)
    if leg.hold_bridge:
        return
    if not driver.options.answer_while_queued:  # the caller hears ringing, unanswered, until an agent answers
        await driver.ari.ring(call_id)
        return
    leg.answered = await driver.ari.answer(call_id)
    bridge = f"hold-{call_id}"
    await driver.ari.create_bridge(bridge, "holding")
    leg.hold_bridge = bridge
    await driver.ari.add_channel(bridge, [call_id])
    await driver.ari.bridge_moh(bridge)


async def leave_hold(driver, leg: CallerLeg) -> None:
    if leg.hold_bridge:
        bridge, leg.hold_bridge = leg.hold_bridge, None
        await driver.ari.destroy_bridge(bridge)


async def ring(driver, action: m.RingAgent) -> None:
    channel = f"{AGENT_PREFIX}{action.call_id}-{action.agent_id}-{uuid.uuid4().hex[:8]}"
    driver.agent_legs[channel] = AgentLeg(channel, action.call_id, action.agent_id)
    arrived = driver.arrived_at.pop(action.call_id, None)
    try:
        await driver.ari_dial.originate(
            f"PJSIP/{action.extension or action.agent_id}",
            channel_id=channel,
            app_args=f"agent,{action.call_id},{action.agent_id}",
            caller_id=action.caller,
            timeout=driver.options.originate_timeout,
        )
    except RequestTimeout as exc:
        # sent, and Asterisk slow to answer: the leg's own events tell, or else the ring timer
        log.warning("originate to %s: no answer from ARI yet (%r)", action.agent_id, exc)
        return
    except (AriError, OSError) as exc:
        log.warning("originate to %s failed: %s", action.agent_id, str(exc) or repr(exc))
        driver.agent_legs.pop(channel).done = True
        driver.handle(m.AgentDidNotAnswer(driver.now(), action.call_id, action.agent_id))
        return
    if arrived is not None:
        driver.stats.stasis_to_originate.append(time.time() - arrived)


async def drop_agent_legs(driver, call_id: str, agent_id: str | None = None) -> None:
    for leg in list(driver.agent_legs.values()):
        if leg.call_id == call_id and (agent_id is None or leg.agent_id == agent_id) and not leg.dropped:
            leg.dropped = True
            leg.done = True
            await driver.ari.hangup(leg.channel)


async def connect(driver, call_id: str, agent_id: str) -> None:
    caller = caller_leg(driver, call_id)
    agent_leg = next(
        (
            a
            for a in driver.agent_legs.values()
            if a.call_id == call_id and a.agent_id == agent_id and a.answered and not a.dropped
        ),
        None,
    )
    if agent_leg is None:
        log.warning("ConnectCall %s: no answered leg of %s", call_id, agent_id)
        return
    await leave_hold(driver, caller)
    if not caller.answered:  # answered when its agent answered; not after a restart, say
        caller.answered = await driver.ari.answer(call_id)
    bridge = f"talk-{call_id}"
    await driver.ari.create_bridge(bridge, "mixing")
    caller.talk_bridge = bridge
    try:
        await driver.ari.add_channel(bridge, [call_id, agent_leg.channel])
    except AriError as exc:
        # One side hung up after the caller was answered: an answered call (the caller had the 200 OK),
        # over at once. Both legs go, and their hang-up events end it in the core.
        log.info("ConnectCall %s: %s; ending the call", call_id, exc)
        await driver.ari.hangup(call_id)
        await driver.ari.hangup(agent_leg.channel)
        return
    if driver.options.record:
        name = f"hotline-{call_id}"
        try:  # a call goes on without its recording
            await driver.ari.record_bridge(bridge, name)
        except (AriError, OSError) as exc:
            log.warning("recording %s failed (does Asterisk's /var/spool/asterisk/recording exist?): %s", call_id, exc)
        else:
            driver.handle(m.CallRecorded(driver.now(), call_id, f"{name}.wav"))


async def prompt(driver, call_id: str) -> None:
    leg = caller_leg(driver, call_id)
    await leave_hold(driver, leg)
    leg.answered = await driver.ari.answer(call_id)
    leg.prompt = True
    await driver.ari.play(call_id, list(PROMPT_MEDIA), playback_id=f"prompt-{call_id}-{uuid.uuid4().hex[:6]}")
    if leg.prompt_timer:
        leg.prompt_timer.cancel()
    leg.prompt_timer = asyncio.get_running_loop().call_later(
        driver.options.prompt_timeout, driver.lanes.submit, call_id, partial(prompt_timeout, driver, call_id)
    )


async def prompt_timeout(driver, call_id: str) -> None:
    leg = driver.callers.get(call_id)
    if leg is not None and leg.prompt and not leg.ended:
        driver.handle(m.PromptFinished(driver.now(), call_id, ""))


async def hang_up(driver, call_id: str, reason: str) -> None:
    leg = caller_leg(driver, call_id)
    leg.ended = True
    leg.prompt = False
    if leg.prompt_timer:
        leg.prompt_timer.cancel()
    await drop_agent_legs(driver, call_id)
    await driver.ari.hangup(call_id)
    await cleanup_bridges(driver, leg)
    driver.callers.pop(call_id, None)
    await supervisor.end_listeners(driver, call_id)


async def survey(driver, action: m.PlaySurvey) -> None:
    """The agent hung up: the caller, alone now, hears the survey; a digit or the timeout ends it."""
    leg = driver.callers.get(action.call_id)
    if leg is None:
        return  # the caller is gone as well: no answer
    leg.ended = True  # for the queue the call is over
    await drop_agent_legs(driver, action.call_id)
    await cleanup_bridges(driver, leg)
    leg.survey = action
    try:
        await driver.ari.play(action.call_id, list(SURVEY_MEDIA), playback_id=f"survey-{action.call_id}")
    except (AriError, OSError) as exc:
        log.info("call %s: survey not played: %s", action.call_id, exc)
    leg.prompt_timer = asyncio.get_running_loop().call_later(
        driver.options.survey_timeout,
        driver.lanes.submit,
        action.call_id,
        partial(survey_done, driver, action.call_id, ""),
    )


async def survey_done(driver, call_id: str, digit: str) -> None:
    leg = driver.callers.get(call_id)
    if leg is None or leg.survey is None:
        return
    survey, leg.survey = leg.survey, None
    driver.handle(m.SurveyAnswered(driver.now(), call_id, survey.agent_id, survey.queue, digit))
    await hang_up(driver, call_id, "survey done")


async def transfer_caller(driver, action: m.TransferCaller) -> None:
    leg = caller_leg(driver, action.call_id)
    leg.ended = True
    await drop_agent_legs(driver, action.call_id)
    await cleanup_bridges(driver, leg)
    driver.callers.pop(action.call_id, None)
    await supervisor.end_listeners(driver, action.call_id)
    # the caller leaves Stasis: its StasisEnd is no news to the core, which ended the call already
    await driver.ari.continue_in_dialplan(action.call_id, action.context, action.destination)
    log.info("call %s transferred by %s to %s@%s", action.call_id, action.agent_id, action.destination, action.context)


async def cleanup_bridges(driver, leg: CallerLeg) -> None:
    for bridge in (leg.hold_bridge, leg.talk_bridge):
        if bridge:
            await driver.ari.destroy_bridge(bridge)
    leg.hold_bridge = leg.talk_bridge = None
