"""Item 13 of the hardening issue: a console request takes one connection from the pool, whatever it does --
its reads, the use case's unit of work and the audit rows -- and on PostgreSQL its work and audit rows are one
transaction. A token check that misses the cache reads on a connection of its own, given back before the
endpoint queues for a worker thread (so a queued request holds none); on the event loop (PostgreSQL's hot
routes, ``console.on_loop``) nothing queues, and the endpoint goes on on the token check's connection. Counted with SQLAlchemy's pool and
connection events on both back ends."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from adapters.store.audit import AUDIT
from adapters.store.settings import StoreSettings
from adapters.store.tickets import SqlTickets
from console.app import create_app
from console.settings import ConsoleSettings
from core.tickets import Ticket
from tests.integration.console.conftest import login, loop_engine
from tests.integration.console.test_business_api import order_body
from tests.integration.store.business_fixtures import T0, stocked_store


class Counted:
    """Pool checkouts and root transactions begun on the app's engines, from a ``mark()`` on: the thread pool's
    and, on PostgreSQL, the event loop's (``console.on_loop``: the hot routes run on it)."""

    def __init__(self, client: TestClient, engine) -> None:
        self.checkouts = self.begins = 0
        on_loop = loop_engine(client)
        for counted in [engine] + ([on_loop.sync_engine] if on_loop is not None else []):
            event.listen(counted, "checkout", self._checkout)
            event.listen(counted, "begin", self._begin)

    def _checkout(self, *_args) -> None:
        self.checkouts += 1

    def _begin(self, *_args) -> None:
        self.begins += 1

    def mark(self) -> None:
        self.checkouts = self.begins = 0


@pytest.fixture(params=[0.0, 3600.0], ids=["token-checked", "token-cached"])
def uncached(request, engine, clock, users):
    """A client of an app that checks the token in the database on every request (or trusts its cache)."""
    url = engine.url.render_as_string(hide_password=False)
    settings = ConsoleSettings(store=StoreSettings(database_url=url), token_cache_ttl=request.param)
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
        client.token_checked = request.param == 0  # type: ignore[attr-defined]
        yield client


ON_LOOP = {"lookup", "lookup by body", "order", "claim", "complete"}


def test_each_workflow_step_takes_one_connection_and_on_postgresql_one_transaction(uncached, engine, database):
    backend, _ = database
    checks = 1 if uncached.token_checked else 0
    _, customer = stocked_store(engine, units=10)
    SqlTickets(engine).create(Ticket("cb-1", "call-cb-1", "13900139000", "normal", "4008001234", "A1", T0))
    agent = login(uncached, "agent")
    assert uncached.get("/api/me", headers=agent).status_code == 200  # the token in the cache, if there is one
    counted = Counted(uncached, engine)
    steps = [
        ("lookup", lambda: uncached.get("/api/customers", params={"phone": "138-0013-8000"}, headers=agent)),
        (
            "lookup by body",
            lambda: uncached.post("/api/customers/lookup", json={"phone": "13800138000"}, headers=agent),
        ),
        ("customer", lambda: uncached.get(f"/api/customers/{customer.customer_id}", headers=agent)),
        ("order", lambda: uncached.post("/api/orders", json=order_body(customer.customer_id), headers=agent)),
        ("claim", lambda: uncached.post("/api/callbacks/cb-1/claim", headers=agent)),
        ("complete", lambda: uncached.post("/api/callbacks/cb-1/complete", json={"outcome": "ordered"}, headers=agent)),
        ("callback list", lambda: uncached.get("/api/callbacks", headers=agent)),
    ]
    for name, send in steps:
        counted.mark()
        response = send()
        assert response.status_code in (200, 201), (name, response.text)
        # on the event loop (PostgreSQL's hot routes) the token check keeps its connection for the endpoint
        extra = 0 if backend == "postgresql" and name in ON_LOOP else checks
        assert counted.checkouts == 1 + extra, f"{name}: {counted.checkouts} connections taken from the pool"
        # SQLite: a read's transaction ends before the write lock is taken (BEGIN IMMEDIATE), so at most two
        expected = extra + 1 if backend == "postgresql" else extra + 2
        assert counted.begins <= expected if backend == "sqlite" else counted.begins == expected, (name, counted)
    with engine.connect() as connection:
        actions = connection.execute(select(AUDIT.c.action).where(AUDIT.c.user == "agent")).scalars().all()
    assert {"customers.lookup", "customers.read", "orders.create", "callbacks.claim", "callbacks.complete"} <= set(
        actions
    )


def test_a_refused_change_and_its_audit_row_take_one_connection(uncached, engine):
    """The update is refused (a customer keeps one number), its audit row is written on the same connection."""
    _, customer = stocked_store(engine, units=1)
    agent = login(uncached, "agent")
    assert uncached.get("/api/me", headers=agent).status_code == 200
    counted = Counted(uncached, engine)
    refused = uncached.patch(
        f"/api/customers/{customer.customer_id}", json={"remove_phones": ["138****8000"]}, headers=agent
    )
    assert refused.status_code == 422, refused.text
    assert counted.checkouts == 1 + (1 if uncached.token_checked else 0)
    with engine.connect() as connection:
        actions = connection.execute(select(AUDIT.c.action).where(AUDIT.c.user == "agent")).scalars().all()
    assert "customers.update_refused" in actions
