"""Hardening (issue 14): reads audited and every list a bounded page (item 6); tickets of absent agents
reach the customer (item 9); complaints go to real handlers (item 12); on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from adapters.store.audit import SqlAudit
from adapters.store.tickets import SqlTickets
from console.paging import MAX_LIMIT
from tests.integration.console.conftest import complaint_call
from tests.integration.console.test_auth_and_roles import new_customer
from tests.integration.console.test_business_api import _ticket
from tests.integration.store.business_fixtures import T0


def _complaint(client, auth, clock, customer_id):
    record = complaint_call(client, auth["agent"], clock.now, customer_id, "dented")
    response = client.post("/api/complaints", headers=auth["agent"], json={"record_id": record["id"]})
    assert response.status_code == 201, response.text
    return response.json()


def test_complaint_reads_and_full_number_callback_lists_are_audited(client, auth, engine, clock):
    customer = new_customer(client, auth["agent"])
    complaint = _complaint(client, auth, clock, customer["id"])
    assert client.get("/api/complaints", headers=auth["agent2"]).status_code == 200
    assert client.get(f"/api/complaints/{complaint['id']}", headers=auth["agent2"]).status_code == 200
    rows = SqlAudit(engine).entries(user="agent2", entity="customer", entity_id=customer["id"])
    assert [r.action for r in reversed(rows)] == ["complaints.list", "complaints.read"]
    assert complaint["id"] in rows[0].detail and complaint["id"] in rows[1].detail
    _ticket(engine, "cb-1", "13800138001")
    listed = client.get("/api/callbacks", params={"status": ["open"]}, headers=auth["sup"]).json()
    assert listed[0]["number"] == "13800138001"
    seen = SqlAudit(engine).entries(user="sup", entity="callback_ticket", entity_id="cb-1")
    assert [r.action for r in seen] == ["callbacks.list"]
    client.get("/api/callbacks", headers=auth["agent"])  # masked: nothing to audit
    assert SqlAudit(engine).entries(user="agent", entity="callback_ticket") == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/complaints",
        "/api/callbacks",
        "/api/airings",
        "/api/products",
        "/api/users",
        "/api/audit",
        "/api/audit/alerts",
        "/api/call-records?customer_id=C1",
        "/api/customers/C000001/history",
    ],
)
def test_every_list_refuses_a_page_over_the_maximum(client, auth, path):
    joined = "&" if "?" in path else "?"
    assert client.get(f"{path}{joined}limit={MAX_LIMIT + 1}", headers=auth["admin"]).status_code == 422
    assert client.get(f"{path}{joined}offset=-1", headers=auth["admin"]).status_code == 422


def test_lists_have_a_default_page_and_an_offset(client, auth, engine, clock):
    customer = new_customer(client, auth["agent"])
    for _ in range(3):
        _complaint(client, auth, clock, customer["id"])
        clock.now += 1
    first = client.get("/api/complaints", params={"limit": 2}, headers=auth["agent"]).json()
    rest = client.get("/api/complaints", params={"limit": 2, "offset": 2}, headers=auth["agent"]).json()
    assert len(first) == 2 and len(rest) == 1 and not {c["id"] for c in first} & {c["id"] for c in rest}
    history = client.get(
        f"/api/customers/{customer['id']}/history", params={"limit": 2, "offset": 1}, headers=auth["agent"]
    ).json()
    assert [h["call"]["started_at"] for h in history] == [clock.now - 3 - 99, clock.now - 3 - 100]  # 2nd and 3rd
    for i in range(105):
        _ticket(engine, f"many-{i:03d}", f"1390000{i:04d}", created_at=T0 + i)
    assert len(client.get("/api/callbacks", headers=auth["agent"]).json()) == 100


# --- item 9: stuck tickets --------------------------------------------------------------------------------


def test_a_supervisor_releases_or_reassigns_a_ticket_someone_else_holds(client, auth, engine):
    _ticket(engine, "cb-1", "13800138001")
    assert client.post("/api/callbacks/cb-1/claim", headers=auth["agent"]).status_code == 200
    assert client.post("/api/callbacks/cb-1/release", headers=auth["agent2"]).status_code == 409
    assert (
        client.post("/api/callbacks/cb-1/reassign", headers=auth["agent2"], json={"agent": "agent2"}).status_code == 403
    )
    moved = client.post("/api/callbacks/cb-1/reassign", headers=auth["sup"], json={"agent": "agent2"})
    assert moved.status_code == 200 and moved.json()["claimer"] == "agent2"
    assert client.post("/api/callbacks/cb-1/reassign", headers=auth["sup"], json={"agent": "ghost"}).status_code == 422
    done = client.post("/api/callbacks/cb-1/complete", headers=auth["agent2"], json={"outcome": "ordered"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    _ticket(engine, "cb-2", "13800138002")
    client.post("/api/callbacks/cb-2/claim", headers=auth["agent"])
    released = client.post("/api/callbacks/cb-2/release", headers=auth["sup"])
    assert released.status_code == 200 and released.json()["status"] == "open" and released.json()["claimer"] is None
    rows = SqlAudit(engine).entries(user="sup", entity="callback_ticket")
    assert [(r.action, r.detail) for r in reversed(rows)] == [
        ("callbacks.reassign", "from agent to agent2"),
        ("callbacks.release", "from agent"),
    ]


def test_deactivating_a_user_releases_their_tickets(client, auth, users, engine):
    for i in (1, 2):
        _ticket(engine, f"cb-{i}", f"1380013800{i}")
        assert client.post(f"/api/callbacks/cb-{i}/claim", headers=auth["agent"]).status_code == 200
    assert (
        client.patch(f"/api/users/{users['agent'].id}", headers=auth["admin"], json={"active": False}).status_code
        == 200
    )
    tickets = SqlTickets(engine)
    assert [(tickets.get(t).status, tickets.get(t).claimer) for t in ("cb-1", "cb-2")] == [("open", None)] * 2
    assert client.post("/api/callbacks/cb-1/claim", headers=auth["agent2"]).status_code == 200


def test_a_complaint_is_assigned_to_an_active_user_only(client, auth, clock):
    customer = new_customer(client, auth["agent"])
    path = f"/api/complaints/{_complaint(client, auth, clock, customer['id'])['id']}"
    nobody = client.patch(path, headers=auth["agent"], json={"status": "in_progress", "handler": "nobody"})
    assert nobody.status_code == 422 and "nobody" in nobody.json()["detail"]
    handed = client.patch(path, headers=auth["agent"], json={"status": "in_progress", "handler": "Agent2"})
    assert handed.status_code == 200 and handed.json()["handler"] == "agent2"
