"""Real calls through the local Asterisk: SIPp callers and agents, ARI by hand.

No Hotline core here: these tests check the ground the live driver stands on
(dialplan -> Stasis, ARI REST + websocket, DTMF, app_queue anchor).
"""

from __future__ import annotations

import time

import pytest

from devtools import provision, sipp
from devtools.asterisk_settings import STASIS_APP
from tests.helpers import wait_until

pytestmark = [pytest.mark.asterisk, pytest.mark.xdist_group("asterisk")]


def test_ari_answers_asterisk_info(ari, asterisk_config):
    resp = ari.get("/asterisk/info")
    assert resp.status_code == 200, resp.text
    info = resp.json()
    assert info["system"]["version"].startswith("22."), info["system"]
    endpoints = {e["resource"] for e in ari.get("/endpoints/PJSIP").json()}
    assert set(asterisk_config.agent_names()) <= endpoints
    assert provision.status(asterisk_config).running


def test_hotline_number_reaches_stasis_app(ari, ari_events, asterisk_config, sipp_workdir):
    number = asterisk_config.numbers[0]
    caller = sipp.start_callers(
        number,
        sip_port=asterisk_config.sip_port,
        hold_ms=15_000,
        ring_timeout_ms=10_000,
        caller_ids=["13912345678"],
        workdir=sipp_workdir,
    )
    with caller:
        start = ari_events.wait_for(lambda e: e["type"] == "StasisStart", timeout=10)
        assert start["application"] == STASIS_APP
        assert start["args"] == [number]
        channel = start["channel"]
        assert channel["caller"]["number"] == "13912345678"
        assert channel["dialplan"]["exten"] == number

        resp = ari.post(f"/channels/{channel['id']}/answer")
        assert resp.status_code == 204, resp.text
        ari_events.wait_for(
            lambda e: (
                e["type"] == "ChannelStateChange"
                and e["channel"]["id"] == channel["id"]
                and e["channel"]["state"] == "Up"
            )
        )
        # Hang up only after a short prompt: a BYE sent within a millisecond of the 200 OK reaches SIPp
        # before it has sent its ACK, and SIPp then counts the call as failed.
        resp = ari.post(f"/channels/{channel['id']}/play", params={"media": "sound:beep"})
        assert resp.status_code == 201, resp.text
        playback_id = resp.json()["id"]
        ari_events.wait_for(lambda e: e["type"] == "PlaybackFinished" and e["playback"]["id"] == playback_id)
        resp = ari.delete(f"/channels/{channel['id']}")
        assert resp.status_code == 204, resp.text
        ari_events.wait_for(lambda e: e["type"] == "StasisEnd" and e["channel"]["id"] == channel["id"])
        result = caller.wait(timeout=20)
    assert result.successful == 1 and result.failed == 0, result.summary() + "\n" + result.errors()
    assert result.outcomes == {"remote_bye": 1}, result.summary()
    assert result.calls[1].answered_after is not None


@pytest.mark.parametrize("dtmf_mode", ["rfc2833", "info"])
def test_caller_dtmf_reaches_ari(ari, ari_events, asterisk_config, sipp_workdir, dtmf_mode):
    caller = sipp.start_callers(
        asterisk_config.numbers[0],
        sip_port=asterisk_config.sip_port,
        hold_ms=15_000,
        dtmf="12#",
        dtmf_mode=dtmf_mode,
        dtmf_delay_ms=300,
        workdir=sipp_workdir,
    )
    with caller:
        start = ari_events.wait_for(lambda e: e["type"] == "StasisStart", timeout=10)
        chan = start["channel"]["id"]
        assert ari.post(f"/channels/{chan}/answer").status_code == 204
        digits = ""
        while not digits.endswith("#"):
            ev = ari_events.wait_for(
                lambda e: e["type"] == "ChannelDtmfReceived" and e["channel"]["id"] == chan, timeout=10
            )
            digits += ev["digit"]
        assert digits == "12#"
        assert ari.delete(f"/channels/{chan}").status_code == 204
        result = caller.wait(timeout=30)
    assert result.failed == 0 and result.outcomes == {"remote_bye": 1}, result.summary() + result.errors()


def test_unknown_number_is_rejected(asterisk_config, sipp_workdir):
    result = sipp.start_callers("5550000", sip_port=asterisk_config.sip_port, hold_ms=5_000, workdir=sipp_workdir).wait(
        timeout=20
    )
    assert result.failed == 0 and result.outcomes == {"rejected": 1}, result.summary() + result.errors()
    assert result.calls[1].info.get("code") == "404"


def _queue_log_lines(path, since: float) -> list[list[str]]:
    rows = []
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split("|")
        if len(parts) >= 5 and parts[0].isdigit() and int(parts[0]) >= int(since):
            rows.append(parts)
    return rows


def test_queue_anchor_call_is_answered_by_sipp_agent(local_asterisk, asterisk_config, sipp_workdir):
    cfg = asterisk_config
    t_start = time.time()
    agents = sipp.start_agents(cfg.agent_ports(), answer_delay_ms=200, talk_ms=1_000, workdir=sipp_workdir)
    try:
        result = sipp.start_callers(
            cfg.anchor_number(cfg.numbers[0]),
            sip_port=cfg.sip_port,
            hold_ms=20_000,
            ring_timeout_ms=10_000,
            workdir=sipp_workdir,
        ).wait(timeout=40)
    finally:
        agent_results = sipp.stop_all(agents.values())
    assert result.successful == 1 and result.failed == 0, result.summary() + result.errors()
    # the agent hung up after its talk time; Asterisk then hung up the caller
    assert result.outcomes == {"remote_bye": 1}, result.summary()
    answered = [r for r in agent_results if r.outcomes.get("agent_bye")]
    assert len(answered) == 1, "\n".join(r.summary() for r in agent_results)
    agent = answered[0].role.split(":", 1)[1]
    assert answered[0].failed == 0, answered[0].summary() + answered[0].errors()

    # app_queue wrote the benchmark's raw material
    def anchor_events() -> list[tuple[str, str]]:
        return [
            (row[3], row[4])
            for row in _queue_log_lines(local_asterisk.queue_log, t_start)
            if row[2] == "hotline-anchor"
        ]

    wait_until(
        lambda: (agent, "COMPLETEAGENT") in anchor_events(),
        10,
        "app_queue's COMPLETEAGENT in queue_log",
        lambda: str(anchor_events()),
    )
    events = anchor_events()
    assert ("NONE", "ENTERQUEUE") in events, events
    assert (agent, "CONNECT") in events, events
    assert (agent, "COMPLETEAGENT") in events, events
