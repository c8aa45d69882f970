"""The agent desk's outbound panel: in preview mode the customer the dialer offers (name, number masked for
agents, earlier calls to the number, customer records) with the campaign's script, then Dial or Skip;
click to call for a manual campaign; after an outbound call its result code from the campaign's codes.

The panel is a fragment the desk loads (and reloads on the stream's ``preview`` and state events); every
action is the live command the API sends (``console.routers.campaigns``), so the core decides."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

import console.web.campaign_labels  # noqa: F401  (the panel's labels)
from adapters.store.campaigns import SqlCampaigns
from adapters.store.customers import SqlCustomers
from adapters.store.live_channel import SqlLiveEvents
from app.campaigns import UnknownCampaign
from app.live import CommandRequest
from console.deps import EngineDep, Now, SettingsDep, Unmasked, require
from console.models import AppUser
from console.routers.agents import agent_id_of, run_command
from console.schemas import masked_text
from console.web.forms import FormDep, command_refusal
from console.web.i18n import translator
from console.web.render import render, request_language
from core.campaigns import MANUAL, PREVIEW, site_day
from core.customers import find_customers

router = APIRouter()
LiveUser = Annotated[AppUser, require("live.self")]
AttemptId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,96}$")]
RECENT_EVENTS = 500  # the agent's latest preview is looked for among the newest events
CONNECTED = ("contacted", "connected")


def _latest_preview(engine, agent_id: str, seq: int | None) -> dict | None:
    events = SqlLiveEvents(engine)
    if seq is not None:
        found = events.after(seq - 1, agent_id, limit=1)
        return found[0] if found and found[0]["seq"] == seq and found[0]["kind"] == "preview" else None
    recent = events.after(max(0, events.last_seq() - RECENT_EVENTS), agent_id, limit=RECENT_EVENTS)
    previews = [e for e in recent if e["kind"] == "preview"]
    return previews[-1] if previews else None


def panel(request: Request, user: AppUser, engine, settings, now: float, unmasked: bool, seq=None, **context):
    agent_id = agent_id_of(user.username, engine)
    repo = SqlCampaigns(engine)
    campaigns = {s.campaign.campaign_id: s for s in repo.list()}
    done = context.pop("done", None)  # the attempt just acted on: the store may not show it yet
    preview = _latest_preview(engine, agent_id, seq)
    card = None
    stored = campaigns.get(preview["payload"].get("campaign_id", "")) if preview else None
    if preview is not None and stored is not None and stored.status == "approved" and preview["call_id"] != done:
        number = preview["payload"].get("caller", "")
        history = repo.results(number=number)  # every campaign's calls to the number
        if preview["call_id"] not in {r["id"] for r in history}:  # not dialled yet
            try:
                customers = find_customers(SqlCustomers(engine), number, default_area_code=settings.default_area_code)
            except ValueError:
                customers = []
            card = dict(
                attempt=preview["call_id"],
                campaign=stored.campaign,
                name=preview["payload"].get("name", ""),
                phone=masked_text(number, unmasked),
                history=history,
                customers=customers,
            )
    to_code = [
        r
        for r in repo.results(day=site_day(now), agent_id=agent_id)
        if r["result"] in CONNECTED and not r["result_code"] and r["id"] != done
    ]
    ended = to_code[-1] if to_code else None
    manual = [
        s.campaign
        for s in campaigns.values()
        if s.status == "approved" and s.campaign.mode in (MANUAL, PREVIEW) and s.campaign.serves(agent_id, {})
    ]
    return render(
        request,
        "campaigns/_desk.html",
        user,
        card=card,
        ended=ended,
        ended_campaign=campaigns[ended["campaign_id"]].campaign
        if ended and ended["campaign_id"] in campaigns
        else None,
        manual=manual,
        values=context.pop("values", {}),
        errors=context.pop("errors", {}),
        **context,
    )


@router.get("/agent/outbound")
def outbound_panel(
    request: Request,
    user: LiveUser,
    engine: EngineDep,
    settings: SettingsDep,
    now: Now,
    unmasked: Unmasked,
    seq: Annotated[int | None, Query(ge=1, le=2**62)] = None,
):
    return panel(request, user, engine, settings, now, unmasked, seq)


def _send(request, user, engine, settings, now, unmasked, kind: str, field: str, notice: str, values=None, **command):
    """The live command; its refusal (the core's reason, or the center being down) beside ``field``, with what
    was typed (``values``) kept."""
    detail = command_refusal(run_command(engine, settings, now, CommandRequest(user.username, kind, **command)))
    if detail is not None:
        return panel(
            request, user, engine, settings, now, unmasked, values=values or {}, errors={field: detail}, status_code=409
        )
    return panel(request, user, engine, settings, now, unmasked, notice=notice, done=command.get("call_id"))


@router.post("/agent/outbound/{attempt_id}/dial")
def dial(
    request: Request,
    attempt_id: AttemptId,
    user: LiveUser,
    engine: EngineDep,
    settings: SettingsDep,
    now: Now,
    unmasked: Unmasked,
):
    t = translator(request_language(request))
    agent_id = agent_id_of(user.username, engine)
    return _send(
        request,
        user,
        engine,
        settings,
        now,
        unmasked,
        "dial_previewed",
        "preview",
        t("outbound.dialling", who=attempt_id),
        agent_id=agent_id,
        call_id=attempt_id,
    )


@router.post("/agent/outbound/{attempt_id}/skip")
def skip(
    request: Request,
    attempt_id: AttemptId,
    user: LiveUser,
    engine: EngineDep,
    settings: SettingsDep,
    now: Now,
    unmasked: Unmasked,
):
    t = translator(request_language(request))
    agent_id = agent_id_of(user.username, engine)
    return _send(
        request,
        user,
        engine,
        settings,
        now,
        unmasked,
        "skip_preview",
        "preview",
        t("outbound.skipped"),
        agent_id=agent_id,
        call_id=attempt_id,
    )


@router.post("/agent/outbound/manual")
def dial_manual(
    request: Request,
    form: FormDep,
    user: LiveUser,
    engine: EngineDep,
    settings: SettingsDep,
    now: Now,
    unmasked: Unmasked,
):
    t = translator(request_language(request))
    phone, campaign_id = form.get("phone", "").strip(), form.get("campaign_id", "")
    if not phone:
        return panel(request, user, engine, settings, now, unmasked, values=form, errors={"phone": t("field.required")})
    try:
        SqlCampaigns(engine).get(campaign_id)
    except UnknownCampaign:
        return panel(
            request, user, engine, settings, now, unmasked, values=form, errors={"campaign_id": t("field.choice")}
        )
    return _send(
        request,
        user,
        engine,
        settings,
        now,
        unmasked,
        "dial_manual",
        "phone",
        t("outbound.dialling", who=masked_text(phone, unmasked)),
        values=form,
        agent_id=agent_id_of(user.username, engine),
        payload={"campaign_id": campaign_id, "number": phone},
    )


@router.post("/agent/outbound/{attempt_id}/result")
def record_result(
    request: Request,
    attempt_id: AttemptId,
    form: FormDep,
    user: LiveUser,
    engine: EngineDep,
    settings: SettingsDep,
    now: Now,
    unmasked: Unmasked,
):
    t = translator(request_language(request))
    code = form.get("code", "")
    if not code:
        return panel(request, user, engine, settings, now, unmasked, errors={"code": t("field.choice")})
    return _send(
        request,
        user,
        engine,
        settings,
        now,
        unmasked,
        "record_result",
        "code",
        t("outbound.result_saved", code=code),
        agent_id=agent_id_of(user.username, engine),
        call_id=attempt_id,
        payload={"code": code},
    )
