"""Login, tokens, roles and permissions, users, masking and the audit log, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from console.models import ApiToken
from console.permissions import PERMISSIONS, mask_phone
from tests.integration.console.conftest import PASSWORD, login

HOME = {
    "division_code": "110108",
    "province": "北京市",
    "county": "海淀区",
    "detail": "中关村大街1号 502",
    "recipient": "王女士",
    "phone": "13800138000",
    "postcode": "100080",
}


def new_customer(client, headers, name="王女士", phones=("138 0013 8000",), address=HOME):
    response = client.post(
        "/api/customers", headers=headers, json={"name": name, "phones": list(phones), "address": address}
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_health_needs_no_login(client):
    response = client.get("/api/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/api/me", "/api/customers?phone=13800138000", "/api/users", "/api/callbacks"])
def test_without_a_token_the_answer_is_401(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get(path, headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_login_gives_a_token_stored_only_as_its_hash(client, users, engine):
    assert client.post("/api/login", json={"username": "agent", "password": "wrong password"}).status_code == 401
    assert client.post("/api/login", json={"username": "nobody", "password": PASSWORD}).status_code == 401
    response = client.post("/api/login", json={"username": "agent", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["access_token"]
    with engine.connect() as connection:
        stored = connection.execute(select(ApiToken.__table__.c.token_hash)).scalars().all()
    assert token not in stored and hashlib.sha256(token.encode()).hexdigest() in stored
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["username"] == "agent" and me["role"] == "agent"
    assert set(me["permissions"]) == PERMISSIONS["agent"] and "password_hash" not in me


def test_a_token_expires(client, users, clock):
    headers = login(client, "agent")
    clock.now += 13 * 3600
    assert client.get("/api/me", headers=headers).status_code == 401


@pytest.mark.parametrize(
    "role, method, path, body",
    [
        ("agent", "get", "/api/users", None),
        ("agent", "get", "/api/audit", None),
        ("agent", "get", "/api/reports/roi", None),
        ("agent", "get", "/api/airings", None),
        ("agent", "post", "/api/orders/O1/cancel", {"reason": "changed mind"}),
        ("agent", "get", "/api/callbacks?status=done", None),
        ("sup", "get", "/api/users", None),
        ("sup", "post", "/api/users", {"username": "x", "password": "long enough", "role": "agent"}),
        ("sup", "get", "/api/audit", None),
    ],
)
def test_an_action_without_its_permission_is_403(client, auth, role, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    response = getattr(client, method)(path, headers=auth[role], **kwargs)
    assert response.status_code == 403, response.text
    assert "lacks permission" in response.json()["detail"]


def test_admin_creates_lists_and_deactivates_users(client, auth):
    admin = auth["admin"]
    created = client.post(
        "/api/users", headers=admin, json={"username": "li.na", "password": "s3cret-enough", "role": "supervisor"}
    )
    assert created.status_code == 201 and created.json()["role"] == "supervisor"
    assert "password_hash" not in created.json()
    again = client.post(
        "/api/users", headers=admin, json={"username": "li.na", "password": "s3cret-enough", "role": "agent"}
    )
    assert again.status_code == 409
    assert (
        client.post(
            "/api/users", headers=admin, json={"username": "x", "password": "short", "role": "agent"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/users", headers=admin, json={"username": "y", "password": "long enough", "role": "boss"}
        ).status_code
        == 422
    )
    names = [u["username"] for u in client.get("/api/users", headers=admin).json()]
    assert names == ["admin", "sup", "agent", "agent2", "li.na"]

    agent_headers = auth["agent"]
    agent_id = next(u["id"] for u in client.get("/api/users", headers=admin).json() if u["username"] == "agent")
    response = client.patch(f"/api/users/{agent_id}", headers=admin, json={"active": False})
    assert response.status_code == 200 and response.json()["active"] is False
    assert client.get("/api/me", headers=agent_headers).status_code == 401  # the token is revoked
    assert client.post("/api/login", json={"username": "agent", "password": PASSWORD}).status_code == 401
    assert client.patch("/api/users/99999", headers=admin, json={"active": False}).status_code == 404
    admin_id = next(u["id"] for u in client.get("/api/users", headers=admin).json() if u["username"] == "admin")
    assert client.patch(f"/api/users/{admin_id}", headers=admin, json={"active": False}).status_code == 409
    assert client.patch(f"/api/users/{admin_id}", headers=admin, json={"role": "agent"}).status_code == 409


def test_agents_see_masked_numbers_and_supervisors_full_ones(client, auth):
    created = new_customer(client, auth["agent"])
    assert created["phones"][0]["number"] == "138****8000" and created["phones"][0]["e164"] is None
    assert created["addresses"][0]["phone"]["number"] == "138****8000"
    seen_by_agent = client.get(f"/api/customers/{created['id']}", headers=auth["agent"]).json()
    assert "13800138000" not in str(seen_by_agent) and "0013" not in str(seen_by_agent)
    seen_by_sup = client.get(f"/api/customers/{created['id']}", headers=auth["sup"]).json()
    assert seen_by_sup["phones"][0]["number"] == "138 0013 8000"
    assert seen_by_sup["phones"][0]["e164"] == "+8613800138000"
    assert mask_phone("010-6234 5678") == "010****5678" and mask_phone("") == ""


def test_every_read_and_change_of_customer_data_is_audited(client, auth, clock):
    customer = new_customer(client, auth["agent"])
    cid = customer["id"]
    client.get("/api/customers", params={"phone": "13800138000"}, headers=auth["agent"])
    client.get(f"/api/customers/{cid}", headers=auth["sup"])
    client.patch(f"/api/customers/{cid}", headers=auth["agent"], json={"notes": "prefers evenings"})
    client.get(f"/api/customers/{cid}/history", headers=auth["agent2"])
    response = client.get("/api/audit", params={"entity": "customer", "entity_id": cid}, headers=auth["admin"])
    assert response.status_code == 200
    rows = [(r["user"], r["action"], r["entity_id"]) for r in reversed(response.json())]
    assert rows == [
        ("agent", "customers.create", cid),
        ("agent", "customers.lookup", cid),
        ("sup", "customers.read", cid),
        ("agent", "customers.update", cid),
        ("agent2", "customers.history", cid),
    ]
    assert response.json()[1]["detail"] == "notes" and response.json()[0]["at"] == clock.now
    only_sup = client.get("/api/audit", params={"by": "sup"}, headers=auth["admin"]).json()
    assert [r["action"] for r in only_sup] == ["customers.read", "auth.login", "auth.login"]  # user, address
