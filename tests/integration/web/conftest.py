"""Fixtures of the web console's page tests: ``hotline serve``'s app on a real uvicorn server in a thread
(Playwright's Chromium needs a real socket) over a migrated SQLite file, users of every role, and
``log_in(page, user)``."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.engine import Engine

from adapters.store.migrate import open_store
from adapters.store.settings import StoreSettings
from console.accounts import SqlAccounts
from console.app import create_app
from console.settings import ConsoleSettings
from entrypoints.serve_cmd import listening_socket
from tests.helpers import wait_until

PASSWORD = "correct horse battery"
USERS = {"admin": "admin", "sup": "supervisor", "agent001": "agent", "agent002": "agent"}


@dataclass
class Site:
    url: str
    engine: object
    app: object


class ServerThread:
    """uvicorn serving ``app`` on 127.0.0.1 and a free port until ``stop()``."""

    def __init__(self, app) -> None:
        self.sock = listening_socket("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> "ServerThread":
        self.thread.start()
        wait_until(lambda: self.server.started, 90, "the console server started")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def serve(engine, url: str, **settings) -> tuple[object, ServerThread]:
    app = create_app(ConsoleSettings(store=StoreSettings(database_url=url), **settings), engine=engine)
    return app, ServerThread(app).start()


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Real argon2, with the cheapest parameters it allows: the tests log in many times."""
    from argon2 import PasswordHasher

    import console.accounts

    monkeypatch.setattr(console.accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def make_users(engine) -> None:
    accounts = SqlAccounts(engine)
    for name, role in USERS.items():
        accounts.create_user(name, PASSWORD, role, time.time())


def store_with_users(folder: Path) -> tuple[str, Engine]:
    """A migrated SQLite store in ``folder`` holding a user of every role (``USERS``, ``PASSWORD``): its URL and
    engine."""
    url = f"sqlite:///{folder / 'hotline.db'}"
    engine = open_store(url)
    make_users(engine)
    return url, engine


@pytest.fixture
def site(tmp_path):
    url, engine = store_with_users(tmp_path)
    # a live command waits for the center's side (a thread in the page tests) longer than in production: a
    # loaded machine must not turn a slow thread into a refusal on the page
    app, server = serve(engine, url, command_wait=60.0)
    try:
        yield Site(server.url, engine, app)
    finally:
        server.stop()
        engine.dispose()


def log_in(page, site_url: str, username: str, password: str = PASSWORD, next_path: str = "/") -> None:
    page.goto(f"{site_url}/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()
