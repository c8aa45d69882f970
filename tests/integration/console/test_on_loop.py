"""Item 13 of the hardening issue: the agents' hot routes (screen pop, order, claim, complete, release) run on
the event loop on PostgreSQL, on the async driver, with no worker thread; on SQLite, and every other route, in
the thread pool (``console.on_loop``). A request waiting for a held row lock there holds up no other request of
the worker. Every SQL statement is traced to the engine and the thread it ran on."""

from __future__ import annotations

import threading
from contextlib import AsyncExitStack
from unittest import mock

import fastapi.routing
import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from adapters.store.settings import StoreSettings, make_engine
from adapters.store.tickets import SqlTickets
from console.app import create_app
from console.settings import ConsoleSettings
from core.tickets import Ticket
from tests.helpers import wait_until
from tests.integration.console.conftest import login, loop_engine
from tests.integration.console.test_business_api import order_body
from tests.integration.store.business_fixtures import T0, stocked_store


class Traced:
    """Each SQL statement's engine ("loop" or "threads") and whether it ran on the event loop's thread."""

    def __init__(self, client: TestClient, engine) -> None:
        self.loop_thread = client.portal.call(threading.get_ident)  # type: ignore[union-attr]
        self.statements: list[tuple[str, bool]] = []
        on_loop = loop_engine(client)
        self.engines = {"threads": engine} | ({"loop": on_loop.sync_engine} if on_loop is not None else {})
        for name, traced in self.engines.items():
            event.listen(traced, "before_cursor_execute", self._record(name))

    def _record(self, name: str):
        def record(*_args) -> None:
            self.statements.append((name, threading.get_ident() == self.loop_thread))

        return record

    def of(self, send) -> set[tuple[str, bool]]:
        self.statements = []
        response = send()
        assert response.status_code in (200, 201), response.text
        assert self.statements, "the request ran no statement"
        return set(self.statements)


def test_the_hot_routes_run_on_the_event_loop_on_postgresql_and_in_worker_threads_on_sqlite(
    client, engine, database, users
):
    backend, _ = database
    _, customer = stocked_store(engine, units=10)
    for ticket, number in (("cb-1", "13900139000"), ("cb-2", "13900139001")):
        SqlTickets(engine).create(Ticket(ticket, f"call-{ticket}", number, "normal", "4008001234", "A1", T0))
    agent = login(client, "agent")
    traced = Traced(client, engine)
    hot = {
        "screen pop": lambda: client.post("/api/customers/lookup", json={"phone": "138-0013-8000"}, headers=agent),
        "screen pop by URL": lambda: client.get("/api/customers", params={"phone": "13800138000"}, headers=agent),
        "order": lambda: client.post("/api/orders", json=order_body(customer.customer_id), headers=agent),
        "claim": lambda: client.post("/api/callbacks/cb-1/claim", headers=agent),
        "complete": lambda: client.post("/api/callbacks/cb-1/complete", json={"outcome": "ordered"}, headers=agent),
        "claim another": lambda: client.post("/api/callbacks/cb-2/claim", headers=agent),
        "release": lambda: client.post("/api/callbacks/cb-2/release", headers=agent),
    }
    expected = {("loop", True)} if backend == "postgresql" else {("threads", False)}
    for name, send in hot.items():
        assert traced.of(send) == expected, name
    # a route that is not marked runs in the thread pool on either back end
    other = traced.of(lambda: client.get(f"/api/customers/{customer.customer_id}", headers=agent))
    assert other == {("threads", False)}


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_an_order_waiting_for_a_held_row_lock_holds_up_no_other_request_of_the_worker(engine, users, clock):
    """One event loop serves every request here (the test client's); the order waits for the product's row
    lock, held by another session, while a claim and the agent's own page are answered."""
    _, customer = stocked_store(engine, units=10)
    SqlTickets(engine).create(Ticket("cb-1", "call-cb-1", "13900139000", "normal", "4008001234", "A1", T0))
    url = engine.url.render_as_string(hide_password=False)
    settings = ConsoleSettings(store=StoreSettings(database_url=url, lock_timeout=300, statement_timeout=600))
    holder = make_engine(url)
    answers: dict[str, int] = {}
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
        agent = login(client, "agent")
        with holder.connect() as held, holder.connect() as watch:
            # NO KEY UPDATE, as an order's own lock: the order's lines may still reference the row meanwhile
            held.execute(text("SELECT sku FROM product WHERE sku = 'PAN-1' FOR NO KEY UPDATE"))
            watch.execution_options(isolation_level="AUTOCOMMIT")  # a fresh pg_stat_activity each time

            def place() -> None:
                response = client.post("/api/orders", json=order_body(customer.customer_id), headers=agent)
                answers["order"] = response.status_code

            def waiting() -> int:
                query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = :db"
                return watch.execute(text(query), {"db": engine.url.database}).scalar_one()

            ordering = threading.Thread(target=place)
            ordering.start()
            wait_until(lambda: waiting() == 1, 120, "the order waiting for the lock")
            claimed = client.post("/api/callbacks/cb-1/claim", headers=agent)
            me = client.get("/api/me", headers=agent)
            assert (claimed.status_code, me.status_code) == (200, 200), (claimed.text, me.text)
            assert "order" not in answers and waiting() == 1  # the order still waits
            held.rollback()
        ordering.join(120)
    holder.dispose()
    assert answers == {"order": 201}


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_an_order_that_waits_for_the_products_lock_too_long_answers_503_and_stores_nothing(engine, users, clock):
    """The lock and the stock read go to the server together (a pipeline): when the lock is not granted within
    ``lock_timeout``, the agent is told to retry (503) as for any statement, nothing of the order is kept, and
    the connection serves the next order."""
    _, customer = stocked_store(engine, units=10)
    url = engine.url.render_as_string(hide_password=False)
    settings = ConsoleSettings(store=StoreSettings(database_url=url, lock_timeout=0.5, pool_size=1, pool_overflow=0))
    holder = make_engine(url)
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
        agent = login(client, "agent")
        with holder.connect() as held:
            held.execute(text("SELECT sku FROM product WHERE sku = 'PAN-1' FOR NO KEY UPDATE"))
            refused = client.post("/api/orders", json=order_body(customer.customer_id), headers=agent)
            held.rollback()
        assert refused.status_code == 503 and refused.headers["retry-after"], refused.text
        assert refused.json()["error"] == "DatabaseUnavailable"
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM customer_order")).scalar_one() == 0
        placed = client.post("/api/orders", json=order_body(customer.customer_id), headers=agent)
        assert placed.status_code == 201, placed.text
    holder.dispose()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_worker_opens_its_whole_event_loop_pool_at_start_up_and_keeps_it_through_a_surge(engine, clock, users):
    """The first surge after a restart waits for no connection: the loop's pool (its size and overflow) is open
    before it. A surge then opens no connection and closes none (a new server process for every connection
    given back beyond the pool's size cost each request of the worker)."""
    url = engine.url.render_as_string(hide_password=False)
    settings = ConsoleSettings(store=StoreSettings(database_url=url, pool_size=3, pool_overflow=2))
    with TestClient(create_app(settings, engine=engine, clock=clock, serving=True)) as client:
        pool = loop_engine(client).sync_engine.pool
        assert (pool.checkedin(), pool.checkedout()) == (5, 0)
        opened, closed = [], []
        event.listen(pool, "connect", lambda *_: opened.append(1))
        event.listen(pool, "close", lambda *_: closed.append(1))
        agent = login(client, "agent")
        pops: list[int] = []

        def pop() -> None:
            found = client.post("/api/customers/lookup", json={"phone": "138-0013-8000"}, headers=agent)
            pops.append(found.status_code)

        surge = [threading.Thread(target=pop) for _ in range(12)]
        for thread in surge:
            thread.start()
        for thread in surge:
            thread.join(120)
        assert pops == [200] * 12
        assert (opened, closed) == ([], [])
        assert (pool.checkedin(), pool.checkedout()) == (5, 0)


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, bool]]:
    """Each statement psycopg's async driver sends (the event loop's): its SQL, and whether it went in a
    pipeline (in one round trip with the statements around it)."""
    statements: list[tuple[str, bool]] = []

    def recording(method):
        async def record(cursor, query, *args, **kwargs):
            pipelined = cursor.connection.pgconn.pipeline_status != psycopg.pq.PipelineStatus.OFF
            statements.append((str(query), pipelined))
            return await method(cursor, query, *args, **kwargs)

        return record

    for name in ("execute", "executemany"):
        monkeypatch.setattr(psycopg.AsyncCursor, name, recording(getattr(psycopg.AsyncCursor, name)))
    return statements


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_an_order_locks_its_products_last_after_its_audit_row_and_reads_the_stock_in_the_same_round_trip(
    client, engine, users, sent
):
    """Under a surge every order waits for the same product rows: they are locked as the unit commits, after
    the order's rows and its audit row, all of them sent with the lock and the stock read in one round trip
    (a pipeline), and only reads run between the lock and the commit."""
    _, customer = stocked_store(engine, units=10)
    agent = login(client, "agent")
    ordered = client.post("/api/orders", json=order_body(customer.customer_id), headers=agent)
    assert ordered.status_code == 201, ordered.text
    locked = next(i for i, (sql, _) in enumerate(sent) if "FOR NO KEY UPDATE" in sql)
    audited = next(i for i, (sql, _) in enumerate(sent) if sql.startswith("INSERT INTO audit_log"))
    assert audited < locked
    assert all(sql.lstrip().startswith("SELECT") for sql, _ in sent[locked:]), sent[locked:]
    (_, lock_pipelined), (stock_read, read_pipelined) = sent[locked : locked + 2]
    assert "stock_hold" in stock_read and lock_pipelined and read_pipelined, sent[locked:]
    written = next(i for i, (sql, _) in enumerate(sent) if sql.startswith("INSERT INTO customer_order"))
    together = sent[written : locked + 2]
    assert {sql.split("(")[0].strip() for sql, _ in together} >= {
        "INSERT INTO customer_order",
        "INSERT INTO order_line",
        "INSERT INTO stock_hold",
        "INSERT INTO event_log",
        "INSERT INTO audit_log",
    }
    assert all(pipelined for _, pipelined in together), together


@pytest.mark.parametrize("serving", [True, False])
def test_a_serving_worker_sets_up_every_route_before_its_first_request(engine, clock, users, serving):
    """FastAPI sets up an included router's routes (their dependencies and validators) when a request first
    walks them: 20-35 ms of a worker's first screen pop, order and claim. A ``hotline serve`` worker does it at
    start-up; an app that is not serving (a test's) still does it at first use, which shows the check sees it."""
    url = engine.url.render_as_string(hide_password=False)
    settings = ConsoleSettings(store=StoreSettings(database_url=url))
    with TestClient(create_app(settings, engine=engine, clock=clock, serving=serving)) as client:
        with mock.patch.object(fastapi.routing, "get_dependant", wraps=fastapi.routing.get_dependant) as set_up:
            agent = login(client, "agent")
            found = client.post("/api/customers/lookup", json={"phone": "138-0013-8000"}, headers=agent)
            tickets = client.get("/api/callbacks", headers=agent)
        assert (found.status_code, tickets.status_code) == (200, 200), (found.text, tickets.text)
        assert (set_up.call_count == 0) is serving, set_up.call_count


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_the_agents_hot_routes_wait_for_the_database_few_times(engine, users, clock, tmp_path):
    """On a busy event loop every wait for the database is a wait for the request's turn as well, so a
    request's latency grows with its round trips (issue 14, item 13). Counted on the wire, in libpq's trace
    of the worker's one connection: each Sync (the end of a statement, or of statements sent together) and
    each simple Query (BEGIN) is one wait for the server. What is written and not read back goes with the
    next statement that must wait: the audit rows and an order's rows with the SKUs' lock and the stock read,
    a claim's audit row with its COMMIT."""
    _, customer = stocked_store(engine, units=10)
    for ticket, number in (("cb-1", "13900139000"), ("cb-2", "13900139001")):
        SqlTickets(engine).create(Ticket(ticket, f"call-{ticket}", number, "normal", "4008001234", "A1", T0))
    url = engine.url.render_as_string(hide_password=False)
    settings = ConsoleSettings(store=StoreSettings(database_url=url, pool_size=1, pool_overflow=0))
    trace = tmp_path / "libpq.trace"
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client, trace.open("w") as sink:
        agent = login(client, "agent")
        assert client.get("/api/me", headers=agent).status_code == 200  # the token is cached from here on

        async def trace_the_connection() -> None:
            async with client.app.state.loop_engines.current().connect() as connection:  # type: ignore[attr-defined]
                raw = await connection.get_raw_connection()
                raw.driver_connection.pgconn.trace(sink.fileno())

        client.portal.call(trace_the_connection)  # type: ignore[union-attr]

        def waits(send) -> int:
            sink.flush()
            start = trace.stat().st_size
            response = send()
            assert response.status_code in (200, 201), response.text
            sink.flush()
            sent = [line.split("\t")[3] for line in trace.read_text()[start:].splitlines() if "\tF\t" in line]
            return sum(message.split()[0] in ("Sync", "Query") for message in sent)

        def workflow(ticket: str, call: str) -> dict[str, int]:
            lookup = {"phone": "138-0013-8000"}
            order = order_body(customer.customer_id, call_id=call)
            return {
                "screen pop": waits(lambda: client.post("/api/customers/lookup", json=lookup, headers=agent)),
                "order": waits(lambda: client.post("/api/orders", json=order, headers=agent)),
                "claim": waits(lambda: client.post(f"/api/callbacks/{ticket}/claim", headers=agent)),
                "complete": waits(
                    lambda: client.post(f"/api/callbacks/{ticket}/complete", json={"outcome": "ordered"}, headers=agent)
                ),
            }

        workflow("cb-1", "call-1")  # the connection prepares each statement at its first use (one wait more)
        counted = workflow("cb-2", "call-2")
    # screen pop: BEGIN, the lookup limit's count, [customers, phones, addresses], [audit rows, COMMIT];
    # order: BEGIN, [customer, products, stock], order number, [rows, audit, lock, stock], the call's copies,
    # COMMIT; claim: BEGIN, the conditional update, [audit, COMMIT]; complete: BEGIN, ticket, update, [audit,
    # COMMIT]
    assert counted == {"screen pop": 4, "order": 6, "claim": 3, "complete": 4}


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_the_event_loops_connections_prepare_each_statement_at_its_first_use(engine, users, clock):
    """A prepared statement skips PostgreSQL's parse and plan; the loop's connections live as long as the
    worker, so each prepares a statement the first time it runs it (psycopg's default waits for the sixth,
    which in a surge's first seconds is every statement on every connection)."""
    url = engine.url.render_as_string(hide_password=False)
    settings = ConsoleSettings(store=StoreSettings(database_url=url, pool_size=1, pool_overflow=0))
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
        agent = login(client, "agent")
        found = client.post("/api/customers/lookup", json={"phone": "138-0013-8000"}, headers=agent)
        assert found.status_code == 200, found.text

        async def prepared() -> list[str]:
            async with client.app.state.loop_engines.current().connect() as connection:  # type: ignore[attr-defined]
                rows = await connection.exec_driver_sql("SELECT statement FROM pg_prepared_statements")
                return [row[0] for row in rows]

        statements = client.portal.call(prepared)  # type: ignore[union-attr]
    assert any("customer_phone.key" in sql for sql in statements), statements


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_serving_worker_warms_every_connection_of_its_loop_for_the_hot_routes_and_changes_nothing(
    engine, users, clock
):
    """A restart during a show meets the surge warm: before the first request each connection of the loop's
    pool has prepared the hot routes' reads (a screen pop's, the SKUs' lock), and the warming wrote nothing."""
    _, customer = stocked_store(engine, units=10)
    SqlTickets(engine).create(Ticket("cb-1", "call-cb-1", "13900139000", "normal", "4008001234", "A1", T0))
    url = engine.url.render_as_string(hide_password=False)
    settings = ConsoleSettings(store=StoreSettings(database_url=url, pool_size=2, pool_overflow=1))

    def audit_rows() -> int:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM audit_log")).scalar_one()

    before = audit_rows()
    with TestClient(create_app(settings, engine=engine, clock=clock, serving=True)) as client:

        async def prepared_on_each() -> list[list[str]]:
            pool = client.app.state.loop_engines.current()  # type: ignore[attr-defined]
            async with AsyncExitStack() as held:  # every connection of the pool at once: each a different one
                connections = [await held.enter_async_context(pool.connect()) for _ in range(3)]
                return [
                    [row[0] for row in await c.exec_driver_sql("SELECT statement FROM pg_prepared_statements")]
                    for c in connections
                ]

        prepared = client.portal.call(prepared_on_each)  # type: ignore[union-attr]
    assert len(prepared) == 3
    for statements in prepared:
        assert any("customer_phone.key" in sql for sql in statements), statements
        assert any("FOR NO KEY UPDATE" in sql for sql in statements), statements
    assert audit_rows() == before
    assert SqlTickets(engine).get("cb-1").status == "open"
