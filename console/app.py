"""``create_app(settings)``: the console's FastAPI application (the FastAPI full-stack template's layout).

The app is the console's composition root: one engine (``app.state.engine``; made from ``settings.store``
unless one is passed, and disposed at shutdown if the app made it), the factory of the units of work its use
cases run in (``app.state.unit_of_work``, a ``SqlUnitOfWork`` on that engine) and a clock
(``app.state.clock``, ``time.time`` unless a test passes its own); it loads the division data at start-up (and
a worker of ``hotline serve``, ``serving``, then sets up every route, moves what it loaded out of the garbage
collector's sight and opens its event loop's pool). The
web console's pages (``console/web``) are served at ``/``. It does not migrate: ``hotline serve`` does that
before it starts the app. Beside the request pool: ``app.state.probe`` (a pool-less engine for
``/api/health/ready``), ``app.state.loop_engines`` (on PostgreSQL, the async engine the agents' hot routes
run on: ``console.on_loop``), ``app.state.token_cache``; around the routes: ``RequestObserver`` (metrics, the JSON
access line) and ``IdempotencyMiddleware``; ``/metrics`` (Prometheus) outside ``/api``.
"""

from __future__ import annotations

import gc
import time
from contextlib import asynccontextmanager
from typing import Callable

from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine
from sqlalchemy.pool import NullPool

from adapters.geo.divisions import load_divisions
from adapters.store.settings import make_engine
from adapters.store.uow import SqlUnitOfWork
from console import observability
from console.deps import TokenCache
from console.errors import ERROR_RESPONSES, add_exception_handlers
from console.guards import BodyLimit, SecurityHeaders, mask_access_log
from console.idempotency import IdempotencyMiddleware
from console.on_loop import LoopEngines
from console.routers import (
    agents,
    airings,
    audit,
    auth,
    call_records,
    callbacks,
    campaigns,
    complaints,
    customers,
    divisions,
    health,
    orders,
    products,
    recordings,
    reports,
    site,
    stream,
    supervision,
    users,
)
from console.settings import ConsoleSettings
from console.web import mount_web, warm_up

API_PREFIX = "/api"
ROUTERS = (
    health,
    auth,
    users,
    customers,
    divisions,
    products,
    orders,
    callbacks,
    call_records,
    complaints,
    airings,
    reports,
    audit,
    site,
    agents,
    supervision,
    stream,
    recordings,
    campaigns,
)


def create_app(
    settings: ConsoleSettings | None = None,
    *,
    engine: Engine | None = None,
    clock: Callable[[], float] = time.time,
    serving: bool = False,
) -> FastAPI:
    settings = settings or ConsoleSettings()
    owned = engine is None
    engine = make_engine(settings.store) if owned else engine
    url = engine.url.render_as_string(hide_password=False)
    probe = make_engine(url, poolclass=NullPool)
    loop_engines = LoopEngines(settings.store.model_copy(update={"database_url": url}))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        load_divisions()  # about 2 s the first time in a process: at start-up, so that no request waits for it
        warm_up()  # the screen pop's phone regions, likewise
        if serving:
            # FastAPI builds an included router's routes (dependants, field validators) when a request first
            # walks them: 20-35 ms of a worker's first screen pop, order and claim. Building the OpenAPI
            # schema walks them all now
            app.openapi()
            # what start-up loaded (the libraries, the division and phone data: half a million objects) lives as
            # long as the process: out of the collector's sight, or each full collection stops the worker for
            # 0.15-0.5 s (9-21 ms after the freeze, measured under benchmarks/orders_api)
            gc.collect()
            gc.freeze()
            await loop_engines.open_pool()
        yield
        await loop_engines.dispose()
        probe.dispose()
        if owned:
            engine.dispose()

    docs = {} if settings.docs else {"docs_url": None, "redoc_url": None}
    app = FastAPI(
        title="Hotline console",
        version="0.1.0",
        lifespan=lifespan,
        **docs,
        description="The agent console's API: customers, orders, callbacks, call records, complaints, "
        "airings and media ROI. Log in with POST /api/login and send the token as "
        "`Authorization: Bearer <token>`.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.loop_engines = loop_engines  # the hot routes' async engine (PostgreSQL; console.on_loop)
    app.state.unit_of_work = lambda idempotency=None, session=None: SqlUnitOfWork(
        engine, ticket_source=settings.ticket_source, idempotency=idempotency, session=session
    )
    app.state.clock = clock
    app.state.probe = probe
    app.state.token_cache = TokenCache(settings.token_cache_ttl)
    api = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)
    for module in ROUTERS:
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(observability.router)
    add_exception_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, limit=settings.max_body, upload_limit=settings.max_upload)
    mask_access_log()
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(observability.RequestObserver)  # outermost: it times and logs everything
    mount_web(app)  # the pages at /, after the API's error handlers: its own answer pages with HTML
    return app


def worker_app() -> FastAPI:
    """The app of one ``hotline serve`` worker (uvicorn's factory): the settings read here, once per process,
    its pool its share of the connections (``HOTLINE_WORKERS``), its log lines as ``HOTLINE_LOG_FORMAT`` says."""
    import logging

    from adapters.json_logs import configure

    settings = ConsoleSettings()
    configure(settings.log_format, logging.INFO)
    logging.getLogger("uvicorn.access").disabled = True  # the access line is RequestObserver's (no query)
    store = settings.store.for_processes(settings.workers)
    return create_app(settings.model_copy(update={"store": store}), serving=True)
