"""Supervisor listen / whisper / barge on a real Asterisk with SIPp phones: a snoop channel on the caller
(listen) or on the agent's leg (whisper), or the supervisor's leg in the conversation's bridge (barge)."""

from __future__ import annotations

import pytest

from adapters.asterisk.supervisor import listen
from devtools.harness import ari_client
from tests.helpers import wait_until
from tests.integration.asterisk.conftest import wait_until_asterisk_is_empty

pytestmark = [pytest.mark.asterisk, pytest.mark.xdist_group("asterisk")]


def _snoop_beside(ari, leg: str) -> str:
    """The snoop channel in the supervisor leg's listen bridge, once both are in it."""
    bridges = wait_until(
        lambda: [b for b in ari.get("/bridges").json() if b["id"].startswith("listen-") and len(b["channels"]) == 2],
        5,
        "a listen bridge with two channels",
        lambda: str(ari.get("/bridges").json()),
    )
    assert leg in bridges[0]["channels"]
    return next(c for c in bridges[0]["channels"] if c != leg)


def test_supervisor_listens_to_a_call_and_is_dropped_when_it_ends(asterisk_config, conversations):
    cfg = asterisk_config
    # agent004 is not a routing agent here: its phone plays the supervisor, listening until we hang up
    supervisor_phone = conversations.phone("agent004", answer_delay_ms=200, talk_ms=0)
    talk = conversations.start("13900000081", talk_ms=5_000)
    driver, call_id = talk.driver, talk.call_id
    leg = driver.call(listen(driver.driver, call_id, "PJSIP/agent004"))
    with ari_client(cfg) as ari:
        snoop = _snoop_beside(ari, leg)
        assert ari.get(f"/channels/{snoop}").json()["name"].startswith("Snoop/")
        bridged = ari.get(f"/bridges/talk-{call_id}").json()
        assert sorted(bridged["channels"])[0] == call_id and len(bridged["channels"]) == 2  # the call is untouched
    result = talk.caller.wait(timeout=20)
    wait_until_asterisk_is_empty(cfg)
    agent_result, supervisor_result = talk.agent.stop(), supervisor_phone.stop()
    assert result.outcomes == {"remote_bye": 1}, result.summary()
    assert agent_result.outcomes == {"agent_bye": 1}, agent_result.summary()
    assert supervisor_result.outcomes == {"remote_bye": 1}, supervisor_result.summary()  # dropped at the call's end
    verbs = [r.verb for r in driver.records() if r.call_id != "NONE"]
    assert verbs == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]  # listening is not routing: nothing logged


@pytest.mark.parametrize("mode", ["whisper", "barge"])
def test_supervisor_whispers_to_the_agent_or_barges_into_the_call(mode, asterisk_config, conversations):
    cfg = asterisk_config
    supervisor_phone = conversations.phone("agent004", answer_delay_ms=200, talk_ms=0)
    talk = conversations.start("13900000082", talk_ms=5_000)
    driver, call_id = talk.driver, talk.call_id
    agent_leg = next(leg.channel for leg in driver.driver.agent_legs.values() if leg.call_id == call_id)
    leg = driver.call(listen(driver.driver, call_id, "PJSIP/agent004", mode=mode))
    with ari_client(cfg) as ari:
        if mode == "barge":  # the supervisor is in the conversation's own bridge: three parties
            channels = wait_until(
                lambda: found if len(found := ari.get(f"/bridges/talk-{call_id}").json()["channels"]) == 3 else None,
                5,
                "three parties in the conversation's bridge",
                lambda: str(ari.get("/bridges").json()),
            )
            assert sorted(channels) == sorted([call_id, agent_leg, leg])
        else:
            snoop = _snoop_beside(ari, leg)
            # a snoop channel is named after the channel it spies on: the agent's leg, not the caller
            assert ari.get(f"/channels/{snoop}").json()["name"].startswith(f"Snoop/{agent_leg}")
            assert sorted(ari.get(f"/bridges/talk-{call_id}").json()["channels"]) == sorted([call_id, agent_leg])
    result = talk.caller.wait(timeout=20)
    wait_until_asterisk_is_empty(cfg)
    agent_result, supervisor_result = talk.agent.stop(), supervisor_phone.stop()
    assert result.outcomes == {"remote_bye": 1}, result.summary()
    assert agent_result.outcomes == {"agent_bye": 1}, agent_result.summary()
    assert supervisor_result.outcomes == {"remote_bye": 1}, supervisor_result.summary()
    verbs = [r.verb for r in driver.records() if r.call_id != "NONE"]
    assert verbs == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]
