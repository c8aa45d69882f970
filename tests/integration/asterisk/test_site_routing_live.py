"""A site configuration's routing on the real Asterisk with SIPp: skill levels (the higher level is rung first,
whatever the strategy) and overflow to the back office once a caller has waited long enough."""

from __future__ import annotations

import pytest

from core.config import AgentProfile, CenterConfig, Hotline, OverflowStep, Policy
from core.log import Verb
from devtools import sipp
from devtools.harness import InProcessDriver, clear_asterisk
from tests.helpers import wait_until
from tests.integration.asterisk.live_checks import dial, phones

pytestmark = [pytest.mark.asterisk, pytest.mark.xdist_group("asterisk")]

OVERFLOW_AFTER = 1.0


def site(number: str) -> CenterConfig:
    """agent002 is the orders line's best (level 2), agent001 its second; agent003 is back office only."""
    return CenterConfig(
        agents=(
            AgentProfile("agent001", {"orders": 1}),
            AgentProfile("agent002", {"orders": 2}),
            AgentProfile("agent003", {"backoffice": 1}),
        ),
        hotlines=(Hotline(number, "orders"),),
        policy=Policy(
            strategy="linear",
            ring_timeout=15.0,
            ivr_after=None,
            callback_reserve=None,
            overflow={"orders": (OverflowStep("backoffice", after_wait=OVERFLOW_AFTER),)},
        ),
    )


def test_skill_levels_first_then_overflow_to_the_back_office(asterisk_config, tmp_path, sipp_workdir):
    cfg = asterisk_config
    clear_asterisk(cfg)
    driver = InProcessDriver(cfg, tmp_path / "live", site(cfg.numbers[0]))
    agents = phones(cfg, sipp_workdir, 3, answer_delay_ms=200, talk_ms=8_000)
    callers = []

    def connected(caller: str) -> str | None:
        records = driver.records()
        call = next((r.call_id for r in records if r.verb == Verb.ENTERQUEUE and r.field("caller") == caller), None)
        return next((r.agent for r in records if r.verb == Verb.CONNECT and r.call_id == call), None)

    try:
        for caller in ("13920000001", "13920000002", "13920000003"):  # one after the other: each finds the last talking
            callers.append(dial(cfg, sipp_workdir, caller, hold_ms=30_000, ring_timeout_ms=20_000))
            wait_until(lambda: connected(caller), 20, lambda: f"{caller} connected: {driver.records()}")
        results = [c.wait(timeout=40) for c in callers]
    finally:
        sipp.stop_all(agents.values())
        driver.stop()
        clear_asterisk(cfg)
    assert [connected(c) for c in ("13920000001", "13920000002", "13920000003")] == ["agent002", "agent001", "agent003"]
    records = driver.records()
    third = next(r.call_id for r in records if r.verb == Verb.ENTERQUEUE and r.field("caller") == "13920000003")
    overflow = [r for r in records if r.verb == Verb.OVERFLOW and r.call_id == third]
    assert [(r.queue, r.field("home_queue")) for r in overflow] == [("backoffice", "orders")]
    entered = next(r.time for r in records if r.verb == Verb.ENTERQUEUE and r.call_id == third)
    assert overflow[0].time - entered >= OVERFLOW_AFTER
    assert all(r.outcomes == {"remote_bye": 1} for r in results), [r.summary() for r in results]
