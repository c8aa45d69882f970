"""The agents' hot routes on the event loop (PostgreSQL).

A sync endpoint runs in FastAPI's thread pool: a thread hop per request and, under a surge, a convoy of
threads taking turns at the GIL between their database round trips (issue 14, item 13: at 114 requests/s
p99 was over a second while one of the two cores stood idle). An endpoint marked ``@on_event_loop`` runs the
same sync code in a greenlet on the worker's event loop instead, on a connection of psycopg's async driver
(SQLAlchemy's asyncio bridge): each round trip hands the loop to the other requests, and no thread waits for
the GIL. On SQLite (no async driver here) it runs in the thread pool as before.

Only for endpoints whose work is round trips and light CPU: anything slow on the CPU (a password check, a
report) would hold up every request of the worker. Sync code that must wait for a coroutine (the bounded
password checks) calls ``wait_for``, and blocking work of its own (a connection of the thread pool's engine)
``off_loop``; both work on either side.

``LoopEngines`` -- the async engine of each running event loop (one in a worker; a test client starts one per
``with`` block, and an asyncio connection belongs to the loop it was opened on).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import weakref
from contextlib import AsyncExitStack, suppress
from functools import partial
from typing import Any, Awaitable, Callable, TypeVar

import anyio.from_thread
from fastapi import Request
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only, greenlet_spawn
from sqlalchemy.util.concurrency import in_greenlet
from starlette.concurrency import run_in_threadpool

from adapters.store.audit import SqlAudit
from adapters.store.catalog import read_stock, send_products, send_stock_read
from adapters.store.customers import SqlCustomers
from adapters.store.pipeline import pipelined
from adapters.store.settings import StoreSettings, make_async_engine
from adapters.store.tickets import SqlTickets
from adapters.store.uow import StoreSession
from console.accounts import SqlAccounts
from core.customers import UnknownCustomer
from core.phones import parse_phone
from core.tickets import TicketError

T = TypeVar("T")
log = logging.getLogger(__name__)
_REQUEST = "on_loop_request"
WARM_UP_PHONE = "13800000000"  # any valid number: what it finds is only read


class LoopEngines:
    """The store's async engine per running event loop, made at first use from ``settings``; none but on
    PostgreSQL (``make_async_engine``)."""

    def __init__(self, settings: StoreSettings) -> None:
        self.settings = settings
        self.enabled = settings.is_postgresql
        self._engines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncEngine] = weakref.WeakKeyDictionary()

    def current(self) -> AsyncEngine | None:
        if not self.enabled:
            return None
        loop = asyncio.get_running_loop()
        engine = self._engines.get(loop)
        if engine is None:
            engine = self._engines[loop] = make_async_engine(self.settings)
        return engine

    async def open_pool(self) -> None:
        """Open the running loop's whole pool at start-up (all its connections at once) and warm each one
        (``read_as_the_hot_routes``), so that the first surge after a restart waits neither for connections
        nor for first uses; a database that does not answer is only logged (the readiness check says so, and
        the pool connects when it can)."""
        engine = self.current()
        if engine is None:
            return
        try:
            async with AsyncExitStack() as opened:
                connections = await asyncio.gather(
                    *(opened.enter_async_context(engine.connect()) for _ in range(engine.pool.size()))
                )
                await asyncio.gather(*(connection.run_sync(read_as_the_hot_routes) for connection in connections))
        except (DBAPIError, OSError) as error:
            log.warning(
                "the database could not be used at start-up (%s): connecting on first use", type(error).__name__
            )

    async def dispose(self) -> None:
        """Close the pool of the running loop's engine (at shutdown)."""
        engine = self._engines.pop(asyncio.get_running_loop(), None) if self.enabled else None
        if engine is not None:
            await engine.dispose()


def read_as_the_hot_routes(connection: Connection) -> None:
    """The reads of the agents' hot routes (token check, screen pop, order, claim, completion), once, on a new
    connection, matching nothing and changing nothing: SQLAlchemy compiles them, the connection prepares them,
    and its server process loads the tables' catalogue entries, before the first surge rather than in its
    first half-second (90-230 ms of waiting in ``benchmarks.orders_api``). The writes are left cold. The
    transaction is committed, not rolled back: at a rollback psycopg forgets its prepared statements."""
    engine, now, nothing = connection.engine, time.time(), ""
    on = {"connection": connection}
    SqlAccounts(engine, connection).user_for_token(nothing, now)
    audit = SqlAudit(engine, **on)
    audit.count("customers.lookup", now, entity="phone", user=nothing)
    customers = SqlCustomers(engine, **on)
    customers.find_by_phone(parse_phone(WARM_UP_PHONE))
    tickets = SqlTickets(engine, **on)
    for nobody in (
        partial(customers.first_address, nothing),
        partial(tickets.claim, nothing, nothing, now),
        partial(tickets.complete, nothing, nothing, "ordered", now),
    ):
        with suppress(UnknownCustomer, TicketError):
            nobody()
    with pipelined(connection):  # as an order sends them
        send_products(connection, [nothing])
        send_stock_read(connection, [nothing], lock=False)
    read_stock(connection, [nothing], lock=True)
    connection.commit()


def on_event_loop(endpoint: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """Run this sync endpoint in a greenlet on the event loop when the store has an async engine (its
    ``SessionDep`` is then on that engine: ``session_engine``), in the thread pool otherwise. FastAPI sees
    the endpoint's own parameters (and one ``Request`` more if it has none)."""
    signature = inspect.signature(endpoint, eval_str=True)
    given = next((p.name for p in signature.parameters.values() if p.annotation is Request), None)
    parameters = list(signature.parameters.values())
    if given is None:
        parameters.append(inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request))

    async def run(**values: Any) -> T:
        request = values[given] if given else values.pop(_REQUEST)
        if request.app.state.loop_engines.current() is None:
            return await run_in_threadpool(endpoint, **values)
        return await greenlet_spawn(endpoint, **values)

    run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    for name in ("__name__", "__qualname__", "__doc__", "__module__"):  # the OpenAPI operation and its text
        setattr(run, name, getattr(endpoint, name))
    run.runs_on_loop = True  # type: ignore[attr-defined]
    return run


def session_engine(request: Request) -> Engine:
    """The engine of this request's ``StoreSession``: the loop's async engine (its sync face, usable in the
    endpoint's greenlet) for an ``@on_event_loop`` endpoint, the thread pool's engine otherwise."""
    if getattr(request.scope.get("endpoint"), "runs_on_loop", False):
        engine = request.app.state.loop_engines.current()
        if engine is not None:
            return engine.sync_engine
    return request.app.state.engine


async def in_store(session: StoreSession, work: Callable[..., T], *args: Any) -> T:
    """Blocking store work of a request, where its connection can be used: in a greenlet on the loop (the
    async driver's connection) or in the thread pool."""
    if session.engine.dialect.is_async:
        return await greenlet_spawn(work, *args)
    return await run_in_threadpool(work, *args)


def wait_for(coroutine: Callable[..., Awaitable[T]], *args: Any) -> T:
    """From a sync endpoint, wait for ``coroutine(*args)`` on the event loop: directly in an
    ``@on_event_loop`` endpoint's greenlet, through anyio's portal from a worker thread."""
    if in_greenlet():
        return await_only(coroutine(*args))
    return anyio.from_thread.run(coroutine, *args)


def off_loop(work: Callable[..., T], *args: Any) -> T:
    """From a sync endpoint, blocking work that must not hold up the event loop (its own database
    connection, a slow computation): in the thread pool from an ``@on_event_loop`` endpoint's greenlet,
    right here in a worker thread."""
    if in_greenlet():
        return await_only(run_in_threadpool(work, *args))
    return work(*args)
