"""The live driver's resynchronisation after every websocket (re)connect, from ``GET /channels`` and
``GET /bridges``: calls the core thinks are live but whose channels are gone are hung up in the core
(``CallerHungUp`` / ``AgentHungUp`` / ``AgentDidNotAnswer``); callers in Stasis the core never saw ->
``CallArrived``; bridged calls are left to finish; waiting callers get their holding bridge and music again;
leftover legs and bridges of calls that are over are hung up and destroyed. The callbacks' and the campaigns'
legs resynchronise in ``callbacks`` and ``outbound``.
"""

from __future__ import annotations

from adapters.asterisk import call_legs, channel_events
from adapters.asterisk.call_legs import AGENT_PREFIX, AgentLeg, CallerLeg
from adapters.asterisk.callbacks import CALLBACK_PREFIX
from adapters.asterisk.outbound import OUTBOUND_PREFIX
from adapters.asterisk.supervisor import SNOOP_PREFIX, SUPERVISOR_PREFIX
from core import messages as m


async def repair_from_asterisk(driver) -> None:
    """Compare the core with Asterisk's channels and bridges and repair (``LiveDriver.resync`` runs it alone:
    the calls' lanes hold still meanwhile)."""
    driver.stats.resyncs += 1
    channels = {c["id"]: c for c in await driver.ari.channels()}
    bridges = {b["id"]: b for b in await driver.ari.bridges()}
    in_bridge = {ch: b["id"] for b in bridges.values() for ch in b.get("channels", ())}

    def agent_channel(call_id: str, agent_id: str) -> dict | None:
        prefix = f"{AGENT_PREFIX}{call_id}-{agent_id}-"
        return next((c for i, c in channels.items() if i.startswith(prefix)), None)

    # agent legs we track but Asterisk no longer has: their end was an event we missed
    for leg in list(driver.agent_legs.values()):
        if leg.channel not in channels:
            await channel_events.agent_leg_gone(driver, leg)

    snapshot = [(call, call.state, call.agent_id) for call in driver.core.calls.values()]
    for call, state, agent_id in snapshot:
        cid = call.call_id
        if driver.core.calls.get(cid) is not call or call.state != state or call.agent_id != agent_id:
            continue  # changed by an earlier step of this resync: what it did is fresh, not stale
        if cid not in channels:
            driver.handle(m.CallerHungUp(driver.now(), cid))
            continue
        leg = call_legs.caller_leg(driver, cid)
        if call.state == "talking":
            ch = agent_channel(cid, call.agent_id)
            if ch is None:
                driver.handle(m.AgentHungUp(driver.now(), cid))
                continue
            driver.agent_legs.setdefault(ch["id"], AgentLeg(ch["id"], cid, call.agent_id, answered=True, done=True))
            talk = f"talk-{cid}"
            leg.talk_bridge = talk
            leg.hold_bridge = None
            if in_bridge.get(cid) != talk or in_bridge.get(ch["id"]) != talk:
                if in_bridge.get(cid, "").startswith("hold-"):
                    await driver.ari.destroy_bridge(in_bridge[cid])
                if talk not in bridges:
                    await driver.ari.create_bridge(talk, "mixing")
                await driver.ari.add_channel(talk, [cid, ch["id"]])
        elif call.state == "ringing":
            await ensure_hold(driver, leg, in_bridge, bridges)
            ch = agent_channel(cid, call.agent_id)
            if ch is None:
                driver.handle(m.AgentDidNotAnswer(driver.now(), cid, call.agent_id))
                continue
            agent_leg = driver.agent_legs.setdefault(ch["id"], AgentLeg(ch["id"], cid, call.agent_id))
            if ch.get("state") == "Up" and not agent_leg.answered:
                agent_leg.answered = agent_leg.done = True
                driver.handle(m.AgentAnswered(driver.now(), cid, call.agent_id))
        elif call.state == "queued":
            await ensure_hold(driver, leg, in_bridge, bridges)
        elif call.state == "prompt":
            if not leg.prompt:
                await call_legs.prompt(driver, cid)

    # channels in Stasis the core does not know
    for cid, ch in channels.items():
        if cid.startswith((CALLBACK_PREFIX, OUTBOUND_PREFIX)):
            continue  # the callbacks' and the campaigns' resync below
        if cid.startswith((SNOOP_PREFIX, SUPERVISOR_PREFIX)):
            if not any(cid in (x.snoop, x.supervisor) and driver.is_live(x.call_id) for x in driver.listeners.values()):
                await driver.ari.hangup(cid)
            continue
        if cid.startswith(AGENT_PREFIX):
            leg = driver.agent_legs.get(cid)
            if leg is None or leg.dropped:
                await driver.ari.hangup(cid)
            continue
        dialplan = ch.get("dialplan") or {}
        data = (dialplan.get("app_data") or "").split(",")
        if dialplan.get("app_name") != "Stasis" or data[0] != driver.settings.app:
            continue
        if len(data) > 1 and data[1] in ("agent", "snoop", "supervisor"):
            continue
        if driver.is_live(cid):
            continue
        if cid in driver.seen_calls:
            await driver.ari.hangup(cid)  # the core already ended it; the hang-up was lost in a crash
            continue
        number = data[1] if len(data) > 1 else dialplan.get("exten", "")
        caller = (ch.get("caller") or {}).get("number", "")
        driver.handle(m.CallArrived(driver.now(), cid, caller, number))

    # bridges of calls that are over
    for bid in bridges:
        for prefix in ("hold-", "talk-"):  # hold-<call>, hold-<call>-<tag> (a supervisor's hold), talk-<call>
            if bid.startswith(prefix) and not driver.is_live(bid[len(prefix) :].split("-")[0]):
                await driver.ari.destroy_bridge(bid)
        if bid.startswith("listen-") and not any(x.bridge == bid for x in driver.listeners.values()):
            await driver.ari.destroy_bridge(bid)
    await driver.callbacks.resync(channels, bridges)
    await driver.outbound.resync(channels)


async def ensure_hold(driver, leg: CallerLeg, in_bridge: dict, bridges: dict) -> None:
    hold = f"hold-{leg.call_id}"
    if in_bridge.get(leg.call_id) == hold:
        leg.hold_bridge = hold
        await driver.ari.bridge_moh(hold)
        return
    if hold in bridges:
        await driver.ari.destroy_bridge(hold)
    leg.hold_bridge = None
    await call_legs.hold(driver, leg.call_id)
