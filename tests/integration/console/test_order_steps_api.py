"""The back office's order steps through the API (``POST /api/orders/{id}/steps``), on SQLite and PostgreSQL:
sort, pay, dispatch, deliver, return; 409 for a step the status does not allow, 422 with the core's reason,
403 for agents; every done step audited."""

from __future__ import annotations

from adapters.store.audit import SqlAudit
from adapters.store.catalog import SqlCatalog
from tests.integration.console.test_business_api import order_body
from tests.integration.store.business_fixtures import stocked_store


def step(client, headers, order_id: str, name: str, **extra):
    return client.post(f"/api/orders/{order_id}/steps", headers=headers, json={"step": name, **extra})


def test_an_order_is_sorted_paid_dispatched_and_returned_with_its_audit(client, auth, engine):
    _, customer = stocked_store(engine)
    order_id = client.post(
        "/api/orders", headers=auth["agent"], json=order_body(customer.customer_id, payment="prepaid")
    ).json()["id"]
    sup = auth["sup"]
    assert step(client, auth["agent"], order_id, "sort").status_code == 403
    assert step(client, sup, order_id, "dispatch").status_code == 409  # not sorted yet
    sorted_ = step(client, sup, order_id, "sort")
    assert sorted_.status_code == 200 and sorted_.json()["status"] == "sorted"
    unpaid = step(client, sup, order_id, "dispatch")
    assert unpaid.status_code == 422 and "not paid" in unpaid.json()["detail"]
    assert step(client, sup, order_id, "pay").status_code == 200
    assert step(client, sup, order_id, "dispatch").json()["status"] == "dispatched"
    assert step(client, sup, order_id, "return").status_code == 422  # a return needs its reason
    assert step(client, sup, order_id, "fly").status_code == 422
    before = SqlCatalog(engine).available("PAN-1")
    returned = step(client, sup, order_id, "return", reason="refused at the door", restock=True)
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    assert SqlCatalog(engine).available("PAN-1") == before + 2
    actions = [e.action for e in SqlAudit(engine).entries(user="sup") if e.action.startswith("orders.")]
    assert actions == ["orders.return", "orders.dispatch", "orders.pay", "orders.sort"]


def test_a_delivered_cash_order_is_paid(client, auth, engine):
    _, customer = stocked_store(engine)
    order_id = client.post("/api/orders", headers=auth["agent"], json=order_body(customer.customer_id)).json()["id"]
    for name in ("sort", "dispatch", "deliver"):
        answer = step(client, auth["sup"], order_id, name)
        assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "delivered" and answer.json()["paid_at"] is not None
