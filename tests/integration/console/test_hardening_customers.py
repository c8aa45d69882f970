"""Hardening (issue 14, item 1, item 6's lookups and item 12's lookup by POST): a masked number cannot be
recovered by guessing, every lookup is audited with what was searched, lookups are rate-limited with an alert
to supervisors; on SQLite and PostgreSQL."""

from __future__ import annotations

import logging

from adapters.store.audit import SqlAudit
from console.guards import PhoneMaskingFilter
from tests.integration.console.test_auth_and_roles import new_customer


def _two_numbers(client, auth):
    return new_customer(client, auth["agent"], phones=["13800138000", "13900000004"])


def test_removing_a_guessed_number_answers_the_same_right_or_wrong(client, auth, engine):
    customer = _two_numbers(client, auth)
    url = f"/api/customers/{customer['id']}"
    solo = new_customer(client, auth["agent"], name="李先生", phones=["13700000004"])
    answers = set()
    for target, guess in (
        (customer, "13900000004"),
        (customer, "13900000005"),
        (solo, "13700000004"),
        (solo, "13700000009"),
    ):
        response = client.patch(
            f"/api/customers/{target['id']}", headers=auth["agent"], json={"remove_phones": [guess]}
        )
        assert response.status_code == 422
        answers.add(
            response.json()["detail"]
            .replace(guess, "GUESS")
            .replace(target["id"], "ID")
            .replace("137****0004", "SHOWN")
            .replace("138****8000, 139****0004", "SHOWN")
        )
    assert len(answers) == 1, answers  # nothing tells a right guess from a wrong one
    refused = SqlAudit(engine).entries(entity="customer", entity_id=customer["id"], action="customers.update_refused")
    assert len(refused) == 2 and all(r.user == "agent" for r in refused)
    removed = client.patch(url, headers=auth["agent"], json={"remove_phones": ["139****0004"]})
    assert removed.status_code == 200 and [p["number"] for p in removed.json()["phones"]] == ["138****8000"]
    by_sup = client.patch(url, headers=auth["sup"], json={"add_phones": ["13900000004"]})
    assert by_sup.status_code == 200
    assert client.patch(url, headers=auth["sup"], json={"remove_phones": ["139 0000 0004"]}).status_code == 200


def test_every_lookup_hit_or_miss_is_audited_with_the_number(client, auth, engine):
    customer = new_customer(client, auth["agent"])
    hit = client.post("/api/customers/lookup", headers=auth["agent"], json={"phone": "138 0013 8000"})
    assert [c["id"] for c in hit.json()] == [customer["id"]]
    assert client.get("/api/customers", params={"phone": "13800000002"}, headers=auth["agent"]).json() == []
    assert client.post("/api/customers/lookup", headers=auth["agent"], json={"phone": "12"}).status_code == 422
    rows = SqlAudit(engine).entries(entity="phone", user="agent")
    assert [(r.action, r.entity_id) for r in reversed(rows)] == [
        ("customers.lookup", "+8613800138000"),
        ("customers.lookup", "+8613800000002"),
        ("customers.lookup", "12"),
    ]
    assert rows[1].detail.startswith("found 0") and rows[2].detail == "found 1: " + customer["id"]


def test_lookups_past_the_limit_answer_429_and_alert_the_supervisors(client, auth, app, clock):
    limit = app.state.settings.lookups_per_minute
    codes = [
        client.post("/api/customers/lookup", headers=auth["agent"], json={"phone": f"138{i:04d}0002"}).status_code
        for i in range(limit + 5)
    ]
    assert codes == [200] * limit + [429] * 5
    assert (
        client.post("/api/customers/lookup", headers=auth["agent2"], json={"phone": "13800000002"}).status_code == 200
    )
    alerts = client.get("/api/audit/alerts", headers=auth["sup"])
    assert alerts.status_code == 200
    assert [(a["entity_id"], a["action"]) for a in alerts.json()] == [("agent", "security.alert")]  # one, not five
    assert client.get("/api/audit/alerts", headers=auth["agent"]).status_code == 403
    clock.now += 61
    assert client.post("/api/customers/lookup", headers=auth["agent"], json={"phone": "13800000002"}).status_code == 200


def test_the_access_log_masks_numbers_in_urls():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/api/customers?phone=%2B86+138+0013+8000&limit=5", "1.1", 200),
        None,
    )
    PhoneMaskingFilter().filter(record)
    assert "138****8000" in record.getMessage() and "0013" not in record.getMessage()
