"""Hardening (issue 14, item 12), the service around the API: security headers on personal data, no CDN
docs in production, forwarded headers only from configured proxies, a private database file, a large
schedule stored in batches."""

from __future__ import annotations

import socket
import stat
import threading

import httpx
import uvicorn
from fastapi.testclient import TestClient

from adapters.store.audit import SqlAudit
from adapters.store.settings import StoreSettings, make_engine
from console.app import create_app
from console.paging import MAX_LIMIT
from console.settings import ConsoleSettings
from entrypoints.serve_cmd import proxy_options
from tests.helpers import wait_until
from tests.integration.console.conftest import PASSWORD


def test_answers_carry_no_store_nosniff_and_hsts(client, auth):
    for response in (
        client.get("/api/me", headers=auth["agent"]),
        client.get("/api/health"),
        client.post("/api/login", json={"username": "x", "password": "y"}),
    ):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["strict-transport-security"].startswith("max-age=")


def test_production_serves_no_docs_pages(engine):
    production = ConsoleSettings(env="production", store=StoreSettings(database_url="sqlite://"))
    with TestClient(create_app(production, engine=engine)) as client:
        assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404
        assert client.get("/openapi.json").status_code == 200
    with TestClient(
        create_app(ConsoleSettings(store=StoreSettings(database_url="sqlite://")), engine=engine)
    ) as client:
        assert client.get("/docs").status_code == 200


def _serve(app, settings):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", **proxy_options(settings)))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started, what="uvicorn started")
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def _login_address(engine, app, settings, forwarded: str) -> str:
    server, thread, base = _serve(app, settings)
    try:
        response = httpx.post(
            f"{base}/api/login",
            json={"username": "agent", "password": PASSWORD},
            headers={"X-Forwarded-For": forwarded},
        )
        assert response.status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    return SqlAudit(engine).entries(entity="address", action="auth.login", limit=1)[0].entity_id


def test_forwarded_for_is_believed_only_from_a_configured_proxy(engine, users, app):
    untrusting = ConsoleSettings(store=app.state.settings.store)
    assert _login_address(engine, app, untrusting, "203.0.113.9") == "127.0.0.1"
    trusting = ConsoleSettings(store=app.state.settings.store, trusted_proxies="127.0.0.1")
    assert _login_address(engine, app, trusting, "203.0.113.9") == "203.0.113.9"


def test_the_sqlite_database_and_its_folder_are_private(tmp_path):
    folder = tmp_path / "data"
    engine = make_engine(f"sqlite:///{folder / 'hotline.db'}")
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x)")
    engine.dispose()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "hotline.db").stat().st_mode) == 0o600


def test_a_schedule_of_250k_rows_is_stored(client, auth, engine):
    header = "id,channel,start,length,hotline\n"
    rows = "".join(f"X{i},CCTV-2,{1795440000 + i * 60},60,4008001234\n" for i in range(250_000))
    response = client.post(
        "/api/airings", headers=auth["sup"], files={"file": ("big.csv", (header + rows).encode(), "text/csv")}
    )
    assert response.status_code == 201, response.text[:300]
    assert response.json()["stored"] == 250_000 and len(response.json()["airings"]) == MAX_LIMIT
