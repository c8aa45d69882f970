"""The console's metrics and request log.

* ``GET /metrics`` -- Prometheus text (prometheus-client): ``hotline_http_request_seconds`` (histogram per
  method, route template and status), ``hotline_db_pool_connections`` (checked out / idle / overflow of this
  worker's pool); with several workers (``hotline serve --workers``) each one writes to
  ``PROMETHEUS_MULTIPROC_DIR`` and the scrape sums them. No login: bind it to a private address or let the
  reverse proxy refuse it (docs/operator.md).
* One JSON line per request on the ``hotline.access`` logger (standard error): time, method, route template,
  path without its query (no phone numbers in the log), status, milliseconds, the request id (``X-Request-Id``
  as sent, or a new one, echoed in the answer).
"""

from __future__ import annotations

import logging
import os
import time
import uuid

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("hotline.access")

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUEST_SECONDS = Histogram(
    "hotline_http_request_seconds", "Console request latency by route", ("method", "route", "status"), buckets=BUCKETS
)
POOL = Gauge(
    "hotline_db_pool_connections",
    "Database connections of the console's pool, by state",
    ("state",),
    multiprocess_mode="livesum",
)

router = APIRouter(tags=["metrics"])


def registry() -> CollectorRegistry:
    """The default registry, or, with several workers, one that sums the workers' files."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import REGISTRY

        return REGISTRY
    from prometheus_client import multiprocess

    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)
    return combined


def note_pool(engine) -> None:
    pool = engine.pool
    for state, read in (("checked_out", "checkedout"), ("idle", "checkedin"), ("overflow", "overflow")):
        value = getattr(pool, read, None)
        if callable(value):
            POOL.labels(state).set(max(0, value()))


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    note_pool(request.app.state.engine)
    return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)


def _route_of(scope: Scope) -> str:
    """The route's template (``/api/orders/{order_id}``): a bounded label, without ids or phone numbers."""
    template = getattr(scope.get("route"), "path", None)
    if template is None:
        return "unmatched"
    if scope["path"].startswith("/api/") and not template.startswith("/api/"):
        template = "/api" + template  # a route of the /api router, seen before its prefix
    return template


class RequestObserver:
    """ASGI middleware: the latency histogram and the access line of every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        sent = dict(scope.get("headers") or ()).get(b"x-request-id", b"")
        request_id = sent.decode("latin-1")[:64] if sent else uuid.uuid4().hex[:16]
        status = 500

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_of(scope)
            REQUEST_SECONDS.labels(scope["method"], route, str(status)).observe(elapsed)
            note_pool(scope["app"].state.engine)  # each worker's own figure, kept current for the summed gauge
            access_log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "fields": {
                        "request_id": request_id,
                        "method": scope["method"],
                        "route": route,
                        "path": scope["path"],
                        "status": status,
                        "ms": round(elapsed * 1000, 2),
                    }
                },
            )
