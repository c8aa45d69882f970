"""The live driver's /metrics (issue 14, item 14) on a real driver object: no Asterisk needed, the ARI
requests its actions make fail on a closed port (and are logged), while the core's state is what is measured."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from adapters.asterisk.ari import AriSettings
from adapters.asterisk.metrics import LiveMetrics
from adapters.asterisk.stasis import DriverOptions, LiveDriver, build_config
from adapters.json_logs import JsonLines
from core import messages as m

T0 = 1_700_000_000.0


def _samples(registry) -> dict[tuple[str, tuple], float]:
    from prometheus_client import generate_latest

    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_report_waiting_calls_agents_outcomes_tickets_and_latencies(tmp_path):
    driver = LiveDriver(
        AriSettings(url="http://127.0.0.1:9"),
        build_config(("4008001000",), 2, ivr_after=None),
        DriverOptions(data_dir=tmp_path / "live", login=False),
        clock=lambda: T0,
    )
    metrics = LiveMetrics(driver)

    async def go():
        driver.handle(m.LogIn(T0, "agent001"))
        driver.handle(m.CallArrived(T0 + 1, "c1", "13800138000", "4008001000"))
        driver.handle(m.CallArrived(T0 + 5, "c2", "13900139000", "4008001000"))
        driver.handle(m.CallArrived(T0 + 6, "c3", "13700137000", "4008001000"))
        driver.handle(m.CallerHungUp(T0 + 7, "c3"))
        driver.stats.stasis_to_originate.append(0.004)
        metrics.round_trip("POST", "/channels/x/answer", 0.002)
        metrics.refresh(now=T0 + 11)
        await driver.lanes.idle()

    asyncio.run(go())
    seen = _samples(metrics.registry)
    queue = driver.config.hotlines[0].queue
    assert seen[("hotline_live_calls_waiting", (("queue", queue),))] == 1  # c2; c1 rings agent001
    assert seen[("hotline_live_longest_wait_seconds", (("queue", queue),))] == 6
    assert seen[("hotline_live_agents", (("state", "ringing"),))] == 1
    assert seen[("hotline_live_agents", (("state", "out"),))] == 1
    assert seen[("hotline_live_calls_total", (("outcome", "abandoned"),))] == 1
    assert seen[("hotline_live_calls_total", (("outcome", "answered"),))] == 0
    assert seen[("hotline_live_tickets_open", ())] == 1  # the abandoned caller is called back
    assert seen[("hotline_live_stasis_to_originate_seconds_count", ())] == 1
    assert seen[("hotline_live_ari_seconds_count", (("method", "POST"), ("resource", "channels")))] == 1


def test_metrics_are_served_over_http(tmp_path):
    driver = LiveDriver(
        AriSettings(url="http://127.0.0.1:9"),
        build_config(("4008001000",), 1),
        DriverOptions(data_dir=tmp_path / "live", login=False),
        clock=lambda: T0,
    )
    metrics = LiveMetrics(driver)
    metrics.refresh(now=T0)
    server, thread = metrics.serve("127.0.0.1", 0)
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/metrics", timeout=10).read().decode()
    finally:
        server.shutdown()
    assert "hotline_live_agents" in body and "hotline_live_tickets_open" in body


def test_every_line_logged_in_a_calls_lane_names_the_call(tmp_path):
    from adapters.asterisk.lanes import Lanes

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(JsonLines().format(record))

    logger = logging.getLogger("hotline.live.test")
    logger.addHandler(Keep())
    logger.setLevel(logging.INFO)

    async def go():
        lanes = Lanes()

        async def job():
            logger.info("answering")

        lanes.submit("call-77", job)
        lanes.submit("call-78", job)
        await lanes.idle()

    asyncio.run(go())
    assert sorted(json.loads(line)["call_id"] for line in lines) == ["call-77", "call-78"]
