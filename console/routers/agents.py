"""Agents in the live center: their published states, and the commands that change them (log in at an
extension, log out, ready, pause with a reason, end wrap-up). An agent acts on itself (the agent id the site
configuration's ``agent_users`` links to its user name, or its user name when unlinked); a supervisor or admin
may force any agent's state.

A command goes through the store's command queue to the live driver (app/live.py ``send_command``) and the
answer is the driver's: 200 with the agent's new state, 409 with the core's reason (or when no live driver
is running: the command is not sent), 503 when the driver did not take it within ``HOTLINE_COMMAND_WAIT``
seconds (it is withdrawn, never applied later), 202 when the driver took it but has not finished yet
(``GET /api/live/commands/{id}`` tells the end).
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Optional

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from adapters.store.live_channel import SqlLiveCommands, SqlLiveStates
from adapters.store.site import SqlSiteConfigs
from app.live import (
    CLAIMED,
    CommandNotAnswered,
    CommandRejectedByCore,
    CommandRequest,
    LiveCenterDown,
    LiveCommand,
    agent_states,
    send_command,
)
from console.deps import EngineDep, Now, SettingsDep, Unmasked, ensure_can, require
from console.models import USERNAME_PATTERN, AppUser
from console.permissions import can
from console.schemas import masked_text, same_named

router = APIRouter(tags=["live agents"])
LiveUser = Annotated[AppUser, require("live.self")]
AgentId = Annotated[str, Path(pattern=USERNAME_PATTERN, description="the agent's id: its console user name")]


class AgentStatePublic(BaseModel):
    agent_id: str
    state: str = Field(description="out, ready, paused, ringing, talking, wrapup or callback")
    reason: str = ""
    call_id: str = ""
    caller: str = ""
    since: float


class CommandPublic(BaseModel):
    id: int
    kind: str
    actor: str
    agent_id: str
    call_id: str
    status: str = Field(description="pending, claimed, done, rejected or expired")
    created_at: float
    done_at: Optional[float] = None
    result: dict[str, Any] = Field(default_factory=dict, description="the driver's answer, e.g. the agent's state")


class LogInBody(BaseModel):
    extension: Optional[str] = Field(
        default=None, pattern=r"^[A-Za-z0-9_.@-]{1,64}$", description="the phone the agent sits at (hot-desking)"
    )


class PauseBody(BaseModel):
    reason: str = Field(default="break", min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")


def command_out(command: LiveCommand) -> CommandPublic:
    return CommandPublic(result=command.answer, **same_named(CommandPublic, command, besides=("result",)))


def run_command(engine, settings, now: float, request: CommandRequest) -> CommandPublic | JSONResponse:
    """Send a command to the live driver and turn its answer into the HTTP answer (see the module)."""
    try:
        done = send_command(
            SqlLiveCommands(engine),
            SqlLiveStates(engine),
            request,
            now=now,
            wait=settings.command_wait,
            clock=time.monotonic,
            sleep=time.sleep,
        )
    except LiveCenterDown as exc:
        return JSONResponse({"detail": str(exc), "error": "LiveCenterDown"}, status_code=409)
    except CommandRejectedByCore as exc:
        return JSONResponse(
            {"detail": str(exc), "error": "CommandRejected", "command": exc.command.id}, status_code=409
        )
    except CommandNotAnswered as exc:
        code = 202 if exc.command.status == CLAIMED else 503
        return JSONResponse(
            {
                "detail": str(exc),
                "error": "CommandNotAnswered",
                "command": exc.command.id,
                "status": exc.command.status,
            },
            status_code=code,
        )
    return command_out(done)


def _for_agent(user: AppUser, agent_id: str, engine) -> None:
    """An agent acts on itself: the agent id the site configuration links to its user name (``agent_users``),
    or, unlinked, the agent id that is its user name. Forcing another agent's state needs ``live.agents``."""
    if _agent_users(engine).get(agent_id, agent_id) != user.username:
        ensure_can(user, "live.agents")


def agent_id_of(username: str, engine) -> str:
    """The agent id a console user acts as: the one the site configuration links to it, else its user name."""
    return next((agent for agent, name in _agent_users(engine).items() if name == username), username)


def _agent_users(engine) -> dict[str, str]:
    """agent id -> console user name, from the stored site configuration (empty when none is stored)."""
    latest = SqlSiteConfigs(engine).latest()
    return dict(latest.document.get("agent_users") or {}) if latest is not None else {}


@router.get("/agents", response_model=list[AgentStatePublic])
def list_agents(user: LiveUser, engine: EngineDep, unmasked: Unmasked) -> list[AgentStatePublic]:
    """Agents' states as the live driver last published them (an agent sees its own)."""
    own = None if can(user.role, "live.agents") else user.username
    return [
        AgentStatePublic(
            agent_id=a.agent_id,
            state=a.state,
            reason=a.reason,
            call_id=a.call_id,
            caller=masked_text(a.caller, unmasked),
            since=a.since,
        )
        for a in agent_states(SqlLiveStates(engine), own)
    ]


def _agent_command(kind: str, agent_id: str, user: AppUser, engine, settings, now: float, **payload):
    _for_agent(user, agent_id, engine)
    return run_command(
        engine,
        settings,
        now,
        CommandRequest(user.username, kind, agent_id=agent_id, payload={k: v for k, v in payload.items() if v}),
    )


RESPONSES = {
    202: {"description": "taken by the driver, not finished yet"},
    409: {"description": "refused by the core, or no live driver running"},
    503: {"description": "the driver did not take it in time; withdrawn"},
}


@router.post("/agents/{agent_id}/login", response_model=CommandPublic, responses=RESPONSES)
def log_in(
    agent_id: AgentId,
    user: LiveUser,
    engine: EngineDep,
    settings: SettingsDep,
    now: Now,
    body: Optional[LogInBody] = None,
):
    return _agent_command("log_in", agent_id, user, engine, settings, now, extension=body.extension if body else None)


@router.post("/agents/{agent_id}/logout", response_model=CommandPublic, responses=RESPONSES)
def log_out(agent_id: AgentId, user: LiveUser, engine: EngineDep, settings: SettingsDep, now: Now):
    """Out at once when idle; after the current call or wrap-up otherwise."""
    return _agent_command("log_out", agent_id, user, engine, settings, now)


@router.post("/agents/{agent_id}/ready", response_model=CommandPublic, responses=RESPONSES)
def ready(agent_id: AgentId, user: LiveUser, engine: EngineDep, settings: SettingsDep, now: Now):
    return _agent_command("ready", agent_id, user, engine, settings, now)


@router.post("/agents/{agent_id}/pause", response_model=CommandPublic, responses=RESPONSES)
def pause(
    agent_id: AgentId,
    user: LiveUser,
    engine: EngineDep,
    settings: SettingsDep,
    now: Now,
    body: Optional[PauseBody] = None,
):
    """Not ready, with a reason (after the current call or wrap-up if busy)."""
    return _agent_command("pause", agent_id, user, engine, settings, now, reason=body.reason if body else "break")


@router.post("/agents/{agent_id}/end-wrapup", response_model=CommandPublic, responses=RESPONSES)
def end_wrapup(agent_id: AgentId, user: LiveUser, engine: EngineDep, settings: SettingsDep, now: Now):
    return _agent_command("end_wrapup", agent_id, user, engine, settings, now)


@router.get("/live/commands/{command_id}", response_model=CommandPublic)
def get_command(command_id: Annotated[int, Path(ge=1, le=2**62)], user: LiveUser, engine: EngineDep) -> CommandPublic:
    """A command's status and result (one's own; supervisors any)."""
    command = SqlLiveCommands(engine).get(command_id)
    if command is None or (command.actor != user.username and not can(user.role, "live.agents")):
        raise HTTPException(404, f"no command {command_id}")
    return command_out(command)
