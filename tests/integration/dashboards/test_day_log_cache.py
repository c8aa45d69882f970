"""The live page's day kept in the process (``dashboards.log_cache``) and its memoised view give what a fresh
read of the store gives, after new records arrive -- from another source, earlier in the day than the newest
kept record, and outside the day -- on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pandas.testing import assert_frame_equal

from adapters.store.eventlog import SqlEventLog
from adapters.store.settings import StoreSettings
from core.config import SITE_ZONE
from core.log import NONE, LogRecord, Verb
from dashboards import live_data, log_cache, services
from reports.kpi import interval_kpis

DAY = date(2024, 3, 5)
MIDNIGHT = datetime.combine(DAY, datetime.min.time(), SITE_ZONE).timestamp()


def calls(first: int, n: int, at: float, agent: str) -> list[LogRecord]:
    """``n`` answered calls, one a minute from ``at`` seconds after midnight (three records each)."""
    records = []
    for i in range(first, first + n):
        arrive = MIDNIGHT + at + 60.0 * (i - first)
        records += [
            LogRecord(arrive, f"c{i}", "sales", NONE, Verb.ENTERQUEUE, "", "", "", "", ""),
            LogRecord(arrive + 5 + i % 30, f"c{i}", "sales", agent, Verb.CONNECT, "", "", "", "", ""),
            LogRecord(arrive + 200, f"c{i}", "sales", agent, Verb.COMPLETECALLER, "", "", "", "", ""),
        ]
    return records


def login(agent: str) -> LogRecord:
    return LogRecord(MIDNIGHT + 1, NONE, NONE, agent, Verb.AGENTLOGIN, "", "", "", "", "")


def test_the_kept_day_and_its_view_equal_a_fresh_read_after_new_records_arrive(engine):
    services.configure(StoreSettings(database_url=engine.url.render_as_string(hide_password=False)), engine)
    events = SqlEventLog(engine)
    start, end = live_data.day_bounds(DAY.isoformat())
    events.append([login("a1"), *calls(0, 40, 8 * 3600, "a1")], source="pbx-1")

    first = live_data.day_view(DAY.isoformat(), None)
    kept = log_cache.day_log(engine, start, end)
    assert_frame_equal(kept.frame, events.frame(start=start, end=end))
    assert first.totals["offered"] == 40
    assert live_data.day_view(DAY.isoformat(), None) is first  # nothing new: the view computed before

    # a second switch ships calls of the morning (before the kept newest record) and one of the next day
    events.append([login("b1"), *calls(100, 30, 6 * 3600, "b1")], source="pbx-2")
    events.append(calls(200, 1, 86400 + 3600, "b1"), source="pbx-2")
    events.append(calls(300, 5, 9 * 3600, "a1"), source="pbx-1")

    later = live_data.day_view(DAY.isoformat(), None)
    fresh = events.frame(start=start, end=end)
    again = log_cache.day_log(engine, start, end)
    assert again.version != kept.version
    assert_frame_equal(again.frame, fresh)
    assert_frame_equal(later.intervals, interval_kpis(fresh, interval_s=900, target_s=20, by_queue=False))
    assert later.totals["offered"] == 40 + 30 + 5
    assert log_cache.day_log(engine, start, end) is again


def test_an_empty_day_is_kept_and_filled_when_its_first_records_come(engine):
    events = SqlEventLog(engine)
    start, end = live_data.day_bounds(DAY.isoformat())
    empty = log_cache.day_log(engine, start, end)
    assert len(empty.frame) == 0 and list(empty.frame.columns) == list(events.frame().columns)
    events.append([login("a1"), *calls(0, 3, 3600, "a1")], source="")
    assert_frame_equal(log_cache.day_log(engine, start, end).frame, events.frame(start=start, end=end))
    assert events.frame(start=start, end=end, with_id=True)["id"].dtype == "int64"


def test_a_database_refusal_of_the_fast_read_is_sqlalchemys_error(engine):
    """The log's fast read runs on the driver's cursor; what the database refuses still comes as SQLAlchemy's
    error (which the console answers with 4xx/503), never the driver's own (a 500)."""
    import sqlalchemy.exc

    if engine.dialect.name == "postgresql":  # PostgreSQL text cannot hold NUL
        with pytest.raises(sqlalchemy.exc.DataError):
            SqlEventLog(engine).frame(source="\x00")
    else:
        assert SqlEventLog(engine).frame(source="\x00").empty
