"""Supervisor listen / whisper / barge on a real Asterisk with SIPp phones: a snoop channel on the caller
(listen) or on the agent's leg (whisper), or the supervisor's leg in the conversation's bridge (barge)."""

from __future__ import annotations

import time

import pytest

from adapters.asterisk.stasis import build_config
from adapters.asterisk.supervisor import listen
from devtools import sipp
from devtools.harness import InProcessDriver, ari_client, clear_asterisk
from tests.helpers import wait_until
from tests.integration.asterisk.conftest import wait_until_asterisk_is_empty

pytestmark = [pytest.mark.asterisk, pytest.mark.xdist_group("asterisk")]


def test_supervisor_listens_to_a_call_and_is_dropped_when_it_ends(asterisk_config, tmp_path, sipp_workdir):
    cfg = asterisk_config
    ports = cfg.agent_ports()
    clear_asterisk(cfg)
    driver = InProcessDriver(cfg, tmp_path / "live", build_config(cfg.numbers, 1, ivr_after=None))
    agent = sipp.start_agent("agent001", ports["agent001"], answer_delay_ms=200, talk_ms=5_000, workdir=sipp_workdir)
    # agent004 is not a routing agent here: its phone plays the supervisor, listening until we hang up
    supervisor_phone = sipp.start_agent(
        "agent004", ports["agent004"], answer_delay_ms=200, talk_ms=0, workdir=sipp_workdir
    )
    try:
        caller = sipp.start_callers(
            cfg.numbers[0], sip_port=cfg.sip_port, hold_ms=30_000, caller_ids=["13900000081"], workdir=sipp_workdir
        )
        call_id = _connected_call(driver)
        leg = driver.call(listen(driver.driver, call_id, "PJSIP/agent004"))
        with ari_client(cfg) as ari:
            bridges = wait_until(
                lambda: [
                    b for b in ari.get("/bridges").json() if b["id"].startswith("listen-") and len(b["channels"]) == 2
                ],
                5,
                "a listen bridge with two channels",
                lambda: str(ari.get("/bridges").json()),
            )
            assert leg in bridges[0]["channels"]
            snoop = next(c for c in bridges[0]["channels"] if c != leg)
            assert ari.get(f"/channels/{snoop}").json()["name"].startswith("Snoop/")
            talk = ari.get(f"/bridges/talk-{call_id}").json()
            assert sorted(talk["channels"])[0] == call_id and len(talk["channels"]) == 2  # the call is untouched
        result = caller.wait(timeout=20)
        wait_until_asterisk_is_empty(cfg)
    finally:
        agent_result, supervisor_result = agent.stop(), supervisor_phone.stop()
        driver.stop()
        clear_asterisk(cfg)
    assert result.outcomes == {"remote_bye": 1}, result.summary()
    assert agent_result.outcomes == {"agent_bye": 1}, agent_result.summary()
    assert supervisor_result.outcomes == {"remote_bye": 1}, supervisor_result.summary()  # dropped at the call's end
    verbs = [r.verb for r in driver.records() if r.call_id != "NONE"]
    assert verbs == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]  # listening is not routing: nothing logged


def _connected_call(driver, timeout: float = 10) -> str:
    connects = wait_until(lambda: [r for r in driver.records() if r.verb == "CONNECT"], timeout, "a CONNECT")
    return connects[0].call_id


@pytest.mark.parametrize("mode", ["whisper", "barge"])
def test_supervisor_whispers_to_the_agent_or_barges_into_the_call(mode, asterisk_config, tmp_path, sipp_workdir):
    cfg = asterisk_config
    ports = cfg.agent_ports()
    clear_asterisk(cfg)
    driver = InProcessDriver(cfg, tmp_path / "live", build_config(cfg.numbers, 1, ivr_after=None))
    agent = sipp.start_agent("agent001", ports["agent001"], answer_delay_ms=200, talk_ms=5_000, workdir=sipp_workdir)
    supervisor_phone = sipp.start_agent(
        "agent004", ports["agent004"], answer_delay_ms=200, talk_ms=0, workdir=sipp_workdir
    )
    try:
        caller = sipp.start_callers(
            cfg.numbers[0], sip_port=cfg.sip_port, hold_ms=30_000, caller_ids=["13900000082"], workdir=sipp_workdir
        )
        call_id = _connected_call(driver)
        agent_leg = next(leg.channel for leg in driver.driver.agent_legs.values() if leg.call_id == call_id)
        leg = driver.call(listen(driver.driver, call_id, "PJSIP/agent004", mode=mode))
        with ari_client(cfg) as ari:
            deadline = time.monotonic() + 5
            while True:
                if mode == "barge":  # the supervisor is in the conversation's own bridge: three parties
                    channels = ari.get(f"/bridges/talk-{call_id}").json()["channels"]
                    if len(channels) == 3:
                        break
                else:
                    bridges = [b for b in ari.get("/bridges").json() if b["id"].startswith("listen-")]
                    if bridges and len(bridges[0]["channels"]) == 2:
                        break
                assert time.monotonic() < deadline, ari.get("/bridges").json()
                time.sleep(0.05)
            if mode == "barge":
                assert sorted(channels) == sorted([call_id, agent_leg, leg])
            else:
                assert leg in bridges[0]["channels"]
                snoop = next(c for c in bridges[0]["channels"] if c != leg)
                # a snoop channel is named after the channel it spies on: the agent's leg, not the caller
                assert ari.get(f"/channels/{snoop}").json()["name"].startswith(f"Snoop/{agent_leg}")
                assert sorted(ari.get(f"/bridges/talk-{call_id}").json()["channels"]) == sorted([call_id, agent_leg])
        result = caller.wait(timeout=20)
        wait_until_asterisk_is_empty(cfg)
    finally:
        agent_result, supervisor_result = agent.stop(), supervisor_phone.stop()
        driver.stop()
        clear_asterisk(cfg)
    assert result.outcomes == {"remote_bye": 1}, result.summary()
    assert agent_result.outcomes == {"agent_bye": 1}, agent_result.summary()
    assert supervisor_result.outcomes == {"remote_bye": 1}, supervisor_result.summary()
    verbs = [r.verb for r in driver.records() if r.call_id != "NONE"]
    assert verbs == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]
