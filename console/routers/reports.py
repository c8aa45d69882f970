"""Reports over the stored event log and orders (the tables of ``reports.tables``, as ``hotline report``
prints them): agents per day/week/month, queues per interval, callback outcomes, orders per product and
airing, and the media ROI per airing (``core.media.attribute``); ``/api/reports/workbook.xlsx`` has them all."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from adapters.store.airings import SqlAirings
from adapters.store.eventlog import SqlEventLog
from adapters.store.orders import SqlOrders
from console.deps import EngineDep, require
from console.models import AppUser
from console.schemas import RoiReport, RoiRow
from core.media import ResponseModel, attribute
from reports.export import write_xlsx
from reports.tables import agent_report, all_reports, callback_outcomes, order_lines, order_tables, queue_report

router = APIRouter(prefix="/reports", tags=["reports"])
Reader = Annotated[AppUser, require("reports.read")]
Source = Annotated[
    str | None,
    Query(
        max_length=64,
        pattern=r"^[^\x00-\x1f]*$",
        description="event-log source (the live center's is ''); default: every source",
    ),
]
Offset = Annotated[
    float | None,
    Query(ge=-12, le=14, description="hours east of UTC for days, weeks and intervals (default: the site's time zone)"),
]
Period = Annotated[Literal["day", "week", "month"], Query(description="agent report period")]
Interval = Annotated[float, Query(ge=1, le=1440, description="queue report interval, minutes")]
Target = Annotated[float, Query(ge=0, le=3600, description="service-level target, seconds")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportTable(BaseModel):
    name: str
    columns: list[str]
    rows: list[dict[str, Any]]


def table_out(name: str, table: pd.DataFrame) -> ReportTable:
    cells = table.astype(object).where(pd.notna(table), None)
    return ReportTable(name=name, columns=[str(c) for c in table.columns], rows=cells.to_dict("records"))


def orders_and_airings(engine) -> tuple[pd.DataFrame, list]:
    return order_lines(SqlOrders(engine).list()), SqlAirings(engine).list()


@router.get("/agents", response_model=ReportTable)
def agents(
    user: Reader, engine: EngineDep, period: Period = "day", source: Source = None, utc_offset: Offset = None
) -> ReportTable:
    """Per agent and period: talk, idle, wrap-up, not-ready time, calls, transfers, AHT."""
    log = SqlEventLog(engine).frame(source)
    return table_out(f"agents_{period}", agent_report(log, period, utc_offset_h=utc_offset))


@router.get("/queues", response_model=ReportTable)
def queues(
    user: Reader,
    engine: EngineDep,
    interval: Interval = 15,
    target: Target = 20,
    source: Source = None,
    utc_offset: Offset = None,
) -> ReportTable:
    """Per queue and interval: offered, answered, abandoned, abandonment rate, service level, ASA."""
    log = SqlEventLog(engine).frame(source)
    return table_out("queues", queue_report(log, interval * 60, target, utc_offset_h=utc_offset))


@router.get("/callbacks", response_model=ReportTable)
def callbacks(user: Reader, engine: EngineDep, source: Source = None) -> ReportTable:
    """Callback tickets per queue and hotline, by outcome."""
    return table_out("callbacks", callback_outcomes(SqlEventLog(engine).frame(source)))


@router.get("/orders", response_model=list[ReportTable])
def orders(user: Reader, engine: EngineDep) -> list[ReportTable]:
    """Orders, units and revenue per product and per airing (cancelled orders left out)."""
    return [table_out(name, table) for name, table in order_tables(*orders_and_airings(engine)).items()]


@router.get("/roi", response_model=RoiReport)
def roi(
    user: Reader,
    engine: EngineDep,
    source: Source = None,
    start: Annotated[float | None, Query(description="airings starting at or after (epoch s)")] = None,
    end: Annotated[float | None, Query(description="airings starting before (epoch s)")] = None,
    window: Annotated[float, Query(ge=0, le=86400, description="response window after an airing, s")] = 1800.0,
) -> RoiReport:
    airings = SqlAirings(engine).list(start=start, end=end)
    records = SqlEventLog(engine).records(source)
    report = attribute(airings, records, records, ResponseModel(window=window))
    return RoiReport(
        airings=[RoiRow(**r.as_row()) for r in report.airings],
        unattributed=RoiRow(**report.unattributed.as_row()),
        total_calls=report.total_calls,
        total_orders=report.total_orders,
        total_revenue=report.total_revenue,
    )


@router.get("/workbook.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def workbook(
    user: Reader,
    engine: EngineDep,
    period: Period = "day",
    interval: Interval = 15,
    target: Target = 20,
    source: Source = None,
    utc_offset: Offset = None,
) -> Response:
    """Every report in one Excel workbook, a sheet per report."""
    tables = all_reports(
        SqlEventLog(engine).frame(source),
        *orders_and_airings(engine),
        period=period,
        interval_s=interval * 60,
        target_s=target,
        utc_offset_h=utc_offset,
    )
    with tempfile.TemporaryDirectory() as folder:
        content = write_xlsx(tables, Path(folder) / "reports.xlsx").read_bytes()
    return Response(content, media_type=XLSX, headers={"Content-Disposition": 'attachment; filename="reports.xlsx"'})
