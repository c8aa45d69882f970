"""Where the store lives and how to connect to it: one settings object, one engine factory.

* ``HOTLINE_DATABASE_URL`` -- any SQLAlchemy URL. ``postgresql://`` and ``postgres://`` URLs are driven by
  psycopg 3 (``postgresql+psycopg://``).
* Without it: a SQLite file ``hotline.db`` in ``HOTLINE_DATA_DIR`` (default ``./data``), created on first
  use together with its directory.

On PostgreSQL each process keeps a pool (``HOTLINE_POOL_SIZE`` + ``HOTLINE_POOL_OVERFLOW``, or a share of
``HOTLINE_MAX_CONNECTIONS`` per worker) and every session bounds its waits (statement, lock and
idle-in-transaction timeouts): a held lock or a full pool answers 503 instead of hanging.

SQLite connections run with ``journal_mode=WAL`` (readers do not block the writer), ``foreign_keys=ON``,
``synchronous=NORMAL`` and a busy timeout, so several processes (the live core, console workers, the
``hotline callbacks expire`` task) can share the file.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import ContextManager, Iterator

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

DEFAULT_DATA_DIR = "data"
SQLITE_FILE = "hotline.db"
SQLITE_BUSY_TIMEOUT_S = 30.0


def normalise_url(url: str) -> str:
    """``postgres://`` / ``postgresql://`` -> ``postgresql+psycopg://`` (the driver we ship); others as given."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class StoreSettings(BaseSettings):
    """The store's configuration: ``HOTLINE_*`` environment variables, read when the object is made (once, at
    a process's entry point, which passes it on); keyword arguments override them (``StoreSettings(
    database_url=...)``), and so does a URL given alone (``StoreSettings("sqlite:///x.db")``)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", frozen=True, extra="ignore")

    database_url: str = Field(
        "",
        description="any SQLAlchemy URL; postgres:// means psycopg 3. Default: the "
        "SQLite file hotline.db in HOTLINE_DATA_DIR",
    )
    data_dir: Path = Field(Path(DEFAULT_DATA_DIR), description="the SQLite file's directory (default ./data)")
    database_echo: bool = Field(False, description="log every SQL statement (debugging)")
    # the pool of one process (PostgreSQL): size it so that workers x (size + overflow) + the live driver's
    # few stay under the server's max_connections (docs/operator.md)
    pool_size: int = Field(5, ge=1, description="connections each process keeps open (PostgreSQL)")
    pool_overflow: int = Field(5, ge=0, description="extra connections a process may open under load")
    pool_timeout: float = Field(10.0, gt=0, description="seconds a request waits for a free connection, then 503")
    statement_timeout: float = Field(15.0, ge=0, description="seconds one SQL statement may run (0: no limit)")
    lock_timeout: float = Field(5.0, ge=0, description="seconds a statement waits for a row or table lock")
    idle_in_transaction_timeout: float = Field(30.0, ge=0, description="seconds a transaction may sit idle")
    connect_timeout: float = Field(3.0, gt=0, description="seconds to wait for the database to accept a connection")
    pool_pre_ping: bool = Field(
        True,
        description="check a pooled connection before use when it has been idle for "
        "HOTLINE_POOL_PING_AFTER seconds (a database restart costs no request); off: never",
    )
    pool_ping_after: float = Field(
        1.0,
        ge=0,
        description="seconds a pooled connection may rest before it is checked on its next use "
        "(0: before every use); under load connections rest less and cost no check",
    )
    max_connections: int = Field(
        0,
        ge=0,
        description="connections all processes of one service may hold together; "
        "split between the workers (0: pool size + overflow each)",
    )

    def __init__(self, database_url: str | None = None, /, **values: object) -> None:
        # BaseSettings' first positional parameter is a private option (_case_sensitive): a URL given
        # positionally would be taken for it and silently ignored
        if database_url is not None:
            if not isinstance(database_url, str):
                raise TypeError(f"StoreSettings takes a database URL, not {type(database_url).__name__}")
            values["database_url"] = database_url
        super().__init__(**values)  # type: ignore[arg-type]

    @model_validator(mode="after")
    def _default_url(self) -> "StoreSettings":
        url = self.database_url or f"sqlite:///{(self.data_dir / SQLITE_FILE).as_posix()}"
        object.__setattr__(self, "database_url", normalise_url(url))
        return self

    def for_processes(self, processes: int) -> "StoreSettings":
        """These settings for one pool of one of ``processes`` workers: with ``max_connections`` set, each pool
        gets an equal share of it (at least one connection, a third of the share as overflow). On PostgreSQL a
        console worker keeps two pools: its thread pool's and its event loop's (``make_async_engine``)."""
        if not self.max_connections:
            return self
        pools = max(1, processes) * (1 if self.is_sqlite else 2)
        share = max(1, self.max_connections // pools)
        overflow = share // 3
        return self.model_copy(update={"pool_size": share - overflow, "pool_overflow": overflow})

    @property
    def echo(self) -> bool:
        return self.database_echo

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "postgresql"

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
    its own. Inside a unit of work (``adapters.store.uow``) it runs on the unit's connection: the unit commits
    or rolls back whole, and a method refuses (the core's rules, a conditional update that changed nothing)
    before it writes, so ``write()`` needs no savepoint there (two round trips each). ``guarded()`` is for the
    writes the database itself may refuse after something was written or mid-statement (a unique key taken,
    turned into a domain error the caller may catch and go on from): in a unit it is a savepoint, so the
    refusal undoes only itself and leaves the unit usable (on PostgreSQL a failed statement aborts the whole
    transaction otherwise). One exception, on the hot path: ``SqlOrders.place`` refuses after its writes
    without a savepoint, and its unit rolls back whole."""

    def __init__(self, engine: Engine, connection: Connection | None = None) -> None:
        self.engine = engine
        self.connection = connection

    def write(self) -> ContextManager[Connection]:
        if self.connection is None:
            return write_transaction(self.engine)
        return nullcontext(self.connection)

    def guarded(self) -> ContextManager[Connection]:
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
    files the database file's mode). On PostgreSQL the pool is sized by the settings and every session bounds
    its waits (statement, lock and idle-in-transaction timeouts), so a held lock or a slow query answers with
    an error instead of filling the pool; ``kwargs`` override (tests)."""
    if settings is None:
        settings = StoreSettings()
    elif isinstance(settings, str):
        settings = StoreSettings(settings)
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
    ping_idle = _server_options(settings, kwargs)
    engine = create_engine(url, echo=settings.echo, **kwargs)
    if ping_idle:
        ping_when_idle(engine, settings.pool_ping_after)
    return engine


def make_async_engine(settings: StoreSettings, **kwargs) -> AsyncEngine | None:
    """An engine of the asyncio driver for the same PostgreSQL database, with the same pool settings and
    session timeouts as ``make_engine`` (its own pool: ``for_processes`` counts two per process); None for
    any other database (SQLite: no async driver here). The console's hot routes run on it (``console.on_loop``)."""
    if not settings.is_postgresql:
        return None
    if "poolclass" not in kwargs:
        # every connection stays open: on the event loop a request holds its connection while it waits for
        # its turns, so a surge keeps more than pool_size busy, and overflow connections given back were
        # closed and opened again (16 new server processes a second under benchmarks/orders_api)
        kwargs.setdefault("pool_size", settings.pool_size + settings.pool_overflow)
        kwargs.setdefault("max_overflow", 0)
        # and each prepares a statement at its first use, not its sixth (psycopg's default): a prepared one
        # skips PostgreSQL's parse and plan (0.1 ms of a 0.13 ms lookup), and in a surge's first seconds
        # every statement would otherwise be new on every connection
        kwargs.setdefault("connect_args", {}).setdefault("prepare_threshold", 0)
    ping_idle = _server_options(settings, kwargs)
    engine = create_async_engine(settings.database_url, echo=settings.echo, **kwargs)
    if ping_idle:
        ping_when_idle(engine.sync_engine, settings.pool_ping_after)
    return engine


def _server_options(settings: StoreSettings, kwargs: dict) -> bool:
    """Fill a server database's engine ``kwargs`` from the settings (pool, pre-ping, session timeouts) where
    the caller did not; whether to ping pooled connections only when they have rested (``ping_when_idle``)."""
    ping_idle = settings.pool_pre_ping and settings.pool_ping_after > 0 and "pool_pre_ping" not in kwargs
    kwargs.setdefault("pool_pre_ping", settings.pool_pre_ping and not ping_idle)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", settings.pool_size)
        kwargs.setdefault("max_overflow", settings.pool_overflow)
        kwargs.setdefault("pool_timeout", settings.pool_timeout)
    connect_args = kwargs.setdefault("connect_args", {})
    if make_url(settings.database_url).get_backend_name() == "postgresql":
        connect_args.setdefault("connect_timeout", max(1, round(settings.connect_timeout)))
        connect_args.setdefault("options", session_options(settings))
    return ping_idle


def ping_when_idle(engine: Engine, idle: float) -> None:
    """Check a pooled connection before use only when it has rested ``idle`` seconds since it was given back:
    under load (a connection back in the pool within a second) a request costs no round trip for the check,
    while one that sat through a database restart is found dead and replaced before a request gets it.
    A connection that died within the last ``idle`` seconds fails its request with 503, and SQLAlchemy then
    replaces every connection of the pool."""

    def checked_in(_dbapi_connection, record) -> None:
        record.info["rested_since"] = time.monotonic()

    def checkout(dbapi_connection, record, _proxy) -> None:
        rested_since = record.info.pop("rested_since", None)
        if rested_since is None or time.monotonic() - rested_since < idle:
            return  # new, or back in the pool a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if not engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise
            alive = False
        if not alive:
            raise DisconnectionError("the pooled connection is gone")  # the pool connects anew

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checkout)


def session_options(settings: StoreSettings) -> str:
    """libpq ``options``: the server-side timeouts of every session, in milliseconds (0: none)."""
    timeouts = {
        "statement_timeout": settings.statement_timeout,
        "lock_timeout": settings.lock_timeout,
        "idle_in_transaction_session_timeout": settings.idle_in_transaction_timeout,
    }
    return " ".join(f"-c {name}={round(seconds * 1000)}" for name, seconds in timeouts.items())
