"""The supervised ARI websocket: a dropped socket is reconnected with backoff and followed by a resync
(Asterisk drops the events of the gap). Real Asterisk, real SIPp; the driver runs in-process so that the
test can drop its socket."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from adapters.asterisk.stasis import build_config
from core.log import TERMINAL_VERBS
from devtools.harness import InProcessDriver, clear_asterisk
from tests.integration.asterisk.live_checks import by_call, dial, phone, wait_for_records

pytestmark = [pytest.mark.asterisk, pytest.mark.xdist_group("asterisk")]


def test_websocket_drop_reconnects_with_backoff_and_resyncs(asterisk_config, tmp_path, sipp_workdir):
    cfg = asterisk_config
    clear_asterisk(cfg)
    config = build_config(cfg.numbers, 1, ivr_after=None)
    driver = InProcessDriver(cfg, tmp_path / "live", config, backoff_start=2.5)
    agent = phone(cfg, sipp_workdir, answer_delay_ms=200, talk_ms=6_000)
    try:
        talking = dial(cfg, sipp_workdir, "13900000051", hold_ms=30_000)
        wait_for_records(driver, "CONNECT")
        waiting = dial(cfg, sipp_workdir, "13900000052", hold_ms=1_000)
        wait_for_records(driver, "ENTERQUEUE", 2)
        t_drop = time.monotonic()
        driver.call(driver.driver.stream.drop())
        rw = waiting.wait(timeout=10)  # hangs up during the 2.5 s gap: its StasisEnd is lost
        assert not any(r.verb == "ABANDON" for r in driver.records())
        wait_for_records(driver, "ABANDON")  # after the resync
        assert time.monotonic() - t_drop >= 2.4  # not before the backoff
        rt = talking.wait(timeout=30)
    finally:
        agent.stop()
        stream = driver.driver.stream
        stats = driver.driver.stats
        driver.stop()
        clear_asterisk(cfg)
    assert rw.outcomes == {"caller_bye": 1} and rt.outcomes == {"remote_bye": 1}, rw.summary() + rt.summary()
    assert stream.connects == 2 and stats.resyncs == 2
    records = driver.records()
    verbs = by_call(records)
    assert Counter(tuple(v) for v in verbs.values()) == {
        ("ENTERQUEUE", "CONNECT", "COMPLETEAGENT"): 1,  # its hang-up came over the new socket
        ("ENTERQUEUE", "ABANDON", "CALLBACK_CREATED"): 1,  # found gone by the resync
    }, verbs
    assert all(sum(v in TERMINAL_VERBS for v in vs) == 1 for vs in verbs.values())
