"""``create_app(settings)``: the console's FastAPI application (the FastAPI full-stack template's layout).

The app is the console's composition root: one engine (``app.state.engine``; made from ``settings.store``
unless one is passed, and disposed at shutdown if the app made it), the factory of the units of work its use
cases run in (``app.state.unit_of_work``, a ``SqlUnitOfWork`` on that engine) and a clock
(``app.state.clock``, ``time.time`` unless a test passes its own); it loads the division data at start-up. It does not migrate: ``hotline serve``
does that before it starts the app.
"""

from __future__ import annotations

import time
from contextlib import asynccontextmanager
from typing import Callable

from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine

from adapters.geo.divisions import load_divisions
from adapters.store.settings import make_engine
from adapters.store.uow import SqlUnitOfWork
from console.errors import ERROR_RESPONSES, add_exception_handlers
from console.guards import BodyLimit, SecurityHeaders, mask_access_log
from console.routers import (
    agents,
    airings,
    audit,
    auth,
    call_records,
    callbacks,
    complaints,
    customers,
    divisions,
    health,
    orders,
    products,
    reports,
    site,
    stream,
    supervision,
    users,
)
from console.settings import ConsoleSettings

API_PREFIX = "/api"
ROUTERS = (health, auth, users, customers, divisions, products, orders, callbacks, call_records, complaints, airings,
           reports, audit, site, agents, supervision, stream)


def create_app(settings: ConsoleSettings | None = None, *, engine: Engine | None = None,
               clock: Callable[[], float] = time.time) -> FastAPI:
    settings = settings or ConsoleSettings.from_env()
    owned = engine is None
    engine = make_engine(settings.store) if owned else engine

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        load_divisions()  # about 2 s the first time in a process: at start-up, so that no request waits for it
        yield
        if owned:
            engine.dispose()

    docs = {} if settings.docs else {"docs_url": None, "redoc_url": None}
    app = FastAPI(title="Hotline console", version="0.1.0", lifespan=lifespan, **docs,
                  description="The agent console's API: customers, orders, callbacks, call records, complaints, "
                              "airings and media ROI. Log in with POST /api/login and send the token as "
                              "`Authorization: Bearer <token>`.")
    app.state.settings = settings
    app.state.engine = engine
    app.state.unit_of_work = lambda: SqlUnitOfWork(engine, ticket_source=settings.ticket_source)
    app.state.clock = clock
    api = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)
    for module in ROUTERS:
        api.include_router(module.router)
    app.include_router(api)
    add_exception_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, limit=settings.max_body, upload_limit=settings.max_upload)
    mask_access_log()
    return app
