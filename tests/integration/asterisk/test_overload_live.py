"""Callers who give up while their agent is rung or is answering, on the real Asterisk with SIPp.

Waiting callers hear ringing (``answer_while_queued=False``), so SIPp's outcome says what the caller had:
a 200 OK (answered) or a CANCEL (gave up unanswered). Hotline's event log must say the same, call by call.
"""

from __future__ import annotations

import pytest

from adapters.asterisk.stasis import build_config
from core.log import TERMINAL_VERBS
from devtools import sipp
from devtools.harness import InProcessDriver, clear_asterisk, compare_calls
from tests.integration.asterisk.live_checks import dial, phone, wait_for_ended_calls

pytestmark = [pytest.mark.asterisk, pytest.mark.xdist_group("asterisk")]


@pytest.fixture
def ringing_driver(asterisk_config, tmp_path):
    """A factory: an in-process driver whose waiting callers hear ringing; stopped at the end."""
    started: list[InProcessDriver] = []

    def start(agents: int) -> InProcessDriver:
        clear_asterisk(asterisk_config)
        config = build_config(asterisk_config.numbers, agents, ring_timeout=15.0, ivr_after=None)
        started.append(
            InProcessDriver(asterisk_config, tmp_path / f"live{len(started)}", config, answer_while_queued=False)
        )
        return started[-1]

    yield start
    for driver in started:
        driver.stop()
    clear_asterisk(asterisk_config)


def _call(cfg, caller_id: str, patience_ms: int, workdir) -> sipp.SippResult:
    return dial(cfg, workdir, caller_id, hold_ms=20_000, ring_timeout_ms=patience_ms).wait(timeout=40)


def test_caller_gone_while_the_agent_rings_is_an_abandon_and_the_agent_takes_the_next(
    asterisk_config, ringing_driver, sipp_workdir
):
    cfg = asterisk_config
    driver = ringing_driver(1)
    agent = phone(cfg, sipp_workdir, answer_delay_ms=3_000, talk_ms=1_000)
    try:
        gone = _call(cfg, "13910000001", 1_000, sipp_workdir)  # gives up after 1 s; the agent answers at 3 s
        served = _call(cfg, "13910000002", 10_000, sipp_workdir)
    finally:
        agent_result = agent.stop()
    assert gone.outcomes == {"cancel": 1}, gone.summary() + gone.errors()
    assert served.outcomes == {"remote_bye": 1}, served.summary() + served.errors()
    assert agent_result.outcomes == {"cancelled": 1, "agent_bye": 1}, agent_result.summary()
    records = wait_for_ended_calls(driver, 2, timeout=20)
    assert compare_calls([gone, served], records).mismatches == []
    verbs = [(r.agent, r.verb) for r in records if r.call_id != "NONE" and not r.verb.startswith("CALLBACK")]
    assert verbs == [
        ("NONE", "ENTERQUEUE"),
        ("NONE", "ABANDON"),
        ("NONE", "ENTERQUEUE"),
        ("agent001", "CONNECT"),
        ("agent001", "COMPLETEAGENT"),
    ], verbs
    assert driver.driver.core.agents["agent001"].calls == 1  # the abandoned call did not count as answered


def test_callers_gone_while_their_agent_answers_are_abandons_call_by_call(
    asterisk_config, ringing_driver, sipp_workdir
):
    """Agents answer 0.97 to 1.02 s after their phone rings; callers give up 1 s after dialling. So some
    calls are answered, some abandoned while the agent rings, and some abandoned in the very moment the agent
    answers: the agent leg's StasisStart and the caller's hang-up race in Asterisk and on the websocket.
    Every SIPp call must have Hotline's outcome, and the agents must be free afterwards."""
    delays = {f"agent{i:03d}": 970 + 5 * (i - 1) for i in range(1, 12)}
    cfg = asterisk_config
    driver = ringing_driver(len(delays))
    agents: dict[str, sipp.SippProcess] = {}
    try:
        for name, delay in delays.items():
            agents[name] = phone(cfg, sipp_workdir, name, answer_delay_ms=delay, talk_ms=300)
        ids = [f"1392{i:07d}" for i in range(1, 133)]
        surge = dial(cfg, sipp_workdir, *ids, rate=6, hold_ms=20_000, ring_timeout_ms=1_000).wait(timeout=90)
        records = wait_for_ended_calls(driver, len(ids), timeout=20)
        # every agent is free again: the next patient caller is answered
        after = _call(cfg, "13929999999", 10_000, sipp_workdir)
        records = wait_for_ended_calls(driver, len(ids) + 1, timeout=20)
    finally:
        agent_results = sipp.stop_all(agents.values())
    assert surge.created == len(ids) and surge.failed == 0, surge.summary() + surge.errors()
    assert after.outcomes == {"remote_bye": 1}, after.summary() + after.errors()
    comparison = compare_calls([surge, after], records)
    assert comparison.mismatches == [], comparison.summary(20)
    assert comparison.sipp["answered"] >= 5 and comparison.sipp["abandoned"] >= 5, comparison.summary()
    # the race was run: agents whose phone answered (200 OK, then our BYE) for callers Hotline logged as gone
    answered_by_phone = {
        rec.info.get("from", "").removeprefix("sip:")
        for result in agent_results
        for rec in result.calls.values()
        if "answered" in rec.events
    }
    abandoned = {number for number, verb in _caller_calls(records).items() if verb == "ABANDON"}
    assert answered_by_phone & abandoned, "no caller gave up while an agent answered: widen the sweep"
    core = driver.driver.core
    assert sum(a.calls for a in core.agents.values()) == comparison.hotline["answered"]
    assert all(a.state == "ready" for a in core.agents.values()), {a.agent_id: a.state for a in core.agents.values()}


def _caller_calls(records) -> dict[str, str]:
    """Caller number -> the call's terminal verb."""
    number_of = {r.call_id: r.field("caller") for r in records if r.verb == "ENTERQUEUE"}
    return {number_of[r.call_id]: r.verb for r in records if r.verb in TERMINAL_VERBS and r.call_id in number_of}
