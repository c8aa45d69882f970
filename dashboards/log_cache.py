"""The event log's days kept in this process for the pages that refresh every few seconds.

A day read once is kept; on the next refresh one aggregate query (records and highest ``id`` of the day) says
whether anything was written there since, and only the records after the kept ``id`` are read and merged in.
The log only grows, so an unchanged count means unchanged records. When the merged frame does not come to the
count (on PostgreSQL a transaction can commit a lower ``id`` after a higher one was read) the day is read again
whole. Each distinct frame gets a new ``version`` number, so callers can keep what they computed from it.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from adapters.store.eventlog import SqlEventLog
from core.log import FIELDS

MAX_DAYS = 8  # per engine; a page looks at today and a few days around it


@dataclass(frozen=True)
class DayLog:
    frame: pd.DataFrame  # as SqlEventLog.frame(start=, end=) reads it; shared: do not modify
    version: int  # unique in this process for this frame


@dataclass(frozen=True)
class _Kept:
    log: DayLog
    ids: np.ndarray  # the frame's ``id`` per row
    count: int
    newest: int


_versions = itertools.count(1)
_kept: weakref.WeakKeyDictionary[Engine, dict[tuple[float, float], _Kept]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()  # Dash serves callbacks from several threads


def day_log(engine: Engine, start: float, end: float) -> DayLog:
    """The records of [start, end), read whole the first time and brought up to date after."""
    events = SqlEventLog(engine)
    with _lock:
        days = _kept.setdefault(engine, {})
        kept = days.get((start, end))
        if kept is not None:
            if events.version(start, end) == (kept.count, kept.newest):
                return kept.log
            kept = _brought_up_to_date(events, kept, start, end)
        if kept is None:
            kept = _kept_from(events.frame(start=start, end=end, with_id=True))
        if len(days) >= MAX_DAYS and (start, end) not in days:
            days.pop(next(iter(days)))
        days[(start, end)] = kept
        return kept.log


def _brought_up_to_date(events: SqlEventLog, kept: _Kept, start: float, end: float) -> _Kept | None:
    """``kept`` with the records written after it, or None when they do not add up (read the day again)."""
    new = events.frame(start=start, end=end, after_id=kept.newest, with_id=True)
    count, _ = events.version(start, end)
    if kept.count + len(new) != count:
        return None
    old = kept.log.frame.assign(id=kept.ids)
    return _kept_from(pd.concat([old, new], ignore_index=True).sort_values(["time", "id"], ignore_index=True))


def _kept_from(frame: pd.DataFrame) -> _Kept:
    ids = frame["id"].to_numpy()
    log = DayLog(frame[list(FIELDS)], next(_versions))
    return _Kept(log, ids, len(frame), int(ids.max()) if len(ids) else 0)


def forget() -> None:
    """Drop every kept day (a benchmark's cold read; an operator's reload)."""
    with _lock:
        _kept.clear()
