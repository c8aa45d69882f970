"""The agent desk's outbound panel: in preview mode the customer the dialer offers (name, number masked for
agents, earlier calls to the number, customer records) with the campaign's script, then Dial or Skip;
click to call for a manual campaign; after an outbound call its result code from the campaign's codes.

The panel is a fragment the desk loads (and reloads on the stream's ``preview`` and state events); every
action is the live command the API sends (``console.routers.campaigns``), so the core decides."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

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
from console.web.render import Labels, render
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


@dataclass
class Desk:
    """The outbound panel as this request sees it (FastAPI makes one per request): the panel, and a live
    command followed by the panel again."""

    request: Request
    t: Labels
    user: LiveUser
    engine: EngineDep
    settings: SettingsDep
    now: Now
    unmasked: Unmasked

    @cached_property
    def agent_id(self) -> str:  # read once per request: the command and the panel after it both need it
        return agent_id_of(self.user.username, self.engine)

    def panel(self, seq: int | None = None, **context):
        engine, agent_id = self.engine, self.agent_id
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
                    customers = find_customers(
                        SqlCustomers(engine), number, default_area_code=self.settings.default_area_code
                    )
                except ValueError:
                    customers = []
                card = dict(
                    attempt=preview["call_id"],
                    campaign=stored.campaign,
                    name=preview["payload"].get("name", ""),
                    phone=masked_text(number, self.unmasked),
                    history=history,
                    customers=customers,
                )
        to_code = [
            r
            for r in repo.results(day=site_day(self.now), agent_id=agent_id)
            if r["result"] in CONNECTED and not r["result_code"] and r["id"] != done
        ]
        ended = to_code[-1] if to_code else None
        manual = [
            s.campaign
            for s in campaigns.values()
            if s.status == "approved" and s.campaign.mode in (MANUAL, PREVIEW) and s.campaign.serves(agent_id, {})
        ]
        return render(
            self.request,
            "campaigns/_desk.html",
            self.user,
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

    def send(self, kind: str, field: str, notice: str, values=None, **command):
        """The live command; its refusal (the core's reason, or the center being down) beside ``field``, with
        what was typed (``values``) kept."""
        request = CommandRequest(self.user.username, kind, agent_id=self.agent_id, **command)
        detail = command_refusal(run_command(self.engine, self.settings, self.now, request))
        if detail is not None:
            return self.panel(values=values or {}, errors={field: detail}, status_code=409)
        return self.panel(notice=notice, done=command.get("call_id"))


DeskDep = Annotated[Desk, Depends()]


@router.get("/agent/outbound")
def outbound_panel(desk: DeskDep, seq: Annotated[int | None, Query(ge=1, le=2**62)] = None):
    return desk.panel(seq)


@router.post("/agent/outbound/{attempt_id}/dial")
def dial(attempt_id: AttemptId, desk: DeskDep):
    return desk.send("dial_previewed", "preview", desk.t("outbound.dialling", who=attempt_id), call_id=attempt_id)


@router.post("/agent/outbound/{attempt_id}/skip")
def skip(attempt_id: AttemptId, desk: DeskDep):
    return desk.send("skip_preview", "preview", desk.t("outbound.skipped"), call_id=attempt_id)


@router.post("/agent/outbound/manual")
def dial_manual(form: FormDep, desk: DeskDep):
    phone, campaign_id = form.get("phone", "").strip(), form.get("campaign_id", "")
    if not phone:
        return desk.panel(values=form, errors={"phone": desk.t("field.required")})
    try:
        SqlCampaigns(desk.engine).get(campaign_id)
    except UnknownCampaign:
        return desk.panel(values=form, errors={"campaign_id": desk.t("field.choice")})
    return desk.send(
        "dial_manual",
        "phone",
        desk.t("outbound.dialling", who=masked_text(phone, desk.unmasked)),
        values=form,
        payload={"campaign_id": campaign_id, "number": phone},
    )


@router.post("/agent/outbound/{attempt_id}/result")
def record_result(attempt_id: AttemptId, form: FormDep, desk: DeskDep):
    code = form.get("code", "")
    if not code:
        return desk.panel(errors={"code": desk.t("field.choice")})
    return desk.send(
        "record_result", "code", desk.t("outbound.result_saved", code=code), call_id=attempt_id, payload={"code": code}
    )
