"""Fixtures of the console tests: the app on the shared ``engine`` fixture (SQLite and PostgreSQL), a clock
the test moves, users of every role, and their bearer headers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from adapters.store.settings import StoreSettings
from console.accounts import SqlAccounts
from console.app import create_app
from console.settings import ConsoleSettings
from tests.integration.store.business_fixtures import T0

PASSWORD = "correct horse battery"
USERS = {"admin": "admin", "sup": "supervisor", "agent": "agent", "agent2": "agent"}


class Clock:
    def __init__(self, now: float = T0 + 3600) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(engine, clock):
    settings = ConsoleSettings(store=StoreSettings(database_url=engine.url.render_as_string(hide_password=False)))
    return create_app(settings, engine=engine, clock=clock)


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


def loop_engine(client: TestClient):
    """The app's async engine of the client's event loop (``console.on_loop``; None on SQLite)."""

    async def current():
        return client.app.state.loop_engines.current()  # type: ignore[attr-defined]

    return client.portal.call(current)  # type: ignore[union-attr]


def login(client, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def complaint_call(client, headers: dict[str, str], now: float, customer_id: str, summary: str) -> dict:
    """A complaint call of ``customer_id`` from 13800138000 (100 s up to ``now``), recorded through the API."""
    record = client.post(
        "/api/call-records",
        headers=headers,
        json={
            "call_id": "c1",
            "caller": "13800138000",
            "started_at": now - 100,
            "ended_at": now,
            "business_type": "complaint",
            "summary": summary,
            "customer_id": customer_id,
        },
    )
    assert record.status_code == 201, record.text
    return record.json()


@pytest.fixture
def users(engine, clock):
    accounts = SqlAccounts(engine)
    return {name: accounts.create_user(name, PASSWORD, role, clock.now) for name, role in USERS.items()}


@pytest.fixture
def auth(client, users) -> dict[str, dict[str, str]]:
    """Bearer headers by username: admin, sup (supervisor), agent, agent2."""
    return {name: login(client, name) for name in users}


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Real argon2, with the cheapest parameters it allows: the tests log in dozens of times."""
    from argon2 import PasswordHasher

    import console.accounts

    monkeypatch.setattr(console.accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
