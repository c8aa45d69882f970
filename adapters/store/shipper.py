"""``LogShipper``: a driver's event log into the store, in order, each record exactly once.

The driver's own files stay the source of truth (journal, queue_log); the shipper copies the log's records
(a list the driver only appends to, e.g. ``EventLogFile.records``) to the database from a thread of its
own, so a slow or absent database never holds up call handling. Each batch is one transaction that

* inserts the records into ``event_log`` with their position in the log as ``seq`` (unique per source:
  a record shipped twice is refused by the database, not by luck),
* applies the CALLBACK_* records to ``callback_ticket`` (``persist_core_records``),
* writes a call record (``core.call_log``) for every call the batch ends.

On start (and after every database error) it reads the highest ``seq`` shipped for its source and goes on
from the next record, so a kill -9 of the driver, a restart of the database or a commit whose answer was
lost ships nothing twice and loses nothing. Errors back off (``backoff_start`` doubling to ``backoff_max``),
logged at WARNING once per outage and at INFO when the database is back.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Sequence

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from adapters.store.eventlog import SqlEventLog
from adapters.store.migrate import upgrade
from adapters.store.outage import StoreOutage
from adapters.store.uow import SqlUnitOfWork
from app.core_records import persist_core_records
from core.call_log import CallRecordFold
from core.log import LogRecord

log = logging.getLogger("hotline.shipper")

BATCH = 500


class ShipperError(RuntimeError):
    """The store's log of this source is not this driver's log: shipping would mix two logs."""


def _same(stored: LogRecord, record: LogRecord) -> bool:
    return abs(float(stored.time) - float(record.time)) < 1e-6 and tuple(stored[1:]) == tuple(record.as_text_row()[1:])


class LogShipper:
    """Ships ``records`` (appended to by the driver, never changed) as ``source``; tickets go to the book
    ``ticket_source`` (the console's ``HOTLINE_TICKET_SOURCE``). ``start()`` runs it in a daemon thread;
    ``wake()`` after appending (cheap, any thread); ``stop(timeout)`` ships what it can within ``timeout``."""

    def __init__(
        self,
        engine: Engine,
        records: Sequence[LogRecord],
        *,
        source: str = "live",
        ticket_source: str = "",
        migrate: bool = True,
        batch: int = BATCH,
        backoff_start: float = 0.05,
        backoff_max: float = 2.0,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.engine = engine
        self.records = records
        self.source = source
        self.ticket_source = ticket_source
        self.migrate = migrate
        self.batch = batch
        self.backoff_start = backoff_start
        self.backoff_max = backoff_max
        self.on_error = on_error
        self.shipped = 0  # records [0, shipped) are in the store
        self.outage = StoreOutage(log, "shipper", back_level=logging.INFO)
        self.failed: ShipperError | None = None
        self._fold = CallRecordFold()
        self._in_step = False  # position and fold agree with the store
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._progress = threading.Condition()
        self._thread: threading.Thread | None = None

    # --- control -----------------------------------------------------------------------------------

    def start(self) -> "LogShipper":
        self._thread = threading.Thread(target=self._run, name=f"shipper-{self.source}", daemon=True)
        self._thread.start()
        return self

    def wake(self, *_) -> None:
        self._wake.set()

    def stop(self, timeout: float = 2.0) -> None:
        """Ship what is left (for up to ``timeout`` seconds), then end the thread."""
        self.wait_shipped(len(self.records), timeout)
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_shipped(self, count: int, timeout: float) -> bool:
        """Wait until the first ``count`` records are in the store (or the shipper gave up)."""
        with self._progress:
            return self._progress.wait_for(
                lambda: (
                    self.shipped >= count or self.failed is not None or not (self._thread and self._thread.is_alive())
                ),
                timeout,
            )

    # --- the thread --------------------------------------------------------------------------------

    def _run(self) -> None:
        delay = self.backoff_start
        while not self._stopping.is_set():
            try:
                if not self._in_step:
                    self._catch_up()
                shipped = self._ship_batch()
            except ShipperError as error:
                log.error("shipping stopped: %s", error)
                self.failed = error
                self._notify()
                return
            except Exception as error:  # the database (or a bug): the driver goes on, the log waits in its file
                self._in_step = False
                self.outage.failed(
                    error,
                    "shipping (the live log waits in its file)",
                    traceback=not isinstance(error, (SQLAlchemyError, OSError)),
                )
                if self.on_error:
                    self.on_error(error)
                self._stopping.wait(delay)
                delay = min(delay * 2, self.backoff_max)
                continue
            self.outage.answered(f"shipping from record {self.shipped}")
            delay = self.backoff_start
            if not shipped:
                self._wake.wait(1.0)
                self._wake.clear()

    def _catch_up(self) -> None:
        """Position after the last record the store has of this source, the call fold rebuilt up to it."""
        if self.migrate:
            upgrade(self.engine)
            self.migrate = False
        last = SqlEventLog(self.engine).last_shipped(self.source)
        position = 0 if last is None else last[0] + 1
        if position > len(self.records) or (last is not None and not _same(last[1], self.records[last[0]])):
            raise ShipperError(
                f"the store's event log of source {self.source!r} (up to record {position}) does "
                f"not match this driver's log ({len(self.records)} records): another data directory "
                f"shipped as {self.source!r}? Use another source name or the matching data directory"
            )
        self._fold = CallRecordFold()
        for record in self.records[:position]:
            self._fold.add(record)
        self._set_shipped(position)
        self._in_step = True

    def _ship_batch(self) -> int:
        start = self.shipped
        end = min(len(self.records), start + self.batch)
        if end <= start:
            return 0
        batch = list(self.records[start:end])
        ended = [fields for fields in map(self._fold.add, batch) if fields is not None]
        result = persist_core_records(
            batch,
            self.source,
            SqlUnitOfWork(self.engine, ticket_source=self.ticket_source),
            first_seq=start,
            ended_calls=ended,
        )
        for conflict in result.conflicts:
            log.warning("callback ticket not updated: %s", conflict)
        self._set_shipped(end)
        return end - start

    def _set_shipped(self, position: int) -> None:
        with self._progress:
            self.shipped = position
            self._progress.notify_all()

    def _notify(self) -> None:
        with self._progress:
            self._progress.notify_all()
