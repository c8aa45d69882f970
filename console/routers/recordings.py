"""Call recordings, for supervisors (``recordings.read``): GET /api/recordings finds the call records that have
a recording (by the caller's number, the agent, the time the call started; newest first, a page at a time),
GET /api/recordings/{name} streams one file from ``HOTLINE_RECORDINGS_DIR`` (Range requests answered), audited
as ``recordings.play`` with the call's customer. The records come from the live driver run with ``--record``
(``CallRecorded`` -> a RECORDING log record -> the call record's ``recording``); the web page
(``console/web/routers/recordings.py``) uses the same search and plays through the same endpoint."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import FileResponse

from adapters.store.call_records import SqlCallRecords, UnknownRecord
from console.deps import AuditDep, EngineDep, SettingsDep, Unmasked, require
from console.models import AppUser
from console.paging import DEFAULT_LIMIT, Limit, Offset
from console.schemas import CallRecordPublic, call_record_out
from core.call_records import CallRecord
from core.config import SITE_ZONE
from core.phones import InvalidPhoneNumber, parse_phone

router = APIRouter(prefix="/recordings", tags=["recordings"])
Listener = Annotated[AppUser, require("recordings.read")]
# what the live driver writes (hotline-<channel id>.wav) and any plain file name: no separators, no leading dot
PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,254}")
MEDIA_TYPES = {".wav": "audio/wav", ".gsm": "audio/gsm", ".mp3": "audio/mpeg", ".ogg": "audio/ogg"}


class SearchError(ValueError):
    """A search field that cannot be used: ``field`` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class RecordingSearch:
    """What a supervisor searches by; every part optional. A time without a zone is the site's."""

    number: str = ""
    agent: str = ""
    since: datetime | None = None
    until: datetime | None = None


def _epoch(moment: datetime | None) -> float | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=SITE_ZONE)).timestamp()


def find_recordings(
    engine, search: RecordingSearch, default_area_code: str | None, limit: int, offset: int = 0
) -> list[CallRecord]:
    """The records with a recording that match, newest first; ``SearchError`` for a number that is not one
    or a time range that ends before it starts."""
    caller = ""
    if search.number.strip():
        try:
            caller = parse_phone(search.number, default_area_code=default_area_code).key
        except InvalidPhoneNumber as bad:
            raise SearchError("number", str(bad)) from None
    since, until = _epoch(search.since), _epoch(search.until)
    if since is not None and until is not None and until <= since:
        raise SearchError("until", "the end must be after the start")
    return SqlCallRecords(engine).recorded(
        caller=caller, agent_id=search.agent.strip(), since=since, until=until, limit=limit, offset=offset
    )


def recording_path(directory: Path | None, name: str) -> Path:
    """The file ``name`` in ``directory``: 400 for anything but a plain file name in it (no path, no ``..``,
    no link out of it), 404 when recordings are not configured or the file is not there."""
    if not PLAIN_NAME.fullmatch(name):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{name!r} is not a plain recording file name")
    if directory is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "recordings are not configured (HOTLINE_RECORDINGS_DIR)")
    root = directory.resolve()
    path = (root / name).resolve()
    if path.parent != root:  # a symbolic link pointing out of the directory
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{name!r} is not a file in the recordings directory")
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no recording {name!r}")
    return path


@router.get("", response_model=list[CallRecordPublic])
def search(
    user: Listener,
    engine: EngineDep,
    settings: SettingsDep,
    unmasked: Unmasked,
    audit: AuditDep,
    number: Annotated[str, Query(max_length=40, description="the caller's number in any spelling")] = "",
    agent: Annotated[str, Query(max_length=128, description="the agent who answered")] = "",
    since: Annotated[
        datetime | None, Query(description="calls started at or after (ISO 8601; no zone: the site's)")
    ] = None,
    until: Annotated[datetime | None, Query(description="calls started before")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> list[CallRecordPublic]:
    """Call records that have a recording, newest first; play one with GET /api/recordings/{recording}."""
    try:
        records = find_recordings(
            engine, RecordingSearch(number, agent, since, until), settings.default_area_code, limit, offset
        )
    except SearchError as bad:
        raise HTTPException(422, f"{bad.field}: {bad}") from None
    audit(
        "recordings.search",
        "customer",
        sorted({r.customer_id for r in records if r.customer_id}),
        f"{len(records)} recordings",
    )
    return [call_record_out(r, unmasked) for r in records]


@router.get(
    "/{name}",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}, "description": "the recording (Range requests work)"}},
)
def play(name: str, user: Listener, engine: EngineDep, settings: SettingsDep, audit: AuditDep) -> FileResponse:
    """The recording file of a call record (400 for a name that is not a plain file name, 404 when missing)."""
    path = recording_path(settings.recordings_dir, name)
    try:
        record = SqlCallRecords(engine).by_recording(name)
    except UnknownRecord as missing:  # a file no call names: not a recording of ours
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(missing)) from None
    audit("recordings.play", "customer", [record.customer_id or "-"], f"call {record.call_id}: {name}")
    media_type = MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    response = FileResponse(path, media_type=media_type)
    response.headers["Cache-Control"] = "private, no-store"  # a customer's voice
    return response
