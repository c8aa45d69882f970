"""What goes into the core and what comes out.

Events (past tense) report what a driver saw happen; commands (imperative) are what agents and
supervisors ask for. Both carry ``now`` (epoch seconds): the core never reads a clock. They are plain slotted dataclasses,
not frozen ones: a frozen dataclass costs four times as much to create, and the twin makes millions.
Actions are what the core asks the driver to carry out, timers included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from core.config import CenterConfig
from core.outbound_messages import OutboundAction, OutboundCommand, OutboundEvent

# --- events the drivers report ---------------------------------------------------------------------


@dataclass(slots=True)
class CallArrived:
    now: float
    call_id: str
    caller: str
    hotline: str


@dataclass(slots=True)
class CallerHungUp:
    now: float
    call_id: str


@dataclass(slots=True)
class AgentAnswered:
    now: float
    call_id: str
    agent_id: str


@dataclass(slots=True)
class AgentDidNotAnswer:
    """The agent's phone refused or failed the ring before the core's ring timeout."""

    now: float
    call_id: str
    agent_id: str


@dataclass(slots=True)
class AgentHungUp:
    now: float
    call_id: str


@dataclass(slots=True)
class PromptFinished:
    """The post-queue callback prompt ended; ``digits`` is what the caller pressed ("" if nothing)."""

    now: float
    call_id: str
    digits: str = ""


@dataclass(slots=True)
class TimerFired:
    now: float
    timer: "Timer"


@dataclass(slots=True)
class CallbackAgentDidNotAnswer:
    """The agent's phone was rung for a callback and not answered: the ticket is given back unworked (not an
    attempt) and the agent paused, as after a ring-no-answer."""

    now: float
    agent_id: str
    ticket_id: str


@dataclass(slots=True)
class CallRecorded:
    """The live driver started recording an answered call into ``file`` (logged as RECORDING)."""

    now: float
    call_id: str
    file: str


@dataclass(slots=True)
class SurveyAnswered:
    """The after-call survey ended: ``digit`` is what the caller pressed ("1"-"3"; "" = nothing)."""

    now: float
    call_id: str
    agent_id: str
    queue: str
    digit: str = ""


# --- commands from agents, supervisors and schedulers ---------------------------------------------


@dataclass(slots=True)
class Start:
    """Sent once by a driver when it starts the core: the core arms its surge-mode timers from the airing
    schedule (and switches surge mode on at once for airings already in their window). Sent again, it does
    nothing, so a driver may send it after every restart."""

    now: float


@dataclass(slots=True)
class ApplyConfig:
    """Run on a new site configuration from now on, without dropping calls (rules: ``core.reconfigure``).
    ``label`` (a version or a name) is logged with CONFIG_APPLIED."""

    now: float
    config: CenterConfig
    label: str = ""


@dataclass(slots=True)
class LogIn:
    """``extension`` is the phone the agent sits at (hot-desking); "" is the agent's own endpoint."""

    now: float
    agent_id: str
    extension: str = ""


@dataclass(slots=True)
class LogOut:
    now: float
    agent_id: str


@dataclass(slots=True)
class MakeReady:
    now: float
    agent_id: str


@dataclass(slots=True)
class MakeNotReady:
    now: float
    agent_id: str
    reason: str = "break"


@dataclass(slots=True)
class EndWrapUp:
    """The agent ends after-call work early and is ready now (or paused / logged out if that was asked)."""

    now: float
    agent_id: str


@dataclass(slots=True)
class ClaimCallback:
    """An agent takes a callback ticket by hand (the core also dispatches them itself)."""

    now: float
    agent_id: str
    ticket_id: str


@dataclass(slots=True)
class CompleteCallback:
    """The agent reports how the callback attempt went: one of ``core.tickets.OUTCOMES``."""

    now: float
    agent_id: str
    ticket_id: str
    outcome: str


@dataclass(slots=True)
class ExpireCallbacks:
    now: float


@dataclass(slots=True)
class TransferCall:
    """Blind transfer: the agent sends the caller on to ``destination`` (an extension of ``context`` in the
    PBX's dialplan) and is free again; for the queue the call ends as TRANSFER."""

    now: float
    call_id: str
    agent_id: str
    destination: str
    context: str = "hotline-transfer"


# --- actions for the driver ------------------------------------------------------------------------


@dataclass(slots=True)
class Timer:
    """A wake-up the core asked for; ``token`` tells a live timer from a stale one."""

    kind: str
    key: str
    token: int


@dataclass(slots=True)
class StartTimer:
    at: float
    timer: Timer


@dataclass(slots=True)
class CancelTimer:
    timer: Timer


@dataclass(slots=True)
class HoldCall:
    """Answer the caller and play music on hold while queued."""

    call_id: str


@dataclass(slots=True)
class RingAgent:
    """Ring the phone the agent is logged in at: ``extension``, or the agent's own endpoint when it is ""."""

    call_id: str
    agent_id: str
    caller: str
    extension: str = ""


@dataclass(slots=True)
class StopRinging:
    call_id: str
    agent_id: str


@dataclass(slots=True)
class ConnectCall:
    """Bridge the caller with the agent who answered."""

    call_id: str
    agent_id: str


@dataclass(slots=True)
class PlayCallbackPrompt:
    """Post-queue IVR: tell the caller we will call back; pressing 1 confirms, hanging up is fine."""

    call_id: str


@dataclass(slots=True)
class HangUp:
    call_id: str
    reason: str


@dataclass(slots=True)
class AgentPaused:
    """Tell the agent's phone/console that the core paused them (e.g. after a ring-no-answer)."""

    agent_id: str
    reason: str


@dataclass(slots=True)
class TransferCaller:
    """Drop the agent's leg and send the caller to ``destination`` in ``context`` (the call is no longer ours)."""

    call_id: str
    agent_id: str
    destination: str
    context: str


@dataclass(slots=True)
class DialCallback:
    """Start an outbound callback for a ticket from this agent's phone (``extension`` as in ``RingAgent``)."""

    ticket_id: str
    agent_id: str
    number: str
    extension: str = ""


@dataclass(slots=True)
class PlaySurvey:
    """The agent hung up: ask the caller to rate the call (press 1 / 2 / 3), report SurveyAnswered, hang up."""

    call_id: str
    agent_id: str
    queue: str


# The message registry: these unions (with core.outbound_messages' three) are the one list of message types;
# the tuples and the name -> class map (what the live driver's journal decodes) derive from them.
Event = (
    CallArrived
    | CallerHungUp
    | AgentAnswered
    | AgentDidNotAnswer
    | AgentHungUp
    | PromptFinished
    | TimerFired
    | CallRecorded
    | CallbackAgentDidNotAnswer
    | SurveyAnswered
    | OutboundEvent
)
Command = (
    Start
    | ApplyConfig
    | LogIn
    | LogOut
    | MakeReady
    | MakeNotReady
    | EndWrapUp
    | ClaimCallback
    | CompleteCallback
    | ExpireCallbacks
    | TransferCall
    | OutboundCommand
)
Action = (
    StartTimer
    | CancelTimer
    | HoldCall
    | RingAgent
    | StopRinging
    | ConnectCall
    | PlayCallbackPrompt
    | HangUp
    | AgentPaused
    | TransferCaller
    | DialCallback
    | PlaySurvey
    | OutboundAction
)

EVENTS: tuple[type, ...] = get_args(Event)
COMMANDS: tuple[type, ...] = get_args(Command)
ACTIONS: tuple[type, ...] = get_args(Action)
MESSAGE_TYPES: dict[str, type] = {cls.__name__: cls for cls in EVENTS + COMMANDS}  # what the core handles
