"""Supervisor call control on a conversation, carried out by the driver over ARI (none of it is routing,
so the core does not see it, except the transfer that completes an attended transfer):

* ``hold``: the caller leaves the conversation's bridge for a holding bridge ``hold-<call>-<tag>`` with music on
  hold; the agent's leg stays in the conversation's bridge and waits. ``resume``: back together.
* attended transfer: ``consult`` holds the caller and rings ``endpoint`` (e.g. ``PJSIP/agent002``) into the
  conversation's bridge, where the agent talks with it alone; ``complete_transfer`` hands the caller over by
  the core's transfer to ``extension`` in ``context`` (logged TRANSFER, the agent is free; the consulted
  phone is dropped and rung again by the dialplan); ``cancel_transfer`` drops the consulted phone and resumes.

A resynchronisation after a websocket drop puts a held caller back into the conversation (the driver's
resync rebuilds every talking call's bridge), so a restart never leaves a caller on hold forgotten.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from adapters.asterisk import supervisor
from adapters.asterisk.supervisor import SUPERVISOR_PREFIX, Listener
from core import messages as m


@dataclass
class Consultation:
    leg: str  # the consulted phone's channel
    extension: str
    context: str


def _conversation(driver, call_id: str):
    call = driver.core.calls.get(call_id)
    leg = driver.callers.get(call_id)
    if call is None or call.state != "talking" or leg is None or not leg.talk_bridge:
        raise ValueError(f"call {call_id} is not in a conversation")
    return call, leg


def _take_consultation(driver, call_id: str, to: str) -> Consultation:
    consultation = driver.consultations.pop(call_id, None)
    if consultation is None:
        raise ValueError(f"call {call_id} has no consultation to {to}")
    return consultation


async def _hold(driver, call_id: str) -> None:
    _, leg = _conversation(driver, call_id)
    if leg.hold_bridge:
        raise ValueError(f"call {call_id} is already on hold")
    # a new bridge each time: Asterisk destroys a bridge asynchronously, so the last hold's may still exist
    bridge = f"hold-{call_id}-{uuid.uuid4().hex[:6]}"
    await driver.ari.create_bridge(bridge, "holding")
    leg.hold_bridge = bridge  # destroyed with the call's other bridges when it ends
    await driver.ari.remove_channel(leg.talk_bridge, call_id)
    await driver.ari.add_channel(bridge, [call_id])
    await driver.ari.bridge_moh(bridge)


async def _resume(driver, call_id: str) -> None:
    _, leg = _conversation(driver, call_id)
    if not leg.hold_bridge:
        raise ValueError(f"call {call_id} is not on hold")
    bridge, leg.hold_bridge = leg.hold_bridge, None
    await driver.ari.destroy_bridge(bridge)
    await driver.ari.add_channel(leg.talk_bridge, [call_id])


async def hold(driver, call_id: str) -> dict:
    async def work() -> dict:
        await _hold(driver, call_id)
        return {"call_id": call_id, "held": True}

    return await driver.in_lane(call_id, work)


async def resume(driver, call_id: str) -> dict:
    async def work() -> dict:
        if call_id in driver.consultations:
            raise ValueError(f"call {call_id} has a consultation open: complete or cancel the transfer")
        await _resume(driver, call_id)
        return {"call_id": call_id, "held": False}

    return await driver.in_lane(call_id, work)


async def consult(driver, call_id: str, endpoint: str, extension: str, context: str = "hotline-transfer") -> dict:
    async def work() -> dict:
        consultations = driver.consultations
        if call_id in consultations:
            raise ValueError(f"call {call_id} already has a consultation open")
        _, leg = _conversation(driver, call_id)
        if not leg.hold_bridge:
            await _hold(driver, call_id)
        channel = f"{SUPERVISOR_PREFIX}{call_id}-{uuid.uuid4().hex[:8]}"
        # a barging listener: answered -> into the conversation's bridge; dropped with the call
        driver.listeners[channel] = Listener(call_id, "", channel, leg.talk_bridge, "barge")
        consultations[call_id] = Consultation(channel, extension, context)
        try:
            await driver.ari.originate(
                endpoint, channel_id=channel, app_args=f"supervisor,{call_id}", timeout=driver.options.originate_timeout
            )
        except BaseException:  # no consultation after all: the caller is back with the agent
            driver.listeners.pop(channel, None)
            consultations.pop(call_id, None)
            await _resume(driver, call_id)
            raise
        return {"call_id": call_id, "leg": channel}

    return await driver.in_lane(call_id, work)


async def complete_transfer(driver, call_id: str) -> dict:
    async def work() -> dict:
        consultation = _take_consultation(driver, call_id, "complete")
        call, _ = _conversation(driver, call_id)
        driver.handle(
            m.TransferCall(driver.now(), call_id, call.agent_id, consultation.extension, consultation.context),
            strict=True,
        )
        return {"call_id": call_id, "extension": consultation.extension}

    return await driver.in_lane(call_id, work)


async def cancel_transfer(driver, call_id: str) -> dict:
    async def work() -> dict:
        consultation = _take_consultation(driver, call_id, "cancel")
        listener = driver.listeners.get(consultation.leg)
        if listener is not None:
            await supervisor.end_listener(driver, listener)
        await _resume(driver, call_id)
        return {"call_id": call_id, "held": False}

    return await driver.in_lane(call_id, work)
