"""Outbound campaigns in the back office: the list with each campaign's progress, create and edit (a draft),
the number list (import a CSV / Excel file with every left-out row named, good rows kept or the file refused
whole; add or remove one number), approval by a second person, start / pause / stop through the live
center, the results export, re-using numbers by result in another campaign, and the outbound report.

Every change is the use case the API calls (``app.campaigns``); the campaign's rules stay in the core, and a
core refusal naming a field ("drop_cap: ...") is shown beside that field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import UploadFile

import console.web.campaign_labels  # noqa: F401  (the pages' labels)
from adapters.store.campaigns import SqlCampaigns
from adapters.store.eventlog import FIELDS, SqlEventLog
from app.campaigns import (
    ApproveCampaign,
    CreateCampaign,
    EditCampaign,
    ImportNumbers,
    ListRefused,
    RemoveNumber,
    ReuseNumbers,
    StoredCampaign,
    approve_campaign,
    create_campaign,
    edit_campaign,
    import_numbers,
    remove_number,
    reuse_numbers,
)
from app.live import CommandRequest
from console.deps import EngineDep, Now, SettingsDep, UnitOfWorkDep, Unmasked, require
from console.models import AppUser
from console.routers.agents import run_command
from console.routers.campaigns import blacklist_of, zones
from console.routers.campaigns import results as api_results
from console.schemas import masked_text
from console.web.campaign_form import CampaignForm, campaign_values, clock_of, core_errors, document_of
from console.web.forms import FormDep, check, command_refusal
from console.web.render import Labels, add_nav, render
from core.campaigns import DEFAULT_RESULT_CODES, DIAL_FAILURES, DROPPED, MODES, RowProblem, site_day
from core.config import SITE_ZONE
from core.log import LogRecord
from inputs.number_lists import read_number_list
from inputs.problems import InputFileError, Problem
from reports.outbound import outbound_tables

router = APIRouter()
Reader = Annotated[AppUser, require("campaigns.read")]
Manager = Annotated[AppUser, require("campaigns.manage")]
Approver = Annotated[AppUser, require("campaigns.approve")]
CampaignId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
MAX_UPLOAD = 10 * 2**20  # a list of a few hundred thousand numbers
NUMBERS_SHOWN = 200
REUSABLE = DIAL_FAILURES + (DROPPED, "contacted", "connected", "do_not_call")
LIVE_ACTIONS = {"start": "start_campaign", "pause": "stop_campaign", "stop": "stop_campaign"}
DONE_NOTICE = {"start": "campaigns.done_start", "pause": "campaigns.done_pause", "stop": "campaigns.done_stop"}

add_nav("campaigns.read", "/office/campaigns", "nav.campaigns")


# --- what the pages show ------------------------------------------------------------------------------


def _log_since(engine, campaigns: list[StoredCampaign]) -> list[LogRecord]:
    """The event log from the first campaign day on (the outbound report needs nothing older)."""
    if not campaigns:
        return []
    first = min(c.campaign.first_day for c in campaigns)
    start = datetime(first.year, first.month, first.day, tzinfo=SITE_ZONE).timestamp()
    frame = SqlEventLog(engine).frame(start=start)[list(FIELDS)]
    return [LogRecord(*row) for row in frame.itertuples(index=False, name=None)]


def progress(engine, campaigns: list[StoredCampaign], now: float) -> dict[str, dict]:
    """Per campaign: its numbers (all, still to call) and the outbound report's figures, in total and today
    (the drop cap holds per day)."""
    tables = outbound_tables(_log_since(engine, campaigns))
    totals = {r["campaign"]: r for r in tables["outbound_campaigns"].to_dict("records")}
    day = site_day(now)
    days = tables["outbound_campaign_days"]
    today = {r["campaign"]: r for r in days[days["day"] == day].to_dict("records")}
    repo = SqlCampaigns(engine)
    out = {}
    for stored in campaigns:
        cid = stored.campaign.campaign_id
        numbers = repo.numbers(cid)
        out[cid] = dict(
            numbers=len(numbers),
            pending=sum(1 for n in numbers if n["status"] == "pending"),
            window="–".join(map(clock_of, stored.campaign.window)),
            hours="–".join(map(clock_of, stored.campaign.calling_hours)),
            total=totals.get(cid, {}),
            today=today.get(cid, {}),
        )
    return out


def _list_page(request: Request, user: AppUser, engine, now: float, **context):
    campaigns = SqlCampaigns(engine).list()
    return render(
        request,
        "campaigns/list.html",
        user,
        campaigns=campaigns,
        progress=progress(engine, campaigns, now),
        **context,
    )


@dataclass
class CampaignView:
    """One campaign's page as this request sees it (FastAPI makes one per request); each route passes its user,
    whose role it has checked."""

    request: Request
    t: Labels
    campaign_id: CampaignId
    engine: EngineDep
    now: Now
    unmasked: Unmasked

    def page(self, user: AppUser, **context):
        campaign_id, unmasked = self.campaign_id, self.unmasked
        repo = SqlCampaigns(self.engine)
        stored = repo.get(campaign_id)
        numbers = repo.numbers(campaign_id)
        others = [c.campaign.campaign_id for c in repo.list() if c.campaign.campaign_id != campaign_id]
        context.setdefault("errors", {})
        context.setdefault("values", {})
        return render(
            self.request,
            "campaigns/detail.html",
            user,
            stored=stored,
            c=stored.campaign,
            numbers=numbers[:NUMBERS_SHOWN],
            shown=NUMBERS_SHOWN,
            phone={n["number"]: masked_text(n["number"], unmasked) for n in numbers[:NUMBERS_SHOWN]},
            progress=progress(self.engine, [stored], self.now)[campaign_id],
            others=others,
            reusable=REUSABLE,
            today=site_day(self.now),
            **context,
        )


ViewDep = Annotated[CampaignView, Depends()]


# --- list, create, edit ---------------------------------------------------------------------------------


@router.get("/office/campaigns")
def campaigns_page(request: Request, user: Reader, engine: EngineDep, now: Now):
    return _list_page(request, user, engine, now)


def _form_page(request: Request, user: AppUser, values: dict, errors: dict, editing: str = "", status_code=200):
    return render(
        request,
        "campaigns/form.html",
        user,
        values=values,
        errors=errors,
        modes=MODES,
        retries=DIAL_FAILURES + (DROPPED,),
        editing=editing,
        status_code=status_code,
    )


@router.get("/office/campaigns/new")
def new_campaign(request: Request, user: Manager, now: Now):
    today = date.fromisoformat(site_day(now))
    values = campaign_values(None, today)
    values["result_codes"] = ", ".join(DEFAULT_RESULT_CODES)
    return _form_page(request, user, values, {})


def _saved(request: Request, t, user: AppUser, form: dict, save, editing: str = ""):
    """Check the form, then ``save(document)``; errors (the form's or the core's) beside their fields."""
    parsed, errors = check(CampaignForm, form, t)
    if parsed is not None:
        try:
            stored = save(document_of(parsed))
        except ValueError as refused:  # the core's rule for a field, or the campaign exists / is approved
            errors = core_errors(str(refused))
        else:
            return RedirectResponse(f"/office/campaigns/{stored.campaign.campaign_id}", status_code=303)
    return _form_page(request, user, form, errors, editing, status_code=422)


@router.post("/office/campaigns/new")
def create(request: Request, t: Labels, form: FormDep, user: Manager, uow: UnitOfWorkDep, now: Now):
    return _saved(
        request, t, user, form, lambda document: create_campaign(CreateCampaign(now, user.username, document), uow)
    )


@router.get("/office/campaigns/{campaign_id}/edit")
def edit_form(request: Request, campaign_id: CampaignId, user: Manager, engine: EngineDep, now: Now):
    stored = SqlCampaigns(engine).get(campaign_id)
    return _form_page(request, user, campaign_values(stored.campaign, None), {}, editing=campaign_id)


@router.post("/office/campaigns/{campaign_id}/edit")
def edit(
    request: Request, t: Labels, campaign_id: CampaignId, form: FormDep, user: Manager, uow: UnitOfWorkDep, now: Now
):
    form = {**form, "campaign_id": campaign_id}  # the ID names the campaign; it does not change
    return _saved(
        request,
        t,
        user,
        form,
        lambda document: edit_campaign(EditCampaign(now, user.username, document), uow),
        editing=campaign_id,
    )


# --- one campaign ---------------------------------------------------------------------------------------


@router.get("/office/campaigns/{campaign_id}")
def campaign_page(user: Reader, view: ViewDep):
    return view.page(user)


@router.post("/office/campaigns/{campaign_id}/approve")
def approve(user: Approver, uow: UnitOfWorkDep, view: ViewDep):
    try:
        approve_campaign(ApproveCampaign(view.now, user.username, view.campaign_id), uow)
    except ValueError as refused:  # the creator approving, or not a draft any more
        return view.page(user, errors={"approve": str(refused)}, status_code=409)
    return view.page(user, notice=view.t("campaigns.approved"))


def _live(user: AppUser, settings, view: CampaignView, action: str):
    """Start (or resume) and pause are the live center's; stop also ends the campaign in the store, as the
    API's stop does. The center refuses to start a campaign that is not approved."""
    repo = SqlCampaigns(view.engine)
    repo.get(view.campaign_id)
    if action == "stop":
        repo.stop(view.campaign_id)
    command = CommandRequest(user.username, LIVE_ACTIONS[action], payload={"campaign_id": view.campaign_id})
    detail = command_refusal(run_command(view.engine, settings, view.now, command))
    if detail is not None:  # the center is down, refused it, or did not answer in time
        return view.page(user, errors={"live": detail}, status_code=409)
    return view.page(user, notice=view.t(DONE_NOTICE[action]))


@router.post("/office/campaigns/{campaign_id}/start")
def start(user: Approver, settings: SettingsDep, view: ViewDep):
    return _live(user, settings, view, "start")


@router.post("/office/campaigns/{campaign_id}/pause")
def pause(user: Approver, settings: SettingsDep, view: ViewDep):
    return _live(user, settings, view, "pause")


@router.post("/office/campaigns/{campaign_id}/stop")
def stop(user: Approver, settings: SettingsDep, view: ViewDep):
    return _live(user, settings, view, "stop")


# --- the number list ------------------------------------------------------------------------------------


async def _upload(request: Request) -> tuple[bytes, str, bool]:
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InputFileError([])
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InputFileError([Problem(upload.filename, None, "", f"larger than {MAX_UPLOAD // 2**20} MiB")])
    return data, upload.filename, form.get("strict") == "on"


def _row_problems(problems: list[RowProblem]) -> list[dict]:
    return [dict(row=p.row, field=p.field, kind=p.kind, message=p.message) for p in problems]


@router.post("/office/campaigns/{campaign_id}/numbers")
async def import_list(request: Request, user: Manager, uow: UnitOfWorkDep, view: ViewDep):
    t, now, campaign_id = view.t, view.now, view.campaign_id
    try:
        data, name, strict = await _upload(request)
        rows = read_number_list(data, name)
        report = import_numbers(
            ImportNumbers(now, user.username, campaign_id, rows, strict=strict, source=name),
            uow,
            zones=zones(),
            blacklist=blacklist_of(view.engine),
        )
    except InputFileError as unreadable:
        message = "; ".join(map(str, unreadable.problems)) or t("campaigns.choose_file")
        return view.page(user, errors={"file": message}, status_code=422)
    except ListRefused as refused:
        return view.page(user, rows=_row_problems(refused.problems), refused=True, status_code=422)
    except ValueError as refused:  # a stopped campaign
        return view.page(user, errors={"file": str(refused)}, status_code=409)
    notice = t("campaigns.imported", n=report.added, bad=len(report.problems))
    return view.page(user, rows=_row_problems(report.problems), notice=notice)


class OneNumber(BaseModel):
    phone: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=200)


@router.post("/office/campaigns/{campaign_id}/numbers/one")
def add_one(form: FormDep, user: Manager, uow: UnitOfWorkDep, view: ViewDep):
    parsed, errors = check(OneNumber, form, view.t)
    if parsed is None:
        return view.page(user, values=form, errors=errors, status_code=422)
    row = (1, {"phone": parsed.phone, "name": parsed.name})
    command = ImportNumbers(view.now, user.username, view.campaign_id, [row], source="single number")
    try:
        report = import_numbers(command, uow, zones=zones(), blacklist=blacklist_of(view.engine))
    except ValueError as refused:
        return view.page(user, values=form, errors={"phone": str(refused)}, status_code=409)
    if report.problems:  # invalid, on the list already, do-not-call, blacklisted: said beside the number
        return view.page(user, values=form, errors={"phone": report.problems[0].message}, status_code=422)
    return view.page(user, notice=view.t("campaigns.added", n=1))


@router.post("/office/campaigns/{campaign_id}/numbers/remove")
def remove(form: FormDep, user: Manager, uow: UnitOfWorkDep, view: ViewDep):
    try:
        remove_number(RemoveNumber(view.now, user.username, view.campaign_id, form.get("number", "")), uow)
    except ValueError as refused:
        return view.page(user, errors={"remove": str(refused)}, status_code=404)
    return view.page(user, notice=view.t("campaigns.removed"))


class ReuseForm(BaseModel):
    to_campaign: str = Field(min_length=1, max_length=64)
    results: list[Literal[REUSABLE]] = Field(min_length=1)  # type: ignore[valid-type]


@router.post("/office/campaigns/{campaign_id}/reuse")
async def reuse(request: Request, user: Manager, uow: UnitOfWorkDep, view: ViewDep):
    """This campaign's numbers whose last result is one of those ticked join another campaign's list."""
    form = await request.form(max_fields=40, max_files=0)
    values = {"to_campaign": form.get("to_campaign", ""), "results": form.getlist("results")}
    try:
        parsed = ReuseForm.model_validate(values)
    except ValidationError:
        return view.page(user, errors={"reuse": view.t("campaigns.reuse_choose")}, status_code=422)
    command = ReuseNumbers(view.now, user.username, view.campaign_id, tuple(parsed.results), parsed.to_campaign)
    try:
        report = reuse_numbers(command, uow, blacklist=blacklist_of(view.engine))
    except ValueError as refused:
        return view.page(user, errors={"reuse": str(refused)}, status_code=409)
    return view.page(user, notice=view.t("campaigns.reused", n=report.added, to=parsed.to_campaign))


@router.get("/office/campaigns/{campaign_id}/results")
def results_export(
    campaign_id: CampaignId,
    user: Reader,
    engine: EngineDep,
    day: Annotated[str, Query(pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = "",
    result: Annotated[str, Query(max_length=32)] = "",
    format: Literal["csv", "xlsx"] = "xlsx",
):
    """The API's export, from the page's form (where an empty day or result means any)."""
    return api_results(campaign_id, user, engine, day or None, result or None, format)


# --- the report -----------------------------------------------------------------------------------------


@router.get("/office/campaigns-report")
def report(request: Request, user: Reader, engine: EngineDep):
    campaigns = SqlCampaigns(engine).list()
    tables = outbound_tables(_log_since(engine, campaigns))
    return render(request, "campaigns/report.html", user, tables=tables)
