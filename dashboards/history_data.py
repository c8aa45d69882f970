"""The history page's data: KPIs per day, ISO week or month of the store's event log (imported records or
live), and one day's arrivals per interval. No figure code here."""

from __future__ import annotations

import pandas as pd

from adapters.store.eventlog import SqlEventLog
from dashboards import log_cache, services
from dashboards.live_data import day_bounds, periods_with_calls
from reports.kpi import interval_kpis, summary_kpis

COLUMNS = ("period", "offered", "answered", "abandoned", "abandon_rate", "sl_offered", "asa", "aht")


def kpis_per_period(period: str, target_s: float = 20) -> pd.DataFrame:
    """One row per period the log covers (``reports.kpi.summary_kpis`` of its records)."""
    events = SqlEventLog(services.engine())
    rows = []
    for start, end, label in periods_with_calls(period):
        log = events.frame(start=start, end=end)
        summary = summary_kpis(log, target_s=target_s)
        if len(summary) and summary["offered"].iloc[0] > 0:
            rows.append({"period": label, **{c: summary[c].iloc[0] for c in COLUMNS[1:] if c in summary}})
    return pd.DataFrame(rows, columns=COLUMNS)


def arrivals(day: str, interval_s: float = 900) -> pd.DataFrame:
    start, end = day_bounds(day)
    return interval_kpis(
        log_cache.day_log(services.engine(), start, end).frame, interval_s=interval_s, target_s=20, by_queue=False
    )
