"""The event log in the database: ``core.log.LogRecord`` rows tagged with the ``source`` that wrote them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from sqlalchemy import Connection, Engine, func, select

from adapters.store.models import EventRecord
from adapters.store.pipeline import write_rows
from adapters.store.queries import in_period
from adapters.store.settings import StoreAccess
from core.log import FIELDS, LogRecord

if TYPE_CHECKING:
    import pandas as pd

_TABLE = EventRecord.__table__
_TEXT = FIELDS[1:]
BATCH = 5000


def record_row(record: LogRecord, source: str, seq: int | None = None) -> dict:
    row = dict(zip(FIELDS, record.as_text_row()))
    row["time"] = float(record.time)
    row["source"] = source
    row["seq"] = seq
    return row


def insert_records(
    connection: Connection,
    records: Iterable[LogRecord],
    source: str = "",
    batch: int = BATCH,
    first_seq: int | None = None,
) -> int:
    """Insert records on an open connection (the caller owns the transaction); returns how many.
    ``first_seq``: number them from there (their positions in the source's log; a position already stored
    for that source violates a unique index, so a record shipped twice is refused)."""
    n = 0
    rows: list[dict] = []
    for i, record in enumerate(records):
        rows.append(record_row(record, source, None if first_seq is None else first_seq + i))
        if len(rows) >= batch:
            write_rows(connection, _TABLE, rows)
            n += len(rows)
            rows = []
    if rows:
        write_rows(connection, _TABLE, rows)
        n += len(rows)
    return n


class SqlEventLog:
    """``EventLogRepository`` over SQLAlchemy."""

    def __init__(self, engine: Engine, *, connection: Connection | None = None) -> None:
        self.engine = engine
        self.db = StoreAccess(engine, connection)

    def append(self, records: Iterable[LogRecord], source: str = "", first_seq: int | None = None) -> int:
        with self.db.write() as connection:
            return insert_records(connection, records, source, first_seq=first_seq)

    def _select(self, source: str | None, start: float | None = None, end: float | None = None):
        columns = [_TABLE.c[name] for name in FIELDS]
        query = select(*columns).order_by(_TABLE.c.time, _TABLE.c.id)
        if source is not None:
            query = query.where(_TABLE.c.source == source)
        return in_period(query, _TABLE.c.time, start, end)

    def records(self, source: str | None = None) -> list[LogRecord]:
        with self.db.read() as connection:
            return [LogRecord(*row) for row in connection.execute(self._select(source))]

    def frame(
        self,
        source: str | None = None,
        *,
        start: float | None = None,
        end: float | None = None,
        after_id: int | None = None,
        with_id: bool = False,
    ) -> pd.DataFrame:
        """The log table ``reports.eventlog`` works on: ``time`` float64 and the text columns; only the records
        of [start, end) when given. ``after_id``: only the records inserted after that ``id``; ``with_id``: the
        ``id`` column too (insertion order) -- together they bring a cached frame up to date."""
        import pandas as pd  # here, so writing records (imports, the shipper) does not load pandas

        query = self._select(source, start, end)
        if after_id is not None:
            query = query.where(_TABLE.c.id > after_id)
        columns = list(FIELDS)
        if with_id:
            query, columns = query.add_columns(_TABLE.c.id), [*columns, "id"]
        rows = self._driver_rows(query)
        frame = pd.DataFrame.from_records(rows, columns=columns, nrows=len(rows))  # one pass over the rows
        types = {"time": "float64", **{name: "str" for name in _TEXT}}
        return frame.astype({**types, "id": "int64"} if with_id else types)

    def _driver_rows(self, query) -> list[tuple]:
        """The rows of ``query`` as the database driver returns them: plain floats and text need no conversion,
        and SQLAlchemy's result rows took three times as long as the query on a day of 40,000 calls."""
        compiled = query.compile(dialect=self.engine.dialect)
        values = compiled.construct_params()
        params = tuple(values[name] for name in compiled.positiontup or ()) if compiled.positional else values
        with self.db.read() as connection:
            # executed by SQLAlchemy, so a driver error arrives as SQLAlchemy's (DataError, OperationalError, ...)
            # and the console answers it as it answers every other; the rows are fetched from the driver's cursor
            result = connection.exec_driver_sql(str(compiled), params)
            try:
                return result.cursor.fetchall()  # type: ignore[union-attr]
            finally:
                result.close()

    def version(self, start: float | None = None, end: float | None = None) -> tuple[int, int]:
        """(how many records, highest ``id``) of [start, end): the log only grows, so a record written there
        since changes it (the check a cached frame makes before it is used again)."""
        query = select(func.count(), func.coalesce(func.max(_TABLE.c.id), 0))
        query = in_period(query, _TABLE.c.time, start, end)
        with self.db.read() as connection:
            count, newest = connection.execute(query).one()
        return int(count), int(newest)

    def count(self, source: str | None = None) -> int:
        query = select(func.count()).select_from(_TABLE)
        if source is not None:
            query = query.where(_TABLE.c.source == source)
        with self.db.read() as connection:
            return int(connection.execute(query).scalar_one())

    def last_shipped(self, source: str) -> tuple[int, LogRecord] | None:
        """The highest ``seq`` of ``source`` and its record, or None when none was shipped."""
        columns = [_TABLE.c[name] for name in FIELDS]
        query = (
            select(_TABLE.c.seq, *columns)
            .where(_TABLE.c.source == source, _TABLE.c.seq.is_not(None))
            .order_by(_TABLE.c.seq.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else (int(row[0]), LogRecord(*row[1:]))

    def times(self, verb: str) -> list[float]:
        """The times of every record with ``verb`` (e.g. ENTERQUEUE: when calls came), in order."""
        query = select(_TABLE.c.time).where(_TABLE.c.verb == verb).order_by(_TABLE.c.time)
        with self.db.read() as connection:
            return [float(t) for t in connection.execute(query).scalars()]

    def time_span(self) -> tuple[float, float] | None:
        """The first and last record's time, None for an empty log."""
        with self.db.read() as connection:
            low, high = connection.execute(select(func.min(_TABLE.c.time), func.max(_TABLE.c.time))).one()
        return None if low is None else (float(low), float(high))

    def sources(self) -> list[str]:
        with self.db.read() as connection:
            return list(connection.execute(select(_TABLE.c.source).distinct().order_by(_TABLE.c.source)).scalars())


class EventLogSink:
    """An ``EventSink`` (``append(record)``) that writes to the database in batches. Call ``flush()``
    (or use it as a context manager) to write what is buffered."""

    def __init__(self, engine: Engine, source: str = "", batch: int = 1000) -> None:
        self.log = SqlEventLog(engine)
        self.source = source
        self.batch = batch
        self._buffer: list[LogRecord] = []

    def append(self, record: LogRecord, /) -> None:
        self._buffer.append(record)
        if len(self._buffer) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            self.log.append(self._buffer, self.source)
            self._buffer = []

    def __enter__(self) -> "EventLogSink":
        return self

    def __exit__(self, *exc) -> None:
        self.flush()


class FanOut:
    """One ``EventSink`` that hands every record to several (the core's list, the database, ...)."""

    def __init__(self, *sinks) -> None:
        self.sinks = sinks

    def append(self, record: LogRecord, /) -> None:
        for sink in self.sinks:
            sink.append(record)
