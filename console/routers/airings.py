"""The broadcast schedule: upload a CSV (``multipart/form-data``, field ``file``), list airings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from adapters.store.airings import SqlAirings
from console.deps import EngineDep, require
from console.models import AppUser
from console.paging import DEFAULT_LIMIT, MAX_LIMIT, Limit, Offset, page
from console.schemas import AiringPublic, AiringUpload, same_named
from core.config import Airing
from reports.airings import parse_airings_csv

router = APIRouter(prefix="/airings", tags=["airings"])


def airing_out(airing: Airing) -> AiringPublic:
    return AiringPublic(id=airing.airing_id, **same_named(AiringPublic, airing, besides=("id",)))


@router.post("", response_model=AiringUpload, status_code=201)
async def upload(
    file: Annotated[UploadFile, File(description="CSV: channel, start, length, hotline[, id, product, kind, cost]")],
    user: Annotated[AppUser, require("airings.upload")],
    engine: EngineDep,
) -> AiringUpload:
    """Store every airing of the file (an airing already stored under the same ID is replaced), or none: a
    bad file answers 422 listing every problem with its line and column. The answer shows the first
    ``MAX_LIMIT`` airings stored (``GET /api/airings`` pages through them all)."""
    airings, stored = store_schedule(await file.read(), file.filename or "upload.csv", engine)
    return AiringUpload(stored=stored, airings=[airing_out(a) for a in airings[:MAX_LIMIT]])


def store_schedule(data: bytes, name: str, engine) -> tuple[list[Airing], int]:
    """Every airing of a schedule CSV stored (same ID: replaced), or none and ``InputFileError`` (the API and
    the schedule page call this)."""
    airings = parse_airings_csv(data, name)
    return airings, SqlAirings(engine).replace_many(airings)


@router.get("", response_model=list[AiringPublic])
def list_airings(
    user: Annotated[AppUser, require("airings.read")],
    engine: EngineDep,
    hotline: str | None = None,
    start: float | None = None,
    end: float | None = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> list[AiringPublic]:
    """Airings by start time, a page at a time; ``start``/``end`` (epoch seconds) bound the airing's start."""
    return [airing_out(a) for a in page(SqlAirings(engine).list(hotline, start, end), limit, offset)]
