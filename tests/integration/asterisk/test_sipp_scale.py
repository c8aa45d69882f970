"""The SIPp harness at 200 agents: every SIPp process binds its own media ports (left to themselves, the
51st found none free), and all 200 phones answer a call routed by the live driver."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from adapters.asterisk.stasis import build_config
from devtools import provision, sipp
from devtools.harness import InProcessDriver, clear_asterisk, compare_calls
from tests.helpers import wait_until
from tests.integration.asterisk.live_checks import dial, phones

pytestmark = [pytest.mark.asterisk, pytest.mark.xdist_group("asterisk")]

AGENTS = 200


@pytest.fixture
def asterisk_with_200_agents(asterisk_config):
    """The session's Asterisk, with at least 200 agent endpoints for the test's duration."""
    cfg = asterisk_config
    if cfg.agents >= AGENTS:
        yield cfg
        return
    bigger = dataclasses.replace(cfg, agents=AGENTS)
    provision.reload_agents(bigger)
    try:
        yield bigger
    finally:
        provision.reload_agents(cfg)


def test_200_sipp_agents_each_answer_a_call(asterisk_with_200_agents, tmp_path, sipp_workdir):
    cfg = asterisk_with_200_agents
    names = cfg.agent_names()[:AGENTS]
    clear_asterisk(cfg)
    # no voice from the callers and no music while queued: this is about SIPp's ports, not Asterisk's RTP load
    driver = InProcessDriver(
        cfg, tmp_path / "live", build_config(cfg.numbers, tuple(names), ivr_after=None), answer_while_queued=False
    )
    agents = phones(cfg, sipp_workdir, names, answer_delay_ms=100, talk_ms=1_000)
    try:
        media = sorted(proc.media_port for proc in agents.values())
        ids = [f"1393{i:07d}" for i in range(1, AGENTS + 1)]
        result = dial(cfg, sipp_workdir, *ids, rate=10, hold_ms=30_000, ring_timeout_ms=30_000, media=False).wait(
            timeout=60
        )
        records = wait_until(
            lambda: len([r for r in driver.records() if r.verb.startswith("COMPLETE")]) == AGENTS and driver.records(),
            20,
            "200 completed calls",
        )
    finally:
        agent_results = sipp.stop_all(agents.values())
        driver.stop()
        clear_asterisk(cfg)
    assert len(set(media)) == AGENTS and all(port in cfg.sipp_media_ports for port in media), media
    assert not set(range(min(media), max(media) + 4)) & set(range(cfg.rtp_start, cfg.rtp_end + 1))
    assert result.outcomes == {"remote_bye": AGENTS}, result.summary() + result.errors()
    # rrmemory over 200 agents, about 12 busy at a time: each phone rings once, answers, talks 1 s, hangs up
    assert all(r.outcomes == {"agent_bye": 1} for r in agent_results), [
        r.summary() for r in agent_results if r.outcomes != {"agent_bye": 1}
    ][:5]
    assert Counter(r.agent for r in records if r.verb == "CONNECT") == Counter(names)
    assert compare_calls(result, records).mismatches == []
