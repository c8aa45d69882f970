"""Issue 14, item 14 on a live Asterisk: the driver's /metrics after a real call, and its JSON log lines name
the call."""

from __future__ import annotations

import json
import socket

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from devtools import sipp
from tests.helpers import wait_until
from tests.integration.asterisk.live_checks import dial, phone

pytestmark = pytest.mark.asterisk


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _samples(port: int) -> dict:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_an_answered_call_shows_in_the_drivers_metrics_and_its_log_lines_name_it(live, asterisk_config, sipp_workdir):
    cfg, port = asterisk_config, _free_port()
    proc = live("--agents", "1", "--metrics-port", str(port))
    agent = phone(cfg, sipp_workdir, answer_delay_ms=200, talk_ms=1_000)
    try:
        ready = wait_until(
            lambda: _samples(port).get(("hotline_live_agents", (("state", "ready"),))) == 1,
            20,
            "agent001 ready in the metrics",
        )
        assert ready
        result = dial(cfg, sipp_workdir, "13900000077", hold_ms=10_000).wait(timeout=30)
    finally:
        sipp.stop_all([agent])
    assert result.outcomes == {"remote_bye": 1}, result.summary() + result.errors()
    seen = wait_until(
        lambda: (s := _samples(port)).get(("hotline_live_calls_total", (("outcome", "answered"),))) == 1 and s,
        20,
        "the answered call counted",
    )
    assert seen[("hotline_live_stasis_to_originate_seconds_count", ())] >= 1
    assert sum(v for (name, _), v in seen.items() if name == "hotline_live_ari_seconds_count") > 3
    (call_id,) = {r.call_id for r in proc.records() if r.verb == "CONNECT"}
    lines = [json.loads(line) for line in proc.output.read_text(errors="replace").splitlines() if line.startswith("{")]
    tagged = [line for line in lines if line.get("call_id") == call_id]
    assert tagged, lines[-10:]
    assert all(line["call_id"] == call_id for line in lines if call_id in line["message"] and "call_id" in line)
