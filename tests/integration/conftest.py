"""Fixtures shared by the integration tests (the store's and the console's): a migrated database on SQLite
and on a real PostgreSQL server.

``postgres_server`` (session): installs Debian's ``postgresql`` package if it is missing
(``scripts/postgres.sh install``, needs root), initdb's a throwaway cluster in a temporary directory and
starts it on 127.0.0.1 and a free port (as the OS user ``postgres`` when the tests run as root), and stops it
and removes the directory at the end. Start-up takes about a second once the package is installed.
Every PostgreSQL test gets its own fresh database (``CREATE DATABASE``), migrated with Alembic.

``engine`` is parametrised over both back ends; the PostgreSQL variant carries
``pytest.mark.xdist_group("postgres")`` so that under ``--dist loadgroup`` one worker runs all of them
against one server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from adapters.store.migrate import upgrade
from adapters.store.settings import StoreSettings, make_engine, normalise_url

REPO = Path(__file__).resolve().parents[2]
POSTGRES_SH = REPO / "scripts" / "postgres.sh"
PG = pytest.mark.xdist_group("postgres")
BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql", marks=PG)]


def _run(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(POSTGRES_SH), *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def postgres_server():
    """URL of a running throwaway PostgreSQL server (superuser ``hotline``, trust auth, 127.0.0.1), or of the
    server named by ``HOTLINE_TEST_POSTGRES_URL`` (a superuser's URL; each test creates its own database)."""
    external = os.environ.get("HOTLINE_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    if _run("bindir").returncode != 0:
        installed = _run("install")
        if installed.returncode != 0:
            pytest.fail(f"could not install PostgreSQL (scripts/postgres.sh install):\n{installed.stderr}")
    directory = tempfile.mkdtemp(prefix="hotline-pg-")
    result = _run("start", directory, timeout=300)
    if result.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL (scripts/postgres.sh start):\n{result.stderr}")
    url = result.stdout.strip().splitlines()[-1]
    try:
        yield url
    finally:
        _run("stop", directory, timeout=120)
        shutil.rmtree(directory, ignore_errors=True)


def database_url(base: str, name: str) -> str:
    return base.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def fresh_postgres(postgres_server):
    """A new empty database on the server; yields its URL and drops it afterwards."""
    name = "hotline_test_" + uuid.uuid4().hex[:12]
    admin = create_engine(normalise_url(postgres_server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield normalise_url(database_url(postgres_server, name))
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path):
    """(backend, URL) of an empty database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield "sqlite", f"sqlite:///{tmp_path / 'hotline.db'}"
    else:
        yield "postgresql", request.getfixturevalue("fresh_postgres")


@pytest.fixture
def engine(database):
    """An engine on a database migrated to the newest revision (``alembic upgrade head``)."""
    _, url = database
    # the concurrency tests hold 50 connections at once, and on a loaded machine their lock waits are long:
    # the production timeouts are tested on their own (console/test_postgres_faults.py)
    settings = StoreSettings(database_url=url, lock_timeout=120, statement_timeout=300)
    engine = make_engine(settings, pool_size=60, max_overflow=10)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


class RestartablePostgres:
    """A throwaway PostgreSQL server of one test's own, which the test may stop and start again on the same
    port (an outage of the database); ``url`` is a migrated database on it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        result = _run("start", str(directory), timeout=300)
        if result.returncode != 0:
            pytest.fail(f"could not start PostgreSQL (scripts/postgres.sh start):\n{result.stderr}")
        self.server_url = result.stdout.strip().splitlines()[-1]
        self.port = self.server_url.rsplit(":", 1)[1].split("/")[0]
        self.url = normalise_url(self.server_url)

    def stop(self) -> None:
        result = _run("stop", str(self.directory), timeout=120)
        assert result.returncode == 0, result.stderr

    def start(self) -> None:
        result = _run("start", str(self.directory), self.port, timeout=300)
        assert result.returncode == 0, result.stderr


@pytest.fixture
def restartable_postgres(postgres_server):
    """``RestartablePostgres`` (needs the package ``postgres_server`` installs)."""
    directory = Path(tempfile.mkdtemp(prefix="hotline-pg-restart-"))
    server = RestartablePostgres(directory)
    engine = make_engine(server.url)
    upgrade(engine)
    engine.dispose()
    try:
        yield server
    finally:
        _run("stop", str(directory), timeout=120)
        shutil.rmtree(directory, ignore_errors=True)
