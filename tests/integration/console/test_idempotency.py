"""Item 5 of the hardening issue: each change commits with its audit row, a creating request may carry an
``Idempotency-Key``, and the same order resent for the same call is stored once (SQLite and PostgreSQL)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.helpers import race
from tests.integration.console.test_business_api import order_body
from tests.integration.store.business_fixtures import stocked_store


def _count(engine, sql: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def test_the_same_idempotency_key_places_one_order_and_replays_its_answer(client, auth, engine):
    _, customer = stocked_store(engine, units=10)
    body, key = order_body(customer.customer_id, call_id="call-k1"), {"Idempotency-Key": "k-0001"}
    first = client.post("/api/orders", json=body, headers={**auth["agent"], **key})
    again = client.post("/api/orders", json=body, headers={**auth["agent"], **key})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert _count(engine, "SELECT count(*) FROM customer_order") == 1
    assert _count(engine, "SELECT count(*) FROM audit_log WHERE action = 'orders.create'") == 1
    other = client.post("/api/orders", json={**body, "call_id": "call-k2"}, headers={**auth["agent"], **key})
    assert other.status_code == 422 and other.json()["error"] == "IdempotencyKeyReused"


def test_concurrent_requests_under_one_key_make_one_order(client, auth, engine):
    _, customer = stocked_store(engine, units=50)
    headers = {**auth["agent"], "Idempotency-Key": "k-race"}
    answers = race(
        8,
        lambda i: client.post(
            "/api/orders", json=order_body(customer.customer_id, quantity=1, call_id="call-race"), headers=headers
        ),
    )
    assert {a.status_code for a in answers} <= {201, 409}, [a.text for a in answers]
    assert _count(engine, "SELECT count(*) FROM customer_order") == 1
    assert _count(engine, "SELECT count(*) FROM audit_log WHERE action = 'orders.create'") == 1


def test_an_order_resent_for_the_same_call_is_stored_once(client, auth, engine):
    _, customer = stocked_store(engine, units=10)
    body = order_body(customer.customer_id, quantity=2, call_id="call-resent")
    first = client.post("/api/orders", json=body, headers=auth["agent"])
    again = client.post("/api/orders", json=body, headers=auth["agent"])
    assert first.status_code == again.status_code == 201 and again.json()["id"] == first.json()["id"]
    different = client.post(
        "/api/orders", json={**body, "lines": [{"sku": "PAN-1", "quantity": 1}]}, headers=auth["agent"]
    )
    assert different.status_code == 201 and different.json()["id"] != first.json()["id"]
    assert _count(engine, "SELECT count(*) FROM customer_order") == 2
    assert _count(engine, "SELECT sum(quantity) FROM stock_hold") == 3


def test_a_change_whose_audit_row_fails_is_not_stored(app, client, auth, engine):
    """The audit row is written in the change's transaction: when it cannot be written, nothing is."""
    _, customer = stocked_store(engine, units=10)
    with engine.begin() as connection:  # make every audit insert fail
        connection.execute(text("CREATE TABLE audit_blocker (x INTEGER)"))
        if engine.dialect.name == "sqlite":
            connection.execute(
                text(
                    "CREATE TRIGGER no_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION no_audit() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'audit refused'; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text("CREATE TRIGGER no_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION no_audit()")
            )
    with TestClient(app, raise_server_exceptions=False) as plain:
        refused = plain.post("/api/orders", json=order_body(customer.customer_id), headers=auth["agent"])
    assert refused.status_code >= 400 and refused.headers["content-type"] == "application/json"
    assert _count(engine, "SELECT count(*) FROM customer_order") == 0
    assert _count(engine, "SELECT count(*) FROM stock_hold") == 0


def test_a_cancel_the_client_is_told_failed_was_not_carried_out(client, auth, engine):
    """A NUL in the reason: PostgreSQL refuses the text. Whatever the answer, it is the truth: refused and
    the order still placed with its hold and no audit row, or accepted and cancelled with its audit row."""
    _, customer = stocked_store(engine, units=10)
    order = client.post("/api/orders", json=order_body(customer.customer_id), headers=auth["agent"]).json()
    answer = client.post(f"/api/orders/{order['id']}/cancel", json={"reason": "a\u0000b"}, headers=auth["sup"])
    status = client.get(f"/api/orders/{order['id']}", headers=auth["sup"]).json()["status"]
    audited = _count(engine, "SELECT count(*) FROM audit_log WHERE action = 'orders.cancel'")
    if answer.status_code == 422:
        assert (status, audited, _count(engine, "SELECT sum(quantity) FROM stock_hold")) == ("placed", 0, 2)
    else:
        assert answer.status_code == 200 and (status, audited) == ("cancelled", 1)
    if engine.dialect.name == "postgresql":
        assert answer.status_code == 422
