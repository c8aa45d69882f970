"""Statements sent to PostgreSQL together, in one round trip (psycopg's pipeline mode).

On a busy event loop every round trip of a request is a wait for its turn, and a request's latency grows with
its round trips; under the SKUs' locks every round trip is also a wait for every other order of a surge. So
the writes whose results nobody reads (an order's rows, an audit row) and the reads a decision needs are sent
together where they can be:

    with pipelined(connection):
        write_rows(connection, table, rows)           # queued: nothing read back
        stock = send_read(connection, [LOCK, READ], {"skus": skus})   # queued
    stock()                                           # the block's end brought every result back

``pipelined`` (PostgreSQL on psycopg, sync or async driver) queues what runs in the block and waits once, at
its end, for every result; an error of any statement is raised there, as SQLAlchemy raises it
(``DBAPIError``; a lost connection is not used again), and the statements after it did not run. (An error
may also come at a later statement of the block, if its result arrived meanwhile.) A statement
run through ``connection.execute`` in the block must not read its own result (a ``SELECT``'s rows, a
conditional update's rowcount): those are only known at the end. Elsewhere (SQLite) the block is a no-op
and every statement runs at once. ``send_read``'s statements go past SQLAlchemy's execution events and its
echo, and their rows come as the driver gives them (named tuples, no result processing).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from psycopg.pq import TransactionStatus
from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, Table, insert
from sqlalchemy.engine.interfaces import Compiled
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable
from sqlalchemy.util import await_only


def is_pipelining(connection: Connection) -> bool:
    """Whether ``pipelined`` sends statements together on this connection (psycopg, PostgreSQL)."""
    return connection.dialect.driver == "psycopg"


def _wait(connection: Connection, value: Any) -> Any:
    """A psycopg call's value: awaited (in the calling greenlet) on the async driver."""
    return await_only(value) if connection.dialect.is_async else value


@contextmanager
def pipelined(connection: Connection) -> Iterator[None]:
    """The block's statements go to the server together and their results come back at its end (module
    docstring). Blocks do not nest: psycopg would wait for the outer block's results on entering the inner."""
    if not is_pipelining(connection):
        yield
        return
    driver = connection.connection.driver_connection
    pipeline = driver.pipeline()
    if connection.dialect.is_async:
        await_only(pipeline.__aenter__())
        leave = lambda *exc: await_only(pipeline.__aexit__(*exc))  # noqa: E731
    else:
        pipeline.__enter__()
        leave = pipeline.__exit__
    driver_error = connection.dialect.loaded_dbapi.Error
    try:
        yield
    except BaseException as error:
        leave(type(error), error, error.__traceback__)  # psycopg logs, and does not raise, its own error here
        if isinstance(error, driver_error):  # an earlier statement's, arrived while this one was queued
            raise _as_sqlalchemy(connection, error) from error
        raise
    try:
        leave(None, None, None)
    except driver_error as error:
        raise _as_sqlalchemy(connection, error) from error


def write_rows(connection: Connection, table: Table, rows: list[dict]) -> None:
    """Insert ``rows`` reading nothing back, so that the write may wait in a ``pipelined`` block (``inline``:
    one row inserted alone would otherwise come back with its generated key, ``RETURNING``)."""
    if rows:
        connection.execute(insert(table).inline(), rows)


def send_read(
    connection: Connection, statements: Sequence[Executable], params: dict[str, Any]
) -> Callable[[], Sequence[Any]]:
    """Queue ``statements`` (module constants with named bind parameters, all given by ``params``) in the
    connection's ``pipelined`` block (on PostgreSQL; at once elsewhere); the function returned gives the last
    one's rows once the block has ended."""
    if not is_pipelining(connection):
        *before, last = statements
        for statement in before:
            connection.execute(statement, params)
        rows = connection.execute(last, params).all()
        return lambda: rows
    driver = connection.connection.driver_connection
    cursors = []
    for statement in statements:
        sent = _compiled(statement, connection).construct_expanded_state(params)  # an IN list's values
        cursors.append(driver.cursor(row_factory=namedtuple_row))
        _wait(connection, cursors[-1].execute(sent.statement, sent.parameters))
    return lambda: _wait(connection, cursors[-1].fetchall())


_COMPILED: dict[tuple[Executable, str], Compiled] = {}


def _compiled(statement: Executable, connection: Connection) -> Compiled:
    """``statement`` compiled for the connection's dialect once (compiling takes longer than the round trip)."""
    key = (statement, connection.dialect.name)
    compiled = _COMPILED.get(key)
    if compiled is None:
        if len(_COMPILED) > 256:  # the statements are module constants: this only bounds a misuse
            _COMPILED.clear()
        compiled = _COMPILED[key] = statement.compile(dialect=connection.dialect)
    return compiled


def send_commit(connection: Connection) -> None:
    """Queue the transaction's COMMIT in the connection's ``pipelined`` block (on PostgreSQL; nothing
    elsewhere): the writes before it and the commit take one round trip. SQLAlchemy's own commit after the
    block then finds the transaction ended and sends nothing."""
    if not is_pipelining(connection):
        return
    driver = connection.connection.driver_connection
    if driver.info.transaction_status != TransactionStatus.IDLE:  # else there is nothing to commit
        _wait(connection, driver.cursor().execute("COMMIT", prepare=False))


def _as_sqlalchemy(connection: Connection, error: Exception) -> DBAPIError:
    """A driver's error at the end of a ``pipelined`` block as SQLAlchemy raises one (``DBAPIError`` and its
    kinds), the connection invalidated if it was lost."""
    gone = connection.dialect.is_disconnect(error, connection.connection.dbapi_connection, None)
    if gone:
        connection.invalidate(error)
    return DBAPIError.instance(
        "(statements sent together)",
        {},
        error,
        connection.dialect.loaded_dbapi.Error,
        connection_invalidated=gone,
    )
