"""The seed systems' report list, as flat tables: per agent and period, per queue and interval, callback
outcomes, orders per product and per airing, and the per-airing media ROI.

Every function takes the event-log table (``reports.eventlog``) or an iterable of ``LogRecord`` -- a twin's
log or a live/stored one, the same code -- and returns a flat ``pandas.DataFrame`` ready for a screen, CSV
or Excel (``reports.export``). Agent and queue figures are ``reports.kpi``'s; this module only shapes them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from core.config import Airing
from core.log import Verb, data_column
from core.media import ResponseModel, attribute, calls_from_log, orders_from_log
from core.orders import Order
from core.tickets import OUTCOMES
from reports.agent_kpis import agent_period_kpis
from reports.eventlog import TEXT_DTYPE, as_frame, frame_to_records
from reports.kpi import KPI_COLUMNS, interval_kpis, summary_kpis
from reports.periods import local_zone

UNATTRIBUTED = "(unattributed)"
NO_AIRING = "(none)"


def local_time(epoch: pd.Series, utc_offset_h: float | None = None, fmt: str = "%Y-%m-%d %H:%M") -> pd.Series:
    """Epoch seconds as local clock text (NaN -> "")."""
    zone = local_zone(utc_offset_h)
    return pd.Series(
        [
            datetime.fromtimestamp(t, zone).strftime(fmt) if np.isfinite(t) else ""
            for t in epoch.to_numpy(dtype="float64")
        ],
        index=epoch.index,
        dtype=TEXT_DTYPE,
    )


# --- agents and queues: reports.kpi, shaped ------------------------------------------------------------


def agent_report(log, period: str = "day", *, utc_offset_h: float | None = None) -> pd.DataFrame:
    """Per agent and day / ISO week / month: talk, idle, wrap-up and not-ready seconds, calls, transfers,
    AHT and the rest of ``reports.kpi.AGENT_PERIOD_COLUMNS``."""
    return agent_period_kpis(log, period, utc_offset_h=utc_offset_h)


QUEUE_REPORT_COLUMNS = (
    "interval",
    "interval_start",
    "interval_end",
    "queue",
    "offered",
    "answered",
    "abandoned",
    "abandon_rate",
    "short_abandoned",
    "to_callback",
    "queued",
    "queued_share",
    "abandon_rate_queued",
    "wait_queued",
    "wait_abandoned",
    "sl_offered",
    "sl_answered",
    "asa",
    "longest_wait",
    "aht",
    "answered_in_target",
    "callbacks_created",
)
ALL_QUEUES = "(all)"  # the queue of the report's total row


def queue_report(
    log, interval_s: float = 900, target_s: float = 20, *, utc_offset_h: float | None = None
) -> pd.DataFrame:
    """Per queue and interval: offered, answered, abandoned, abandonment rate, the share that queued, the
    abandon rate among them, mean waits of queued and abandoned calls, service level, ASA, longest wait
    (``reports.kpi.interval_kpis``; ``KPI_COLUMNS`` defines them), with the interval's local start time as
    text in ``interval``; a last row, interval ``all`` and queue ``(all)``, totals every queue and interval."""
    table = interval_kpis(log, interval_s, target_s, by_queue=True, utc_offset_h=utc_offset_h)
    table.insert(0, "interval", local_time(table["interval_start"], utc_offset_h))
    if table.empty:
        return table[list(QUEUE_REPORT_COLUMNS)]
    total = summary_kpis(log, target_s).rename(columns={"start": "interval_start", "end": "interval_end"})
    total = total.assign(interval="all", queue=ALL_QUEUES)
    total["interval_start"], total["interval_end"] = table["interval_start"].min(), table["interval_end"].max()
    table = pd.concat([table, total[table.columns]], ignore_index=True)
    return table[list(QUEUE_REPORT_COLUMNS)].astype({"interval": TEXT_DTYPE, "queue": TEXT_DTYPE})


# --- callbacks ---------------------------------------------------------------------------------------

CALLBACK_COLUMNS: dict[str, str] = {
    "queue": "queue of the ticket (the queue its call entered)",
    "hotline": "hotline the caller dialled (CALLBACK_CREATED hotline; '' if the ticket was opened before the log)",
    "tickets": "tickets opened (CALLBACK_CREATED)",
    "attempts": "callback attempts finished (CALLBACK_DONE), unreachable ones included",
    **{outcome: f"attempts whose outcome was {outcome} (CALLBACK_DONE outcome)" for outcome in OUTCOMES},
    "other": "attempts with an outcome outside that list",
    "expired": "tickets expired unreached or unworked (CALLBACK_EXPIRED)",
    "closed": "tickets closed: attempts with a final outcome (not unreachable) + expired",
    "ordered_rate": "ordered / closed",
}


def callback_outcomes(log) -> pd.DataFrame:
    """Callback outcomes per queue and hotline (``CALLBACK_COLUMNS``), from the CALLBACK_* records."""
    frame = as_frame(log)
    verbs = (Verb.CALLBACK_CREATED, Verb.CALLBACK_DONE, Verb.CALLBACK_EXPIRED)
    rows = frame.loc[frame["verb"].isin(verbs)]
    created = rows.loc[rows["verb"] == Verb.CALLBACK_CREATED]
    hotline_of = dict(
        zip(
            created[data_column(Verb.CALLBACK_CREATED, "ticket")],
            created[data_column(Verb.CALLBACK_CREATED, "hotline")],
        )
    )
    # CALLBACK_CREATED, _DONE and _EXPIRED all name their ticket in the same column
    ticket = rows[data_column(Verb.CALLBACK_DONE, "ticket")]
    verb, outcome = rows["verb"], rows[data_column(Verb.CALLBACK_DONE, "outcome")]
    done = verb == Verb.CALLBACK_DONE
    d = pd.DataFrame(
        {
            "queue": rows["queue"].astype(TEXT_DTYPE),
            "hotline": ticket.map(hotline_of).fillna("").astype(TEXT_DTYPE),
            "tickets": verb == Verb.CALLBACK_CREATED,
            "attempts": done,
            **{name: done & (outcome == name) for name in OUTCOMES},
            "other": done & ~outcome.isin(OUTCOMES),
            "expired": verb == Verb.CALLBACK_EXPIRED,
        }
    )
    counts = [c for c in CALLBACK_COLUMNS if c not in ("queue", "hotline", "closed", "ordered_rate")]
    table = d.groupby(["queue", "hotline"], sort=True)[counts].sum().astype("int64").reset_index()
    table["closed"] = table["attempts"] - table["unreachable"] + table["expired"]
    table["ordered_rate"] = (table["ordered"] / table["closed"].where(table["closed"] > 0)).astype("float64")
    return table[list(CALLBACK_COLUMNS)]


# --- orders ------------------------------------------------------------------------------------------

ORDER_FRAME_COLUMNS: dict[str, str] = {
    "order_id": "order number",
    "placed_at": "epoch seconds the order was placed",
    "hotline": "number the customer called",
    "airing_id": "airing named in the media survey ('' if none)",
    "call_id": "call the order was taken on ('' if unknown)",
    "sku": "product SKU ('' when only the event log is known: ORDER_PLACED names no product)",
    "name": "product name",
    "units": "units of the line (NaN when only the event log is known)",
    "revenue": "what the customer pays for the line: list price x units less its share of the order's discount",
}


def orders_from_events(log) -> pd.DataFrame:
    """One row per ORDER_PLACED record (``ORDER_FRAME_COLUMNS``; no product, no units)."""
    frame = as_frame(log)
    rows = frame.loc[frame["verb"] == Verb.ORDER_PLACED]

    def placed(name: str) -> pd.Series:
        return rows[data_column(Verb.ORDER_PLACED, name)]

    frame = pd.DataFrame(
        {
            "order_id": placed("order"),
            "placed_at": rows["time"],
            "hotline": placed("hotline"),
            "airing_id": placed("airing"),
            "call_id": rows["call_id"].where(rows["call_id"] != "NONE", ""),
            "sku": "",
            "name": "",
            "units": np.nan,
            "revenue": pd.to_numeric(placed("total"), errors="coerce").astype("float64"),
        },
        columns=list(ORDER_FRAME_COLUMNS),
    ).astype({"units": "float64", "sku": TEXT_DTYPE, "name": TEXT_DTYPE})
    return frame.reset_index(drop=True)


def order_lines(orders: Iterable[Order], *, include_cancelled: bool = False) -> pd.DataFrame:
    """One row per order line of stored orders (``ORDER_FRAME_COLUMNS``). The order's discount is shared
    among its lines in proportion to their list value, so the lines of an order add up to its total.
    Cancelled orders are left out unless ``include_cancelled``."""
    rows = []
    for order in orders:
        if order.status == "cancelled" and not include_cancelled:
            continue
        subtotal = order.subtotal
        airing = order.survey.airing_id if order.survey else ""
        for line in order.lines:
            share = order.discount * line.total / subtotal if subtotal else Decimal(0)
            rows.append(
                (
                    order.order_id,
                    order.placed_at,
                    order.hotline,
                    airing,
                    order.call_id,
                    line.sku,
                    line.name,
                    line.quantity,
                    float(line.total - share),
                )
            )
    table = pd.DataFrame(rows, columns=list(ORDER_FRAME_COLUMNS))
    return table.astype(
        {
            "placed_at": "float64",
            "units": "float64",
            "revenue": "float64",
            **{c: TEXT_DTYPE for c in ("order_id", "hotline", "airing_id", "call_id", "sku", "name")},
        }
    )


def _airing_frame(airings: Sequence[Airing]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "airing_id": pd.Series([a.airing_id for a in airings], dtype=TEXT_DTYPE),
            "channel": pd.Series([a.channel for a in airings], dtype=TEXT_DTYPE),
            "start": pd.Series([a.start for a in airings], dtype="float64"),
            "airing_product": pd.Series([a.product for a in airings], dtype=TEXT_DTYPE),
        }
    )


def _order_totals(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = frame.groupby(keys, sort=True, dropna=False)
    table = pd.DataFrame(
        {
            "orders": grouped["order_id"].nunique().astype("int64"),
            "units": grouped["units"].sum(min_count=1).astype("float64"),
            "revenue": grouped["revenue"].sum(),
        }
    ).reset_index()
    return table


def orders_by_product(orders: pd.DataFrame, airings: Sequence[Airing] = ()) -> pd.DataFrame:
    """Orders, units and revenue per product. ``orders`` is ``order_lines`` (products are SKUs) or
    ``orders_from_events`` (the event log names no product: the product of the order's airing stands in,
    from ``airings``, and units are unknown). Columns: sku, name, orders, units, revenue."""
    frame = orders.copy()
    if len(airings):
        product_of = {a.airing_id: a.product for a in airings}
        from_airing = frame["airing_id"].map(product_of).fillna("").astype(TEXT_DTYPE)
        frame["name"] = frame["name"].where(frame["sku"] != "", from_airing)
    return _order_totals(frame, ["sku", "name"])[["sku", "name", "orders", "units", "revenue"]]


def orders_by_airing(orders: pd.DataFrame, airings: Sequence[Airing] = ()) -> pd.DataFrame:
    """Orders, units and revenue per airing named in the media survey, with the airing's channel, start and
    product when ``airings`` knows it; orders without an airing on the row ``(none)``. Columns: airing_id,
    channel, start, product, orders, units, revenue."""
    frame = orders.assign(airing_id=orders["airing_id"].where(orders["airing_id"] != "", NO_AIRING))
    table = _order_totals(frame, ["airing_id"]).merge(_airing_frame(airings), on="airing_id", how="left")
    table = table.rename(columns={"airing_product": "product"})
    for column in ("channel", "product"):
        table[column] = table[column].fillna("").astype(TEXT_DTYPE)
    return table[["airing_id", "channel", "start", "product", "orders", "units", "revenue"]]


# --- media ROI ---------------------------------------------------------------------------------------

ROI_COLUMNS = (
    "airing_id",
    "channel",
    "hotline",
    "product",
    "kind",
    "start",
    "cost",
    "expected_calls",
    "calls",
    "answered",
    "abandoned",
    "callback_tickets",
    "orders",
    "revenue",
    "cost_per_call",
    "cost_per_order",
    "mer",
    "conversion_rate",
    "average_order_value",
    "revenue_lost_to_abandonment",
)


def roi_report(log, airings: Sequence[Airing], model: ResponseModel = ResponseModel()) -> pd.DataFrame:
    """``core.media.attribute`` over the log's calls and ORDER_PLACED records: one row per airing (calls,
    answered, abandoned, callback tickets, orders, revenue -- fractional where airings overlap -- cost per
    call and per order, MER, revenue lost to abandonment), then the ``(unattributed)`` remainder."""
    records = frame_to_records(as_frame(log))
    report = attribute(airings, calls_from_log(records), orders_from_log(records), model)
    table = pd.DataFrame(report.rows(), columns=list(ROI_COLUMNS))
    table.loc[table["airing_id"] == "", "airing_id"] = UNATTRIBUTED
    numeric = [c for c in ROI_COLUMNS if c not in ("airing_id", "channel", "hotline", "product", "kind")]
    table[numeric] = table[numeric].astype("float64")
    table.loc[table["airing_id"] == UNATTRIBUTED, ["start", "cost", "expected_calls"]] = np.nan
    return table


# --- all of them -------------------------------------------------------------------------------------


def order_tables(lines: pd.DataFrame, airings: Sequence[Airing] = ()) -> dict[str, pd.DataFrame]:
    """``orders_by_product`` and ``orders_by_airing`` of ``lines`` (``order_lines`` or ``orders_from_events``)."""
    return {
        "orders_by_product": orders_by_product(lines, airings),
        "orders_by_airing": orders_by_airing(lines, airings),
    }


def all_reports(
    log,
    lines: pd.DataFrame,
    airings: Sequence[Airing] = (),
    *,
    period: str = "day",
    interval_s: float = 900,
    target_s: float = 20,
    utc_offset_h: float | None = None,
    roi_model: ResponseModel | None = None,
) -> dict[str, pd.DataFrame]:
    """Every report by name, in workbook order: agents per ``period``, queues, callbacks, orders, and the
    media ROI when ``roi_model`` is given and airings are known."""
    tables = {
        f"agents_{period}": agent_report(log, period, utc_offset_h=utc_offset_h),
        "queues": queue_report(log, interval_s, target_s, utc_offset_h=utc_offset_h),
        "callbacks": callback_outcomes(log),
        **order_tables(lines, airings),
    }
    if roi_model is not None and airings:
        tables["roi"] = roi_report(log, airings, roi_model)
    return tables


__all__ = [
    "CALLBACK_COLUMNS",
    "KPI_COLUMNS",
    "ORDER_FRAME_COLUMNS",
    "QUEUE_REPORT_COLUMNS",
    "ROI_COLUMNS",
    "agent_report",
    "all_reports",
    "callback_outcomes",
    "local_time",
    "order_lines",
    "order_tables",
    "orders_by_airing",
    "orders_by_product",
    "orders_from_events",
    "queue_report",
    "roi_report",
]
