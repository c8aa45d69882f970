"""A supervisor on a live conversation, over ARI: listen, whisper and barge legs, and the forced hang-up.
None of it is routing, so nothing here goes through the core (the forced hang-up ends the agent's leg, and the
core hears of that as of any hang-up). Hold and attended transfer: ``call_control``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

log = logging.getLogger("hotline.live")

SNOOP_PREFIX = "hls-"  # snoop channel on a caller (supervisor listen / whisper)
SUPERVISOR_PREFIX = "hlv-"  # the supervisor's phone leg
LISTEN_MODES = ("listen", "whisper", "barge")


@dataclass
class Listener:
    call_id: str
    snoop: str  # "" when barging (no snoop channel)
    supervisor: str
    bridge: str
    mode: str = "listen"


async def force_hang_up(driver, call_id: str, supervisor: str) -> None:
    """A supervisor ends a conversation: the agent's leg is hung up, so the core ends the call as
    COMPLETEAGENT and hangs up the caller (the event log does not tell it from the agent hanging up)."""
    call = driver.core.calls.get(call_id)
    if call is None or call.state != "talking":
        raise ValueError(f"no conversation {call_id}")
    log.warning("supervisor %s forces call %s (agent %s) to end", supervisor, call_id, call.agent_id)
    leg = next((a for a in driver.agent_legs.values() if a.call_id == call_id and a.answered), None)
    if leg is not None:
        await driver.ari.hangup(leg.channel)
    else:  # no agent leg known (e.g. just after a restart): end the caller's side
        await driver.ari.hangup(call_id)


async def listen(driver, call_id: str, endpoint: str, mode: str = "listen") -> str:
    """Ring ``endpoint`` (e.g. ``PJSIP/agent004``) and join it to a conversation:

    * ``listen``: hears the caller and the agent (a snoop on the caller, spying both ways);
    * ``whisper``: also speaks to the agent only, the caller hears nothing (a snoop on the agent's leg
      whispering outwards, into the agent's ear);
    * ``barge``: joins the conversation's bridge, heard by both.

    Returns the supervisor leg's channel id; it is dropped when the call ends."""
    if mode not in LISTEN_MODES:
        raise ValueError(f"mode must be one of {', '.join(LISTEN_MODES)}, not {mode!r}")
    call = driver.core.calls.get(call_id)
    if call is None:
        raise ValueError(f"no live call {call_id}")
    tag = uuid.uuid4().hex[:8]
    snoop, supervisor = f"{SNOOP_PREFIX}{call_id}-{tag}", f"{SUPERVISOR_PREFIX}{call_id}-{tag}"
    if mode == "barge":
        bridge = driver.callers[call_id].talk_bridge if call_id in driver.callers else None
        if call.state != "talking" or not bridge:
            raise ValueError(f"call {call_id} is not in a conversation to barge into")
        driver.listeners[supervisor] = Listener(call_id, "", supervisor, bridge, mode)
    else:
        target = call_id
        if mode == "whisper":
            leg = next((a for a in driver.agent_legs.values() if a.call_id == call_id and a.answered), None)
            if call.state != "talking" or leg is None:
                raise ValueError(f"call {call_id} has no agent to whisper to")
            target = leg.channel
        driver.listeners[supervisor] = Listener(call_id, snoop, supervisor, f"listen-{call_id}-{tag}", mode)
        await driver.ari.snoop(
            target,
            spy="both",
            whisper="out" if mode == "whisper" else "none",
            app_args=f"snoop,{call_id}",
            snoop_id=snoop,
        )
    await driver.ari.originate(
        endpoint, channel_id=supervisor, app_args=f"supervisor,{call_id}", timeout=driver.options.originate_timeout
    )
    log.info("supervisor leg %s: %s on call %s", supervisor, mode, call_id)
    return supervisor


async def leg_answered(driver, channel: str) -> None:
    listener = driver.listeners.get(channel)
    if listener is None or listener.call_id not in driver.core.calls:
        await driver.ari.hangup(channel)
        return
    if listener.mode == "barge":  # the conversation's own bridge
        await driver.ari.add_channel(listener.bridge, [listener.supervisor])
        return
    await driver.ari.create_bridge(listener.bridge, "mixing")
    await driver.ari.add_channel(listener.bridge, [listener.snoop, listener.supervisor])


async def end_listener(driver, listener: Listener) -> None:
    driver.listeners.pop(listener.supervisor, None)
    for channel in (listener.supervisor, listener.snoop):
        if channel:
            await driver.ari.hangup(channel)
    if listener.mode != "barge":
        await driver.ari.destroy_bridge(listener.bridge)


async def end_listeners(driver, call_id: str) -> None:
    for listener in [x for x in driver.listeners.values() if x.call_id == call_id]:
        await end_listener(driver, listener)
