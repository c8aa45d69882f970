"""GET /api/reports/roi: media ROI per airing (``core.media.attribute``) over the stored airings and the
event log (ENTERQUEUE and terminal records for the calls, ORDER_PLACED for the orders)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from adapters.store.airings import SqlAirings
from adapters.store.eventlog import SqlEventLog
from console.deps import EngineDep, require
from console.models import AppUser
from console.schemas import RoiReport, RoiRow
from core.media import ResponseModel, attribute

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/roi", response_model=RoiReport)
def roi(user: Annotated[AppUser, require("reports.read")], engine: EngineDep,
        source: Annotated[str | None, Query(description="event-log source (the live center's is ''); "
                                                        "default: every source")] = None,
        start: Annotated[float | None, Query(description="airings starting at or after (epoch s)")] = None,
        end: Annotated[float | None, Query(description="airings starting before (epoch s)")] = None,
        window: Annotated[float, Query(ge=0, le=86400, description="response window after an airing, s")] = 1800.0,
        ) -> RoiReport:
    airings = SqlAirings(engine).list(start=start, end=end)
    records = SqlEventLog(engine).records(source)
    report = attribute(airings, records, records, ResponseModel(window=window))
    return RoiReport(airings=[RoiRow(**r.as_row()) for r in report.airings],
                     unattributed=RoiRow(**report.unattributed.as_row()), total_calls=report.total_calls,
                     total_orders=report.total_orders, total_revenue=report.total_revenue)
