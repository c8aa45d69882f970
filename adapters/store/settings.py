"""Where the store lives and how to connect to it: one settings object, one engine factory.

* ``HOTLINE_DATABASE_URL`` -- any SQLAlchemy URL. ``postgresql://`` and ``postgres://`` URLs are driven by
  psycopg 3 (``postgresql+psycopg://``).
* Without it: a SQLite file ``hotline.db`` in ``HOTLINE_DATA_DIR`` (default ``./data``), created on first
  use together with its directory.

SQLite connections run with ``journal_mode=WAL`` (readers do not block the writer), ``foreign_keys=ON``,
``synchronous=NORMAL`` and a busy timeout, so several processes (the live core, console workers, the
``hotline callbacks expire`` task) can share the file.
"""

from __future__ import annotations

import os
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import ContextManager, Iterator

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

DATABASE_URL_ENV = "HOTLINE_DATABASE_URL"
DATA_DIR_ENV = "HOTLINE_DATA_DIR"
DEFAULT_DATA_DIR = "data"
SQLITE_FILE = "hotline.db"
SQLITE_BUSY_TIMEOUT_S = 30.0


def normalise_url(url: str) -> str:
    """``postgres://`` / ``postgresql://`` -> ``postgresql+psycopg://`` (the driver we ship); others as given."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@dataclass(frozen=True)
class StoreSettings:
    """The store's configuration, read from the environment by :meth:`from_env`."""

    database_url: str
    data_dir: Path = field(default_factory=lambda: Path(DEFAULT_DATA_DIR))
    echo: bool = False

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "StoreSettings":
        env = os.environ if environ is None else environ
        data_dir = Path(env.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)
        url = env.get(DATABASE_URL_ENV) or f"sqlite:///{(data_dir / SQLITE_FILE).as_posix()}"
        return cls(database_url=normalise_url(url), data_dir=data_dir,
                   echo=env.get("HOTLINE_DATABASE_ECHO", "") not in ("", "0", "false"))

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"

    def redacted_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return make_url(self.database_url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # SQLAlchemy's recipe for real SQLite transactions: the driver does not begin them behind our back,
    # SQLAlchemy emits BEGIN (see _sqlite_begin), so SAVEPOINT and BEGIN IMMEDIATE work.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.close()


def _sqlite_begin(connection) -> None:
    connection.exec_driver_sql(connection.get_execution_options().get("sqlite_begin", "BEGIN"))


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write. On SQLite it starts with ``BEGIN IMMEDIATE`` (it takes the write lock
    first, waiting up to the busy timeout), so a read-then-write never fails on a snapshot another writer
    has moved on; elsewhere it is ``engine.begin()``."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        with connection.begin():
            yield connection


class StoreAccess:
    """How a repository reaches the database. Alone (``connection`` None) every method is a transaction of
    its own; inside a unit of work (``adapters.store.uow``) it runs on the unit's connection, each write in a
    savepoint, so a method is still all or nothing and a refused write leaves the unit usable."""

    def __init__(self, engine: Engine, connection: Connection | None = None) -> None:
        self.engine = engine
        self.connection = connection

    def write(self) -> ContextManager[Connection]:
        if self.connection is None:
            return write_transaction(self.engine)
        return _savepoint(self.connection)

    def read(self) -> ContextManager[Connection]:
        return self.engine.connect() if self.connection is None else nullcontext(self.connection)


@contextmanager
def _savepoint(connection: Connection) -> Iterator[Connection]:
    with connection.begin_nested():
        yield connection


def _private_file(path: Path) -> None:
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def make_engine(settings: StoreSettings | str | None = None, **kwargs) -> Engine:
    """An engine for the configured database. For a SQLite file, its directory is created first (0700) and
    the file itself (0600: customers' data is for the service's user alone; SQLite gives its -wal and -shm
    files the database file's mode)."""
    if settings is None:
        settings = StoreSettings.from_env()
    elif isinstance(settings, str):
        settings = StoreSettings(database_url=normalise_url(settings))
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            _private_file(Path(database).expanduser())
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
        connect_args.setdefault("check_same_thread", False)
        engine = create_engine(url, echo=settings.echo, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, echo=settings.echo, **kwargs)
