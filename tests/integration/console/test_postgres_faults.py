"""Item 11 of the hardening issue, on real throwaway PostgreSQL clusters: the console under database faults.

A stopped server answers JSON 503 with Retry-After (liveness stays up, readiness says the database is gone);
a held table lock is waited for at most ``lock_timeout`` and never stops requests that do not need that table;
a connection limit shared by two workers is not exceeded when the pool is sized from it; a restart mid-burst
loses no acknowledged order, and resending every order the client saw fail makes no second one.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from adapters.store.migrate import upgrade
from adapters.store.settings import StoreSettings, make_engine, normalise_url
from console.accounts import SqlAccounts
from console.app import create_app
from console.settings import ConsoleSettings
from tests.helpers import race, wait_until
from tests.integration.conftest import PG, database_url
from tests.integration.console.conftest import PASSWORD, login
from tests.integration.console.test_business_api import order_body
from tests.integration.store.business_fixtures import T0, stocked_store

pytestmark = PG


def _app(url: str, **store) -> tuple:
    settings = ConsoleSettings(store=StoreSettings(database_url=url, **store), retry_after=3)
    app = create_app(settings, clock=lambda: T0 + 3600)
    return app, settings


def _seeded(url: str, units: int = 100):
    engine = make_engine(url)
    try:
        _, customer = stocked_store(engine, units=units)
        SqlAccounts(engine).create_user("agent", PASSWORD, "agent", T0)
    finally:
        engine.dispose()
    return customer


def _count(url: str, sql: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def test_database_down_answers_json_503_with_retry_after_and_readiness_tells(restartable_postgres):
    server = restartable_postgres
    customer = _seeded(server.url)
    app, _ = _app(server.url, connect_timeout=1)
    with TestClient(app, raise_server_exceptions=False) as client:
        agent = login(client, "agent")
        assert client.get("/api/health/ready").json()["database"] == "ok"
        server.stop()
        down = client.post("/api/orders", json=order_body(customer.customer_id), headers=agent)
        assert down.status_code == 503 and down.headers["retry-after"] == "3", down.text
        assert down.headers["content-type"] == "application/json" and down.json()["error"] == "DatabaseUnavailable"
        read = client.get(f"/api/customers/{customer.customer_id}", headers=agent)
        assert read.status_code == 503 and "retry-after" in read.headers
        assert client.get("/api/health").json() == {"status": "ok"}  # liveness: the process is fine
        ready = client.get("/api/health/ready")
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        server.start()
        wait_until(lambda: client.get("/api/health/ready").status_code == 200, 30, "readiness after the restart")
        placed = wait_until(
            lambda: (
                (r := client.post("/api/orders", json=order_body(customer.customer_id), headers=agent)).status_code
                == 201
                and r
            ),
            30,
            "an order",
        )
        assert placed.json()["status"] == "placed"


def test_a_held_table_lock_is_waited_for_briefly_and_stops_nothing_else(fresh_postgres):
    upgrade_url(fresh_postgres)
    customer = _seeded(fresh_postgres)
    app, _ = _app(fresh_postgres, lock_timeout=0.5, pool_size=2, pool_overflow=0, pool_timeout=2)
    locker = create_engine(fresh_postgres)
    with TestClient(app, raise_server_exceptions=False) as client, locker.connect() as held:
        agent = login(client, "agent")
        transaction = held.begin()
        held.execute(text("LOCK TABLE customer_order IN ACCESS EXCLUSIVE MODE"))
        try:
            answers = race(
                6,
                lambda i: client.post(
                    "/api/orders", json=order_body(customer.customer_id, call_id=f"lock-{i}"), headers=agent
                ),
            )
            assert {a.status_code for a in answers} == {503}, [a.text for a in answers]
            assert all(a.headers["retry-after"] == "3" for a in answers)
            # the pool is not left full: requests that do not need the locked table answer
            assert client.get("/api/me", headers=agent).status_code == 200
            assert client.get(f"/api/customers/{customer.customer_id}", headers=agent).status_code == 200
            assert client.get("/api/health").status_code == 200
        finally:
            transaction.rollback()
        assert client.post("/api/orders", json=order_body(customer.customer_id), headers=agent).status_code == 201
    locker.dispose()


def upgrade_url(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


@pytest.fixture
def limited_database(postgres_server):
    """A database owned by a role that may hold at most 4 connections (superusers ignore limits)."""
    role, name = "clerk_" + uuid.uuid4().hex[:8], "hotline_limit_" + uuid.uuid4().hex[:8]
    admin = create_engine(normalise_url(postgres_server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 4")
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" OWNER {role}')
    base = normalise_url(database_url(postgres_server, name))
    url = base.replace("//hotline@", f"//{role}@", 1) if "//hotline@" in base else base
    upgrade_url(url)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        admin.dispose()


def test_two_workers_under_a_connection_limit_share_it_and_every_request_succeeds(limited_database):
    url = limited_database
    assert "clerk_" in url
    customer = _seeded(url, units=1000)
    # the pools sized from the limit: 4 connections for 2 workers with two pools each (threads and event loop),
    # one each (the readiness probe needs none here)
    store = StoreSettings(database_url=url, max_connections=4, pool_timeout=30).for_processes(2)
    assert store.pool_size + store.pool_overflow == 1
    workers = [create_app(ConsoleSettings(store=store), clock=lambda: T0 + 3600) for _ in range(2)]
    with TestClient(workers[0]) as first, TestClient(workers[1]) as second:
        clients = (first, second)
        agents = [login(client, "agent") for client in clients]
        answers = race(
            24,
            lambda i: clients[i % 2].post(
                "/api/orders",
                json=order_body(customer.customer_id, quantity=1, call_id=f"limit-{i}"),
                headers=agents[i % 2],
            ),
        )
    assert [a.status_code for a in answers] == [201] * 24, [a.text for a in answers if a.status_code != 201][:3]
    assert _count(url, "SELECT count(*) FROM customer_order") == 24


def test_a_restart_mid_burst_loses_no_acknowledged_order_and_resending_makes_none_twice(restartable_postgres):
    server = restartable_postgres
    customer = _seeded(server.url, units=1000)
    app, _ = _app(server.url, connect_timeout=1, pool_timeout=5)
    bodies = [order_body(customer.customer_id, quantity=1, call_id=f"burst-{i}") for i in range(60)]
    with TestClient(app, raise_server_exceptions=False) as client:
        agent = login(client, "agent")
        answers: dict[int, int] = {}
        restarted = threading.Event()

        def place(i: int) -> None:
            answers[i] = client.post("/api/orders", json=bodies[i], headers=agent).status_code

        def burst(first: int) -> None:
            for i in range(first, len(bodies), 4):
                place(i)

        def restart() -> None:
            wait_until(lambda: len(answers) >= 12, 120, "the burst under way")
            server.stop()
            server.start()
            restarted.set()

        threads = [threading.Thread(target=burst, args=(first,)) for first in range(4)]
        threads.append(threading.Thread(target=restart))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        assert restarted.is_set()
        assert set(answers.values()) <= {201, 503}, answers
        acknowledged = {bodies[i]["call_id"] for i, status in answers.items() if status == 201}
        with make_engine(server.url).connect() as connection:
            stored = {row[0] for row in connection.execute(text("SELECT call_id FROM customer_order"))}
        assert acknowledged <= stored
        for i, status in answers.items():  # the client resends what it saw fail, as often as it takes
            if status != 201:
                wait_until(
                    lambda i=i: client.post("/api/orders", json=bodies[i], headers=agent).status_code == 201,
                    30,
                    f"order {i} accepted on resend",
                )
    assert _count(server.url, "SELECT count(*) FROM customer_order") == len(bodies)
    assert _count(server.url, "SELECT count(DISTINCT call_id) FROM customer_order") == len(bodies)
