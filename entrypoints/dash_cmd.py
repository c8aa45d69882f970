"""``hotline dash``: the dashboards (``dashboards/``) alone, for a planner's own machine (``hotline serve``
mounts them at /dash behind the console's login: ``serve_cmd.mount_dashboards``).

The store is the console's (``HOTLINE_DATABASE_URL`` or the SQLite file in ``HOTLINE_DATA_DIR``), migrated
first. The Dash app is Flask (WSGI); a2wsgi's ``WSGIMiddleware`` runs it under uvicorn in both cases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from entrypoints.terminal import fail, open_store_or_exit


def dash(
    host: Annotated[
        str,
        typer.Option(
            help="Address to listen on (0.0.0.0: every interface; there is no login "
            "here, so keep it local or use `hotline serve`'s /dash)."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on (0: any free port).")] = 8050,
    cache_dir: Annotated[
        Optional[Path],
        typer.Option(
            help="Where background twin runs keep their progress (default: a folder in the system's temp dir)."
        ),
    ] = None,
    log_level: Annotated[
        str, typer.Option(help="uvicorn's log level: critical, error, warning, info, debug.")
    ] = "warning",
):
    """Serve the dashboards: Plan (compare staffing plans in the twin), Live against plan, Media ROI and
    History, at http://HOST:PORT/plan. Reads the store (migrated first); never talks to Asterisk. Behind the
    console's login they are at /dash of `hotline serve`."""
    import uvicorn
    from a2wsgi import WSGIMiddleware

    from adapters.store.settings import StoreSettings
    from dashboards.app import create_dash
    from entrypoints.serve_cmd import listening_socket

    settings = StoreSettings()
    engine = open_store_or_exit(settings)
    try:
        sock = listening_socket(host, port)
    except OSError as error:
        fail(f"cannot listen on {host}:{port}: {error}")
    shown = f"[{host}]" if ":" in host else host
    print(f"Hotline dashboards on http://{shown}:{sock.getsockname()[1]}/plan", flush=True)
    app = WSGIMiddleware(create_dash(settings, engine=engine, cache_dir=cache_dir).server)
    try:
        uvicorn.Server(uvicorn.Config(app, log_level=log_level, interface="asgi3")).run(sockets=[sock])
    finally:
        engine.dispose()
