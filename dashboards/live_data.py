"""The live page's data: a day of the store's event log per interval and per airing, and the saved plan it is
compared with (its bands moved onto the day at the same clock time). No figure code here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from adapters.store.airings import SqlAirings
from adapters.store.eventlog import SqlEventLog
from adapters.store.plans import SqlPlans, UnknownPlan
from core.config import SITE_ZONE
from core.log import Verb
from dashboards import log_cache, services
from dashboards.plan_data import read_scenario
from reports.kpi import interval_kpis
from reports.periods import period_bounds
from reports.tables import roi_report

AIRING_COLUMNS = (
    "airing_id",
    "channel",
    "product",
    "start",
    "expected_calls",
    "calls",
    "answered",
    "abandoned",
    "orders",
    "revenue",
)
TOTALS = ("offered", "answered", "abandoned")


def periods_with_calls(period: str = "day") -> list[tuple[float, float, str]]:
    """(start, end, label) of every local day, ISO week or month in which calls came, oldest first."""
    arrivals = np.asarray(SqlEventLog(services.engine()).times(Verb.ENTERQUEUE))
    if not len(arrivals):
        return []
    bounds = period_bounds(float(arrivals[0]), float(arrivals[-1]), period)
    starts = np.searchsorted(arrivals, [b[0] for b in bounds])
    ends = np.searchsorted(arrivals, [b[1] for b in bounds])
    return [b for b, lo, hi in zip(bounds, starts, ends) if hi > lo]


def days() -> list[str]:
    return [label for _, _, label in periods_with_calls("day")]


def day_bounds(day: str) -> tuple[float, float]:
    start = datetime.combine(date.fromisoformat(day), time(), SITE_ZONE)
    return start.timestamp(), start.timestamp() + 86400


def plan_options() -> list[dict[str, Any]]:
    return [{"label": f"#{p.id} {p.name}", "value": p.id} for p in SqlPlans(services.engine()).list()]


@lru_cache(maxsize=16)
def _plan(plan_id: int) -> tuple[dict[str, Any], float, float] | None:
    """A saved plan as the figures take it, with its service-level target and its day's midnight."""
    try:
        saved = SqlPlans(services.engine()).get(plan_id)
    except UnknownPlan:
        return None
    scenario = read_scenario(saved.scenario, saved.name)
    midnight = datetime.fromtimestamp(scenario.epoch, SITE_ZONE).replace(hour=0, minute=0, second=0).timestamp()
    return {"name": saved.name, "results": saved.results}, scenario.targets.within, midnight


@dataclass(frozen=True)
class DayView:
    intervals: pd.DataFrame  # reports.kpi.interval_kpis of the day
    totals: dict[str, float]
    airings: pd.DataFrame  # AIRING_COLUMNS
    plan: dict[str, Any] | None
    shift: float  # seconds that move the plan's times onto the day


_views: dict[tuple, tuple[int, DayView]] = {}  # (day, plan, interval, target, airings) -> (log version, view)


def day_view(day: str | None, plan_id: int | None, *, interval_s: float = 900, target_s: float = 20) -> DayView:
    """The day's KPIs against the plan; between refreshes that brought no new record (and no airing changed)
    the view computed before, from the day's log kept in this process (``log_cache``)."""
    plan, shift = None, 0.0
    if day is None:
        return DayView(pd.DataFrame(), dict.fromkeys(TOTALS, 0.0), pd.DataFrame(columns=AIRING_COLUMNS), None, 0.0)
    start, end = day_bounds(day)
    if plan_id is not None and (found := _plan(int(plan_id))) is not None:
        plan, target_s, midnight = found
        interval_s = float(plan["results"].get("interval_s", interval_s))
        shift = start - midnight
    engine = services.engine()
    day_log = log_cache.day_log(engine, start, end)
    airings = SqlAirings(engine).list(start=start, end=end)
    key = (day, plan_id, interval_s, target_s, tuple(airings))
    if (kept := _views.get(key)) is not None and kept[0] == day_log.version:
        return kept[1]
    log = day_log.frame
    intervals = interval_kpis(log, interval_s=interval_s, target_s=target_s, by_queue=False)
    totals = {k: float(intervals[k].sum()) if len(intervals) else 0.0 for k in TOTALS}  # one analysis, not two
    per_airing = roi_report(log, airings)[list(AIRING_COLUMNS)] if airings else pd.DataFrame(columns=AIRING_COLUMNS)
    if len(per_airing):
        per_airing = per_airing.assign(
            start=pd.to_datetime(per_airing["start"], unit="s", utc=True).dt.tz_convert(SITE_ZONE).dt.strftime("%H:%M")
        ).round(1)
    view = DayView(intervals, totals, per_airing, plan, shift)
    if len(_views) >= 32:
        _views.clear()
    _views[key] = (day_log.version, view)
    return view
