"""``hotline serve`` (the console's web service) and ``hotline users ...``; mounted by entrypoints/cli.py
as ``console_app``.

The database is the store's (``HOTLINE_DATABASE_URL``, or the SQLite file in ``HOTLINE_DATA_DIR``, default
./data); ``serve`` migrates it first, so a first run needs no configuration.
"""

from __future__ import annotations

import socket
import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from entrypoints.terminal import errors, open_store_or_exit

if TYPE_CHECKING:
    from console.settings import ConsoleSettings

users_app = typer.Typer(help="Console users: create the first admin (the others are created in the API).",
                        no_args_is_help=True)

CREATE_ADMIN_HINT = ("No admin user yet: create one with `hotline users create-admin USERNAME` "
                     "(it prompts for the password, or reads it with --password-stdin).")


@users_app.callback()
def _users_group() -> None:
    """Console users: create the first admin (the others are created in the API)."""


def _open_store():
    from console.settings import ConsoleSettings

    settings = ConsoleSettings.from_env()
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


def uvicorn_config(app, settings: ConsoleSettings, log_level: str = "info"):
    """uvicorn's configuration: forwarded headers only from ``HOTLINE_TRUSTED_PROXIES`` (none by default)."""
    import uvicorn

    trusted = settings.trusted_proxies
    return uvicorn.Config(app, log_level=log_level, proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on (0: any free port).")] = 8000,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level: critical, error, warning, info, debug.")] = "info",
):
    """Run the agent console's API service (FastAPI on uvicorn). Migrates the database first (SQLite in
    ./data unless HOTLINE_DATABASE_URL says otherwise) and prints the address it listens on; the API
    documentation is at /docs."""
    import uvicorn

    from console.accounts import SqlAccounts
    from console.app import create_app

    engine, settings = _open_store()
    has_admin = SqlAccounts(engine).has_admin()
    try:
        sock = listening_socket(host, port)
    except OSError as error:
        errors.print(f"[red]error[/red] cannot listen on {host}:{port}: {error}", markup=True, highlight=False)
        raise typer.Exit(1) from None
    sock.set_inheritable(True)
    bound_port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    print(f"Hotline listening on http://{shown}:{bound_port}", flush=True)
    print(f"API documentation: http://{shown}:{bound_port}/docs", flush=True)
    if not has_admin:
        print(CREATE_ADMIN_HINT, flush=True)
    app = create_app(settings, engine=engine)
    try:
        uvicorn.Server(uvicorn_config(app, settings, log_level)).run(sockets=[sock])
    finally:
        engine.dispose()


@users_app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Argument(help="Login name of the new admin.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="Read the password from standard input (one line) "
                                                      "instead of prompting.")] = False,
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
            errors.print(f"[red]error[/red] {problem['loc'][0]}: {problem['msg']}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    engine, _ = _open_store()
    try:
        user = SqlAccounts(engine).create_user(username, password, "admin", time.time())
    except UserExists as error:
        errors.print(f"[red]error[/red] {error}", markup=True, highlight=False)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    print(f"admin {user.username} created (id {user.id}): log in with POST /api/login", flush=True)


# mounted without a name (``app.add_typer(console_app)``), so its commands join the top level
console_app = typer.Typer()
console_app.command("serve")(serve)
console_app.add_typer(users_app, name="users", help="Console users: create the first admin.")
