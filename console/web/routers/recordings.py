"""The recordings page for supervisors: find recorded calls by the caller's number, the agent and the time
the call started (the site's time zone), newest first, and play each in the page (an HTML5 ``<audio>`` on
GET /api/recordings/{name}, which checks the name and audits the playing). The search is the API's
(``console.routers.recordings.find_recordings``); a bad field shows its message beside it, what was typed kept."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, field_validator

from console.deps import AuditDep, EngineDep, SettingsDep, require
from console.models import AppUser
from console.permissions import can
from console.routers.recordings import RecordingSearch, SearchError, find_recordings
from console.web.forms import check
from console.web.i18n import add_messages
from console.web.render import Labels, add_nav, render

router = APIRouter()
Listener = Annotated[AppUser, require("recordings.read")]
SHOWN = 100  # a page of recordings; narrow the search for older ones
FIELDS = ("number", "agent", "since", "until")

add_nav("recordings.read", "/office/recordings", "nav.recordings")
add_messages(
    {
        "nav.recordings": ("通话录音", "Recordings"),
        "recordings.title": ("通话录音", "Call recordings"),
        "recordings.number": ("来电号码", "Caller number"),
        "recordings.agent": ("坐席", "Agent"),
        "recordings.since": ("开始时间从", "Started from"),
        "recordings.until": ("至", "Until"),
        "recordings.search": ("查询", "Search"),
        "recordings.started": ("开始时间", "Started"),
        "recordings.length": ("时长", "Length"),
        "recordings.customer": ("客户", "Customer"),
        "recordings.call": ("通话", "Call"),
        "recordings.play": ("播放", "Play"),
        "recordings.none": ("没有符合条件的录音", "No recording matches"),
        "recordings.first": ("第 {from_} 至 {to} 条，最新的在前", "{from_} to {to}, newest first"),
        "recordings.older": ("更早的录音", "Older recordings"),
        "recordings.newer": ("较新的录音", "Newer recordings"),
    }
)


class SearchForm(BaseModel):
    number: str = Field(default="", max_length=40)
    agent: str = Field(default="", max_length=128)
    since: datetime | None = None
    until: datetime | None = None

    @field_validator("since", "until", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


@router.get("/office/recordings")
def recordings(
    request: Request,
    t: Labels,
    user: Listener,
    engine: EngineDep,
    settings: SettingsDep,
    audit: AuditDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
):
    values = {name: request.query_params.get(name, "") for name in FIELDS}
    parsed, errors = check(SearchForm, values, t)
    found = []
    if parsed is not None:
        try:
            found = find_recordings(
                engine,
                RecordingSearch(parsed.number, parsed.agent, parsed.since, parsed.until),
                settings.default_area_code,
                SHOWN,
                offset,
            )
        except SearchError as bad:
            errors = {bad.field: str(bad)}
        else:
            audit(
                "recordings.search",
                "customer",
                sorted({r.customer_id for r in found if r.customer_id}),
                f"{len(found)} recordings",
            )
    return render(
        request,
        "office/recordings.html",
        user,
        records=found,
        values=values,
        errors=errors,
        unmasked=can(user.role, "phones.unmasked"),
        shown=SHOWN,
        offset=offset,
        status_code=422 if errors else 200,
    )
