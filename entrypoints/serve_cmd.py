"""``hotline serve`` (the console's web service) and ``hotline users ...``; mounted by entrypoints/cli.py
as ``console_app``.

The database is the store's (``HOTLINE_DATABASE_URL``, or the SQLite file in ``HOTLINE_DATA_DIR``, default
./data); ``serve`` migrates it first, so a first run needs no configuration.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from entrypoints.terminal import fail, open_store_or_exit, say_error

users_app = typer.Typer(
    help="Console users: create the first admin (the others are created in the API).", no_args_is_help=True
)

CREATE_ADMIN_HINT = (
    "No admin user yet: create one with `hotline users create-admin USERNAME` "
    "(it prompts for the password, or reads it with --password-stdin)."
)


@users_app.callback()
def _users_group() -> None:
    """Console users: create the first admin (the others are created in the API)."""


def _open_store():
    from console.settings import ConsoleSettings

    settings = ConsoleSettings()
    return open_store_or_exit(settings.store), settings


def listening_socket(host: str, port: int) -> socket.socket:
    """The service's socket, bound and listening before uvicorn starts (so the address can be printed)."""
    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and without
    # it every keep-alive response waits ~40 ms for the client's delayed ACK (Nagle)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # uvicorn's own default: a surge of agents connecting at once is not turned away
    except OSError:
        sock.close()
        raise
    return sock


DASHBOARDS_MOUNT = "/dash"
DASHBOARDS_PERMISSION = "dashboards.open"


def mount_dashboards(app, settings, engine, cache_dir: Path | None = None) -> None:
    """Mount the dashboards at /dash on the console's FastAPI ``app``, behind its login and roles."""
    from a2wsgi import WSGIMiddleware

    from console.web_guard import guarded
    from dashboards.app import create_dash

    dash_app = create_dash(settings, engine=engine, prefix=f"{DASHBOARDS_MOUNT}/", cache_dir=cache_dir)
    app.mount(DASHBOARDS_MOUNT, guarded(WSGIMiddleware(dash_app.server), engine, DASHBOARDS_PERMISSION))


def proxy_options(settings) -> dict:
    """uvicorn's options for forwarded headers: believed only from ``HOTLINE_TRUSTED_PROXIES`` (none by default),
    so a client cannot choose the address it is logged and locked out under."""
    trusted = settings.trusted_proxies
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


# ``serve`` tells its worker processes whether to mount the dashboards (they build their apps themselves)
DASHBOARDS_SWITCH = "HOTLINE_SERVE_DASHBOARDS"


def worker_app():
    """uvicorn's factory for ``hotline serve``: the console's worker app (``console.app.worker_app``) and,
    unless ``--no-dashboards``, the dashboards at /dash on its engine."""
    from console.app import worker_app as console_worker_app

    app = console_worker_app()
    if os.environ.get(DASHBOARDS_SWITCH, "1") != "0":
        mount_dashboards(app, app.state.settings.store, app.state.engine)
    return app


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on (0: any free port).")] = 8000,
    workers: Annotated[
        Optional[int],
        typer.Option(
            min=1,
            max=64,
            help="Worker processes sharing the socket (env HOTLINE_WORKERS, default 1); each has its "
            "own database pool: HOTLINE_POOL_SIZE + HOTLINE_POOL_OVERFLOW connections, or an "
            "equal share of HOTLINE_MAX_CONNECTIONS.",
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="Log level: critical, error, warning, info, debug.")] = "info",
    dashboards: Annotated[
        bool,
        typer.Option(
            "--dashboards/--no-dashboards",
            help="Mount the planners' dashboards at /dash (planner, supervisor and admin may open them).",
        ),
    ] = True,
):
    """Run the agent console's API service (FastAPI on uvicorn). Migrates the database first (SQLite in
    ./data unless HOTLINE_DATABASE_URL says otherwise) and prints the address it listens on; the API
    documentation is at /docs, health at /api/health (liveness) and /api/health/ready (the database),
    Prometheus metrics at /metrics. One JSON line per request on standard error (HOTLINE_LOG_FORMAT=text
    for plain lines)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from adapters.json_logs import configure
    from console.accounts import SqlAccounts

    engine, settings = _open_store()
    has_admin = SqlAccounts(engine).has_admin()
    engine.dispose()
    workers = workers or settings.workers
    try:
        sock = listening_socket(host, port)
    except OSError as error:
        fail(f"cannot listen on {host}:{port}: {error}")
    sock.set_inheritable(True)
    bound_port = sock.getsockname()[1]
    # the workers read the same settings from the environment; these two say how many there are and
    # where their metrics meet (prometheus-client's multiprocess mode)
    os.environ["HOTLINE_WORKERS"] = str(workers)
    os.environ[DASHBOARDS_SWITCH] = "1" if dashboards else "0"
    metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = tempfile.mkdtemp(prefix="hotline-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    configure(settings.log_format, logging.INFO)
    config = uvicorn.Config(
        "entrypoints.serve_cmd:worker_app",
        factory=True,
        workers=workers,
        log_config=None,
        log_level=log_level,
        access_log=False,
        **proxy_options(settings),
    )
    if workers == 1:  # the app and its data made before the address is printed: the first request finds them
        from adapters.geo.divisions import load_divisions

        config.load()
        load_divisions()
    shown = f"[{host}]" if ":" in host else host
    print(f"Hotline listening on http://{shown}:{bound_port}", flush=True)
    print(f"Workers: {workers} (health: /api/health, readiness: /api/health/ready, metrics: /metrics)", flush=True)
    print(f"API documentation: http://{shown}:{bound_port}/docs", flush=True)
    if dashboards:
        print(f"Dashboards: http://{shown}:{bound_port}/dash/plan", flush=True)
    if not has_admin:
        print(CREATE_ADMIN_HINT, flush=True)
    try:
        if workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            uvicorn.Server(config).run(sockets=[sock])
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


@users_app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Argument(help="Login name of the new admin.")],
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input (one line) instead of prompting."),
    ] = False,
):
    """Create a console user with the admin role, who can then create agents and supervisors in the API
    (POST /api/users). Prompts for the password twice unless --password-stdin is given."""
    from pydantic import ValidationError

    from console.accounts import SqlAccounts, UserExists
    from console.models import UserCreate

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        UserCreate(username=username, password=password, role="admin")
    except ValidationError as error:
        for problem in error.errors():
            say_error(f"{problem['loc'][0]}: {problem['msg']}")
        raise typer.Exit(2) from None
    engine, _ = _open_store()
    try:
        user = SqlAccounts(engine).create_user(username, password, "admin", time.time())
    except UserExists as error:
        fail(error)
    finally:
        engine.dispose()
    print(f"admin {user.username} created (id {user.id}): log in with POST /api/login", flush=True)


# mounted without a name (``app.add_typer(console_app)``), so its commands join the top level
console_app = typer.Typer()
console_app.command("serve")(serve)
console_app.add_typer(users_app, name="users", help="Console users: create the first admin.")
