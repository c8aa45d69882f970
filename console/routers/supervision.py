"""Supervisors on live calls: listen, whisper or barge in from their own phone, force a hang-up, hold and
resume, blind and attended transfer; and the queues' waiting callers. The agent on a call may hold, resume
and transfer its own call. Commands reach the live driver as in console/routers/agents.py (same answers)."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from adapters.store.live_channel import SqlLiveStates
from app.live import CommandRequest, agent_states
from console.deps import EngineDep, Now, SettingsDep, ensure_can, require
from console.models import AppUser
from console.permissions import can
from console.routers.agents import RESPONSES, CommandPublic, run_command

router = APIRouter(prefix="/supervision", tags=["live supervision"])
Supervisor = Annotated[AppUser, require("live.supervise")]
LiveUser = Annotated[AppUser, require("live.self")]
CallId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,128}$", description="the live call's id")]
ENDPOINT = r"^(PJSIP|SIP|IAX2|Local)/[A-Za-z0-9_.@-]{1,64}$"
EXTENSION = r"^[A-Za-z0-9*#+_-]{1,32}$"
CONTEXT = r"^[A-Za-z0-9_-]{1,64}$"


class ListenBody(BaseModel):
    endpoint: str = Field(pattern=ENDPOINT, description="the supervisor's phone, e.g. PJSIP/sup01")
    mode: Literal["listen", "whisper", "barge"] = "listen"


class TransferBody(BaseModel):
    extension: str = Field(pattern=EXTENSION)
    context: str = Field(default="hotline-transfer", pattern=CONTEXT)


class ConsultBody(TransferBody):
    endpoint: str = Field(pattern=ENDPOINT, description="the phone to consult before handing the caller over")


class QueueStatePublic(BaseModel):
    queue: str
    waiting: int
    oldest_since: Optional[float] = Field(description="arrival of the longest-waiting caller (epoch seconds)")
    at: float


def _own_call_or_supervisor(user: AppUser, call_id: str, engine) -> None:
    if can(user.role, "live.supervise"):
        return
    mine = agent_states(SqlLiveStates(engine), user.username)
    if not mine or mine[0].call_id != call_id:
        ensure_can(user, "live.supervise")  # 403: not this agent's call


def _call_command(kind: str, call_id: str, user: AppUser, engine, settings, now: float, payload: dict | None = None):
    return run_command(
        engine, settings, now, CommandRequest(user.username, kind, call_id=call_id, payload=payload or {})
    )


@router.get("/queues", response_model=list[QueueStatePublic])
def queues(user: Supervisor, engine: EngineDep) -> list[QueueStatePublic]:
    return [QueueStatePublic(**vars(q)) for q in SqlLiveStates(engine).queues()]


@router.post("/calls/{call_id}/listen", response_model=CommandPublic, responses=RESPONSES)
def listen(call_id: CallId, body: ListenBody, user: Supervisor, engine: EngineDep, settings: SettingsDep, now: Now):
    """Ring the supervisor's phone and join it to the call: listen (hears both), whisper (speaks to the agent
    only) or barge (heard by both). The result's ``leg`` is the supervisor's channel."""
    return _call_command(body.mode, call_id, user, engine, settings, now, {"endpoint": body.endpoint})


@router.post("/calls/{call_id}/hang-up", response_model=CommandPublic, responses=RESPONSES)
def hang_up(call_id: CallId, user: Supervisor, engine: EngineDep, settings: SettingsDep, now: Now):
    """End a conversation: both sides are hung up (logged as the agent's hang-up)."""
    return _call_command("hang_up", call_id, user, engine, settings, now)


@router.post("/calls/{call_id}/transfer", response_model=CommandPublic, responses=RESPONSES)
def transfer(call_id: CallId, body: TransferBody, user: LiveUser, engine: EngineDep, settings: SettingsDep, now: Now):
    """Blind transfer: the caller goes on to ``extension`` in ``context``; the agent is free."""
    _own_call_or_supervisor(user, call_id, engine)
    return _call_command("transfer", call_id, user, engine, settings, now, body.model_dump())


@router.post("/calls/{call_id}/consult", response_model=CommandPublic, responses=RESPONSES)
def consult(call_id: CallId, body: ConsultBody, user: LiveUser, engine: EngineDep, settings: SettingsDep, now: Now):
    """Attended transfer, step one: the caller is held and ``endpoint`` rings into the agent's line."""
    _own_call_or_supervisor(user, call_id, engine)
    return _call_command("consult", call_id, user, engine, settings, now, body.model_dump())


def _own_call_action(kind: str, summary: str) -> None:
    """``POST /calls/{call_id}/<kind>``, without a body, for the call's agent or a supervisor."""

    def endpoint(call_id: CallId, user: LiveUser, engine: EngineDep, settings: SettingsDep, now: Now):
        _own_call_or_supervisor(user, call_id, engine)
        return _call_command(kind, call_id, user, engine, settings, now)

    endpoint.__doc__ = summary
    router.post(
        f"/calls/{{call_id}}/{kind.replace('_', '-')}", response_model=CommandPublic, responses=RESPONSES, name=kind
    )(endpoint)


for _kind, _summary in (
    ("hold", "The caller hears music on hold; the agent's line stays open."),
    ("resume", "The held caller is back with the agent."),
    ("complete_transfer", "Attended transfer, done: the caller goes on to the consulted extension; the agent is free."),
    (
        "cancel_transfer",
        "Attended transfer, called off: the consulted phone is dropped and the caller is back with the agent.",
    ),
):
    _own_call_action(_kind, _summary)
