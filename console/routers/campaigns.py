"""Outbound campaigns: create, approve (by another person), import the number list (CSV / Excel; each bad row
named, good rows kept, or the whole file refused with ``strict=true``), add and remove single numbers,
re-use numbers by result from another campaign, the do-not-call list, results per campaign / day / result
(JSON, CSV or Excel), and the outbound report per campaign, agent and day (JSON or Excel)."""

from __future__ import annotations

import csv
import io
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, Field

from adapters.geo.phone_zones import PhoneZones
from adapters.store.campaigns import SqlCampaigns
from adapters.store.eventlog import SqlEventLog
from adapters.store.site import SqlSiteConfigs
from app.campaigns import (
    AddDoNotCall,
    ApproveCampaign,
    CreateCampaign,
    EditCampaign,
    ImportNumbers,
    ImportReport,
    RemoveNumber,
    ReuseNumbers,
    StoredCampaign,
    add_do_not_call,
    approve_campaign,
    create_campaign,
    edit_campaign,
    import_numbers,
    remove_number,
    reuse_numbers,
)
from app.live import CommandRequest
from console.deps import EngineDep, Now, SettingsDep, UnitOfWorkDep, require
from console.models import AppUser
from console.routers.agents import RESPONSES, CommandPublic, agent_id_of, run_command
from console.routers.reports import XLSX, ReportTable, table_out
from core.campaigns import campaign_document
from inputs.number_lists import read_number_list
from reports.export import write_xlsx
from reports.outbound import outbound_tables
from twin.site import site_from_document

router = APIRouter(tags=["campaigns"])
Reader = Annotated[AppUser, require("campaigns.read")]
Manager = Annotated[AppUser, require("campaigns.manage")]
Approver = Annotated[AppUser, require("campaigns.approve")]


@lru_cache(maxsize=1)
def zones() -> PhoneZones:
    return PhoneZones()


class CampaignPublic(BaseModel):
    id: str
    status: str
    created_by: str
    created_at: float
    approved_at: float | None
    campaign: dict[str, Any]


class ImportOut(BaseModel):
    added: int
    problems: list[dict[str, Any]]


class NumberIn(BaseModel):
    phone: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=200)


class ReuseIn(BaseModel):
    from_campaign: str = Field(min_length=1, max_length=64)
    results: list[str] = Field(min_length=1, description="last results, e.g. no_answer, busy, dropped")


class DoNotCallIn(BaseModel):
    phone: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="", max_length=200)


def campaign_out(stored: StoredCampaign) -> CampaignPublic:
    return CampaignPublic(
        id=stored.campaign.campaign_id,
        status=stored.status,
        created_by=stored.created_by,
        created_at=stored.created_at,
        approved_at=stored.approved_at,
        campaign=campaign_document(stored.campaign),
    )


def import_out(report: ImportReport) -> ImportOut:
    return ImportOut(
        added=report.added,
        problems=[dict(row=p.row, field=p.field, kind=p.kind, message=p.message) for p in report.problems],
    )


def blacklist_of(engine) -> frozenset[str]:
    """The numbers the site configuration says never to call (none before a configuration is stored)."""
    latest = SqlSiteConfigs(engine).latest()
    return site_from_document(latest.document).config.blacklist if latest else frozenset()


@router.post("/campaigns", response_model=CampaignPublic, status_code=201)
def create(document: dict[str, Any], user: Manager, uow: UnitOfWorkDep, now: Now) -> CampaignPublic:
    """A draft campaign from its fields (campaign_id, name, mode, first_day, last_day, window, calling_hours,
    agents or skill_group, script, result_codes, max_attempts, retry_after, drop_cap, ...)."""
    return campaign_out(create_campaign(CreateCampaign(now, user.username, document), uow))


@router.get("/campaigns", response_model=list[CampaignPublic])
def list_campaigns(user: Reader, engine: EngineDep) -> list[CampaignPublic]:
    return [campaign_out(c) for c in SqlCampaigns(engine).list()]


@router.get("/campaigns/report", response_model=list[ReportTable], responses={200: {"content": {XLSX: {}}}})
def report(
    user: Reader,
    engine: EngineDep,
    format: Literal["json", "xlsx"] = "json",
    source: Annotated[str | None, Query(description="event-log source; default: every source")] = None,
):
    """Per campaign, per campaign and day, per agent and day: attempts, answers, contacts, contact rate, drops,
    drop rate, sales, talk time; and the after-call survey per queue and agent."""
    tables = outbound_tables(SqlEventLog(engine).records(source))
    if format == "xlsx":
        with tempfile.TemporaryDirectory() as folder:
            content = write_xlsx(tables, Path(folder) / "outbound.xlsx").read_bytes()
        return Response(
            content, media_type=XLSX, headers={"Content-Disposition": 'attachment; filename="outbound.xlsx"'}
        )
    return [table_out(name, table) for name, table in tables.items()]


@router.get("/campaigns/{campaign_id}", response_model=CampaignPublic)
def get(campaign_id: str, user: Reader, engine: EngineDep) -> CampaignPublic:
    return campaign_out(SqlCampaigns(engine).get(campaign_id))


@router.put("/campaigns/{campaign_id}", response_model=CampaignPublic)
def edit(campaign_id: str, document: dict[str, Any], user: Manager, uow: UnitOfWorkDep, now: Now) -> CampaignPublic:
    """A draft's fields again (as for create); 409 once approved or stopped."""
    command = EditCampaign(now, user.username, {**document, "campaign_id": campaign_id})
    return campaign_out(edit_campaign(command, uow))


@router.post("/campaigns/{campaign_id}/approve", response_model=CampaignPublic)
def approve(campaign_id: str, user: Approver, uow: UnitOfWorkDep, now: Now) -> CampaignPublic:
    """Only an approved campaign is dialled; its creator cannot approve it (409)."""
    return campaign_out(approve_campaign(ApproveCampaign(now, user.username, campaign_id), uow))


@router.post("/campaigns/{campaign_id}/numbers", response_model=ImportOut, status_code=201)
async def import_list(
    campaign_id: str,
    file: Annotated[UploadFile, File(description="CSV or .xlsx; column phone (or number / 电话 / 号码), name")],
    user: Manager,
    uow: UnitOfWorkDep,
    engine: EngineDep,
    now: Now,
    strict: Annotated[bool, Query(description="refuse the whole file if any row is bad")] = False,
) -> ImportOut:
    """Good rows are added; each row left out is named with its reason (invalid, duplicate, missing column,
    do-not-call, blacklist). With ``strict``, a bad row (invalid, duplicate, missing) refuses the file: 422."""
    name = file.filename or "upload.csv"
    rows = read_number_list(await file.read(), name)
    command = ImportNumbers(now, user.username, campaign_id, rows, strict=strict, source=name)
    return import_out(import_numbers(command, uow, zones=zones(), blacklist=blacklist_of(engine)))


@router.post("/campaigns/{campaign_id}/numbers/one", response_model=ImportOut, status_code=201)
def add_one(
    campaign_id: str, number: NumberIn, user: Manager, uow: UnitOfWorkDep, engine: EngineDep, now: Now
) -> ImportOut:
    command = ImportNumbers(
        now,
        user.username,
        campaign_id,
        [(1, {"phone": number.phone, "name": number.name})],
        strict=True,
        source="single number",
    )
    return import_out(import_numbers(command, uow, zones=zones(), blacklist=blacklist_of(engine)))


@router.delete("/campaigns/{campaign_id}/numbers/{number}", status_code=204)
def remove(campaign_id: str, number: str, user: Manager, uow: UnitOfWorkDep, now: Now) -> Response:
    remove_number(RemoveNumber(now, user.username, campaign_id, number), uow)
    return Response(status_code=204)


@router.get("/campaigns/{campaign_id}/numbers")
def numbers(
    campaign_id: str,
    user: Reader,
    engine: EngineDep,
    result: Annotated[list[str] | None, Query(description="last results to list")] = None,
) -> list[dict]:
    repo = SqlCampaigns(engine)
    repo.get(campaign_id)
    return repo.numbers(campaign_id, result)


@router.post("/campaigns/{campaign_id}/reuse", response_model=ImportOut, status_code=201)
def reuse(campaign_id: str, body: ReuseIn, user: Manager, uow: UnitOfWorkDep, engine: EngineDep, now: Now) -> ImportOut:
    """Numbers of ``from_campaign`` whose last result is one of ``results`` join this campaign's list."""
    command = ReuseNumbers(now, user.username, body.from_campaign, tuple(body.results), campaign_id)
    return import_out(reuse_numbers(command, uow, blacklist=blacklist_of(engine)))


@router.get("/campaigns/{campaign_id}/results", responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def results(
    campaign_id: str,
    user: Reader,
    engine: EngineDep,
    day: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="site day YYYY-MM-DD")] = None,
    result: str | None = None,
    format: Literal["json", "csv", "xlsx"] = "json",
):
    """Each dial of the campaign, filtered by day and result."""
    repo = SqlCampaigns(engine)
    repo.get(campaign_id)
    rows = repo.results(campaign_id, day, result)
    columns = ["id", "campaign_id", "number", "agent_id", "dialled_at", "day", "result", "result_code", "talk"]
    if format == "json":
        return rows
    if format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows(rows)
        return Response(
            "\ufeff" + out.getvalue(),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{campaign_id}-results.csv"'},
        )
    import pandas as pd

    with tempfile.TemporaryDirectory() as folder:
        content = write_xlsx({"results": pd.DataFrame(rows, columns=columns)}, Path(folder) / "r.xlsx").read_bytes()
    return Response(
        content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{campaign_id}-results.xlsx"'}
    )


class ResultIn(BaseModel):
    code: str = Field(min_length=1, max_length=64)


class ManualIn(BaseModel):
    phone: str = Field(min_length=1, max_length=64)


LiveAgent = Annotated[AppUser, require("live.self")]


Attempt = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_.:-]{1,96}$", description="the outbound attempt")]


def _as_agent(user: AppUser, engine, settings, now: float, kind: str, call_id: str = "", payload: dict | None = None):
    """Run an agent's outbound command as the agent the user acts as (``agent_id_of``)."""
    agent_id = agent_id_of(user.username, engine)
    return run_command(engine, settings, now, CommandRequest(user.username, kind, agent_id, call_id, payload or {}))


@router.post("/campaigns/{campaign_id}/start", response_model=CommandPublic, responses=RESPONSES)
def start(campaign_id: str, user: Approver, engine: EngineDep, settings: SettingsDep, now: Now) -> CommandPublic:
    """The live center starts dialling the campaign: 409 (from the driver) unless it is approved."""
    return run_command(
        engine, settings, now, CommandRequest(user.username, "start_campaign", payload={"campaign_id": campaign_id})
    )


@router.post("/campaigns/{campaign_id}/stop", response_model=CommandPublic, responses=RESPONSES)
def stop(campaign_id: str, user: Approver, engine: EngineDep, settings: SettingsDep, now: Now) -> CommandPublic:
    """No more dials; calls in progress end normally."""
    SqlCampaigns(engine).stop(campaign_id)
    return run_command(
        engine, settings, now, CommandRequest(user.username, "stop_campaign", payload={"campaign_id": campaign_id})
    )


@router.post("/campaigns/{campaign_id}/dial", response_model=CommandPublic, responses=RESPONSES)
def dial_manual(
    campaign_id: str, body: ManualIn, user: LiveAgent, engine: EngineDep, settings: SettingsDep, now: Now
) -> CommandPublic:
    """Click to call: the agent dials one number for the campaign (calling hours and do-not-call hold)."""
    payload = {"campaign_id": campaign_id, "number": body.phone}
    return _as_agent(user, engine, settings, now, "dial_manual", payload=payload)


@router.post("/outbound/{attempt_id}/preview/{action}", response_model=CommandPublic, responses=RESPONSES)
def work_attempt(
    attempt_id: Attempt,
    action: Literal["dial", "skip"],
    user: LiveAgent,
    engine: EngineDep,
    settings: SettingsDep,
    now: Now,
) -> CommandPublic:
    """Preview mode: dial the customer the agent sees, or skip them (not counted as an attempt)."""
    kind = "dial_previewed" if action == "dial" else "skip_preview"
    return _as_agent(user, engine, settings, now, kind, call_id=attempt_id)


@router.post("/outbound/{attempt_id}/result", response_model=CommandPublic, responses=RESPONSES)
def record_result(
    attempt_id: Attempt, body: ResultIn, user: LiveAgent, engine: EngineDep, settings: SettingsDep, now: Now
) -> CommandPublic:
    """The agent's result code for the call they just had (one of the campaign's result codes)."""
    return _as_agent(user, engine, settings, now, "record_result", call_id=attempt_id, payload={"code": body.code})


@router.post("/do-not-call", status_code=201)
def do_not_call(body: DoNotCallIn, user: Manager, uow: UnitOfWorkDep, now: Now) -> dict:
    """The number is never dialled again by any campaign (checked at import and before every dial)."""
    return {"added": add_do_not_call(AddDoNotCall(now, user.username, body.phone, body.reason), uow)}
