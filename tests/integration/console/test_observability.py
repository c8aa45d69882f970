"""Issue 14, item 14 (console side) and the health split of item 11: /metrics, the JSON access line,
liveness and readiness."""

from __future__ import annotations

import json
import logging

from prometheus_client.parser import text_string_to_metric_families

from adapters.json_logs import JsonLines


def test_metrics_count_requests_by_route_template_and_show_the_pool(client, auth):
    client.get("/api/customers/C404", headers=auth["agent"])
    client.get("/api/customers/C405", headers=auth["agent"])
    text = client.get("/metrics").text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    key = (
        "hotline_http_request_seconds_count",
        (("method", "GET"), ("route", "/api/customers/{customer_id}"), ("status", "404")),
    )
    assert samples[key] >= 2  # one label per route, not per customer id
    assert ("hotline_db_pool_connections", (("state", "checked_out"),)) in samples


def test_each_request_is_one_json_line_without_its_query(client, auth, caplog):
    handler_format = JsonLines()
    with caplog.at_level(logging.INFO, logger="hotline.access"):
        client.get(
            "/api/customers", params={"phone": "13800138000"}, headers={**auth["agent"], "X-Request-Id": "req-42"}
        )
    lines = [json.loads(handler_format.format(r)) for r in caplog.records if r.name == "hotline.access"]
    line = next(line for line in lines if line.get("request_id") == "req-42")
    assert (line["method"], line["route"], line["status"]) == ("GET", "/api/customers", 200)
    assert "13800138000" not in json.dumps(lines) and line["ms"] >= 0


def test_liveness_and_readiness(client):
    assert client.get("/api/health").json() == {"status": "ok"}
    ready = client.get("/api/health/ready")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
