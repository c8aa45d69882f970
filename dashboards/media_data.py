"""The media page's data: per-airing ROI of the store's event log (``reports.tables.roi_report``, i.e.
``core.media``), grouped by airing, channel, program or day, and an airing's calls. No figure code here."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

import pandas as pd

from adapters.store.airings import SqlAirings
from adapters.store.eventlog import SqlEventLog
from core.config import SITE_ZONE, Airing
from core.media import AiringResult, ResponseModel, attribute, calls_from_log, constant_baseline
from dashboards import services
from reports.airings import parse_airings_csv
from reports.call_lives import call_lives
from reports.eventlog import as_frame, frame_to_records
from reports.tables import UNATTRIBUTED, roi_report

GROUPS = ("airing", "channel", "program", "day")
SUMS = ("cost", "expected_calls", "calls", "answered", "abandoned", "callback_tickets", "orders", "revenue")
SHOWN = (
    "key",
    "calls",
    "answered",
    "abandoned",
    "orders",
    "revenue",
    "cost",
    "cost_per_call",
    "cost_per_order",
    "mer",
    "revenue_lost_to_abandonment",
)
CALL_COLUMNS = ("call_id", "arrived", "hotline", "outcome", "wait", "talk", "agent", "weight")


def model(window_min: float = 30, baseline_per_hour: float = 0) -> ResponseModel:
    """The response model ``hotline report roi`` uses, with its defaults."""
    return ResponseModel(window=window_min * 60, baseline=constant_baseline(baseline_per_hour / 3600))


def schedule(contents: bytes, name: str) -> list[Airing]:
    """An uploaded schedule (``reports.airings``: every problem with file, line and column)."""
    return parse_airings_csv(contents, name)


def store_airings() -> list[Airing]:
    return SqlAirings(services.engine()).list()


def log_for(airings: Sequence[Airing], window_s: float) -> pd.DataFrame:
    """The store's records from the first airing's start to the last one's response window's end."""
    if not airings:
        return SqlEventLog(services.engine()).frame()
    start = min(a.start for a in airings)
    end = max(a.start + a.length for a in airings) + window_s + 3600
    return SqlEventLog(services.engine()).frame(start=start, end=end)


def _key(row: pd.Series, group: str) -> str:
    if group == "channel":
        return row["channel"] or UNATTRIBUTED
    if group == "program":
        return row["product"] or UNATTRIBUTED
    if group == "day":
        return (
            datetime.fromtimestamp(row["start"], SITE_ZONE).strftime("%Y-%m-%d")
            if row["start"] == row["start"]
            else UNATTRIBUTED
        )
    return row["airing_id"]


def roi_by(log: pd.DataFrame, airings: Sequence[Airing], group: str, response: ResponseModel) -> pd.DataFrame:
    """ROI per airing, channel, program (product) or day: counts summed, the ratios of ``core.media``'s
    ``AiringResult`` over the sums."""
    table = roi_report(log, airings, response)
    if group == "airing":
        return table.rename(columns={"airing_id": "key"})[list(SHOWN)]
    keys = table.apply(_key, axis=1, group=group)
    rows = []
    for key, part in table.groupby(keys, sort=True):
        sums = {c: float(part[c].sum()) for c in SUMS}
        rows.append({"key": key, **AiringResult(str(key), "", "", "", "", 0.0, **sums).as_row()})
    return pd.DataFrame(rows, columns=["key", *AiringResult("", "", "", "", "", 0, 0, 0).as_row()])[list(SHOWN)]


def airing_calls(log: pd.DataFrame, airings: Sequence[Airing], airing_id: str, response: ResponseModel) -> pd.DataFrame:
    """The calls an airing was credited with (``core.media``'s weights) and what became of each."""
    report = attribute(airings, calls_from_log(frame_to_records(as_frame(log))), (), response)
    weights = {call: w[airing_id] for call, w in report.call_weights.items() if w.get(airing_id, 0) > 0}
    lives = call_lives(log)
    lives = lives.loc[lives["call_id"].isin(weights)].copy()
    lives["weight"] = lives["call_id"].map(weights)
    lives["arrived"] = (
        pd.to_datetime(lives["arrived"], unit="s", utc=True).dt.tz_convert(SITE_ZONE).dt.strftime("%H:%M:%S")
    )
    return lives[list(CALL_COLUMNS)].round(2)
