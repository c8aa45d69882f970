"""Health, no login needed, both off the request pool so that a full pool or a held lock cannot silence them:

* ``GET /api/health`` -- liveness: the process answers (no I/O; a load balancer restarts it when this fails);
* ``GET /api/health/ready`` -- readiness: the database answers a query within ``probe_timeout`` seconds on a
  connection of its own (``app.state.probe``); 503 with ``Retry-After`` when it does not (a load balancer
  sends no traffic here until it is back).
"""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from console.schemas import Health

router = APIRouter(tags=["health"])

PROBE_TIMEOUT_S = 2.0


class Readiness(BaseModel):
    status: str = Field(description="ok, or unavailable")
    database: str = Field(description="ok, or why the database did not answer")
    database_ms: float | None = Field(None, description="the probe's round trip")


@router.get("/health", response_model=Health)
async def health() -> Health:
    return Health()


def _probe(engine) -> float:
    started = time.perf_counter()
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return (time.perf_counter() - started) * 1000


@router.get("/health/ready", response_model=Readiness, responses={503: {"model": Readiness}})
async def ready(request: Request):
    try:
        elapsed = await asyncio.wait_for(asyncio.to_thread(_probe, request.app.state.probe), PROBE_TIMEOUT_S)
    except Exception as error:  # down, refused, timed out: say so, never raise
        reason = "timed out" if isinstance(error, TimeoutError) else str(getattr(error, "orig", error)).splitlines()[0]
        body = Readiness(status="unavailable", database=reason or type(error).__name__)
        return JSONResponse(
            body.model_dump(), status_code=503, headers={"Retry-After": str(request.app.state.settings.retry_after)}
        )
    return Readiness(status="ok", database="ok", database_ms=round(elapsed, 2))
