"""Blind transfer and a supervisor's forced hang-up, on a real Asterisk with SIPp phones."""

from __future__ import annotations

import time

import pytest

from adapters.asterisk import supervisor
from core.center import CommandRejected
from devtools.harness import ari_client
from tests.helpers import wait_until
from tests.integration.asterisk.conftest import wait_until_asterisk_is_empty
from tests.integration.asterisk.live_checks import wait_for_records

pytestmark = [pytest.mark.asterisk, pytest.mark.xdist_group("asterisk")]


def test_agent_blind_transfers_the_caller_to_another_phone(asterisk_config, conversations):
    cfg = asterisk_config
    # agent004 is not a routing agent here: it is the back-office phone the caller is sent to
    back_office = conversations.phone("agent004", answer_delay_ms=300, talk_ms=2_000)
    talk = conversations.start("13900000091", talk_ms=30_000)
    driver, call_id = talk.driver, talk.call_id
    connect = wait_for_records(driver, "CONNECT")[0]
    with pytest.raises(CommandRejected):  # only the agent on the call may transfer it
        driver.call(driver.driver.transfer(call_id, "agent002", "004"))
    wait_until(lambda: time.time() - connect.time >= 1.0, 10, "a second of talk before the transfer")
    driver.call(driver.driver.transfer(call_id, "agent001", "004"))
    transfer = wait_for_records(driver, "TRANSFER")[0]
    with ari_client(cfg) as ari:  # the caller left Stasis and is dialling agent004 from the dialplan
        wait_until(
            lambda: any(c["name"].startswith("PJSIP/agent004") for c in ari.get("/channels").json()),
            5,
            "a channel to agent004",
            lambda: str(ari.get("/channels").json()),
        )
    result = talk.caller.wait(timeout=20)
    wait_until_asterisk_is_empty(cfg)
    agent_result, back_office_result = talk.agent.stop(), back_office.stop()
    assert (transfer.call_id, transfer.agent, transfer.field("extension"), transfer.field("context")) == (
        call_id,
        "agent001",
        "004",
        "hotline-transfer",
    )
    assert float(transfer.field("calltime")) >= 1.0  # call time with agent001 before the transfer
    assert result.outcomes == {"remote_bye": 1}, result.summary()  # agent004 hung up on the caller
    assert agent_result.outcomes == {"remote_bye": 1}, agent_result.summary()  # agent001 was dropped
    assert back_office_result.outcomes == {"agent_bye": 1}, back_office_result.summary()
    call_verbs = [r.verb for r in driver.records() if r.call_id == call_id]
    assert call_verbs == ["ENTERQUEUE", "CONNECT", "TRANSFER"]  # ended once, as TRANSFER
    assert driver.driver.core.agents["agent001"].state == "ready"  # free for the next caller


def test_supervisor_forces_a_conversation_to_end(asterisk_config, conversations):
    cfg = asterisk_config
    talk = conversations.start("13900000092", talk_ms=30_000)
    driver, call_id = talk.driver, talk.call_id
    with ari_client(cfg) as ari:  # the conversation is bridged before the supervisor ends it
        wait_until(
            lambda: len((ari.get(f"/bridges/talk-{call_id}").json() or {}).get("channels", ())) == 2,
            10,
            "caller and agent bridged",
        )
    driver.call(supervisor.force_hang_up(driver.driver, call_id, "supervisor1"))
    result = talk.caller.wait(timeout=10)
    wait_until_asterisk_is_empty(cfg)
    with pytest.raises(ValueError):  # nothing left to end
        driver.call(supervisor.force_hang_up(driver.driver, call_id, "supervisor1"))
    agent_result = talk.agent.stop()
    assert result.outcomes == {"remote_bye": 1}, result.summary()
    assert agent_result.outcomes == {"remote_bye": 1}, agent_result.summary()
    assert [r.verb for r in driver.records() if r.call_id == call_id] == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]
