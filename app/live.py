"""Use cases of the live channel between the console and the live driver (two processes over one store).

* ``send_command``: a console user's command goes into the durable queue and the caller waits for the
  driver's answer: done (with the agent's new state), rejected (the core's reason), or no answer in time;
  a command nobody took before its deadline is withdrawn, so it is never applied later.
* ``agent_states``: the agents' states as the driver last published them.

The store implements ``LiveCommands`` and ``LiveStates`` (adapters/store/live_channel.py); the waiting is
given ``clock`` and ``sleep`` so a unit test runs it with a fake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Callable, Protocol

# what an agent (or a supervisor forcing an agent's state) may ask for
AGENT_KINDS = ("log_in", "log_out", "ready", "pause", "end_wrapup")
# what a supervisor may do to a call
CALL_KINDS = (
    "listen",
    "whisper",
    "barge",
    "hang_up",
    "transfer",
    "consult",
    "complete_transfer",
    "cancel_transfer",
    "hold",
    "resume",
)
# outbound campaigns: a supervisor starts / stops an approved campaign, an agent works its calls
CAMPAIGN_KINDS = ("start_campaign", "stop_campaign", "dial_previewed", "skip_preview", "dial_manual", "record_result")
COMMAND_KINDS = AGENT_KINDS + CALL_KINDS + CAMPAIGN_KINDS
PENDING, CLAIMED, DONE, REJECTED, EXPIRED = "pending", "claimed", "done", "rejected", "expired"
FINAL_STATUSES = (DONE, REJECTED, EXPIRED)
HEARTBEAT_EVERY = 1.0  # seconds between the driver's heartbeats
HEARTBEAT_STALE = 5.0  # a driver not heard of for this long is not running


@dataclass
class CommandRequest:
    actor: str
    kind: str
    agent_id: str = ""
    call_id: str = ""
    payload: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in COMMAND_KINDS:
            raise ValueError(f"kind must be one of {', '.join(COMMAND_KINDS)}, not {self.kind!r}")


@dataclass
class LiveCommand:
    id: int
    created_at: float
    expires_at: float
    actor: str
    kind: str
    agent_id: str
    call_id: str
    payload: dict
    status: str
    claimed_at: float | None = None
    started: str = ""
    result: str = ""
    done_at: float | None = None

    @property
    def answer(self) -> dict:
        """The driver's result as JSON (an agent's state, a supervisor leg), or ``{"message": text}``."""
        try:
            value = json.loads(self.result) if self.result else {}
        except ValueError:
            value = None
        return value if isinstance(value, dict) else {"message": self.result}


@dataclass
class AgentStatus:
    agent_id: str
    state: str  # core.center's agent states: out, ready, paused, ringing, talking, wrapup, callback
    reason: str = ""
    call_id: str = ""
    caller: str = ""
    since: float = 0.0


@dataclass
class QueueStatus:
    queue: str
    waiting: int
    oldest_since: float | None
    at: float


class LiveCommands(Protocol):
    def submit(self, request: CommandRequest, now: float, expires_at: float) -> int: ...

    def get(self, command_id: int) -> LiveCommand | None: ...

    def withdraw(self, command_id: int, now: float) -> bool:
        """Expire the command if nobody claimed it yet; False if the driver has it already."""
        ...


class LiveStates(Protocol):
    def agents(self) -> list[AgentStatus]: ...

    def queues(self) -> list[QueueStatus]: ...

    def heartbeat(self) -> float | None:
        """When the live driver last said it is running (epoch seconds), None if never."""
        ...


class LiveCenterDown(RuntimeError):
    """No live driver is running: a command would wait for nobody, so it is not sent."""

    def __init__(self, beat: float | None, now: float) -> None:
        when = "never" if beat is None else f"{now - beat:.0f} s ago"
        super().__init__(
            f"the live center is not running (`hotline live run` last heard of {when}): the command was not sent"
        )


class CommandNotAnswered(RuntimeError):
    """The driver did not answer within the wait: ``command.status`` says whether it was withdrawn
    (``expired``: never applied) or is still being carried out (``claimed``)."""

    def __init__(self, command: LiveCommand, wait: float) -> None:
        self.command = command
        if command.status == EXPIRED:
            text = (
                f"the live driver did not take command {command.id} within {wait:g} s (is `hotline live run` "
                "running?); it was withdrawn and will not be applied"
            )
        else:
            text = (
                f"the live driver took command {command.id} but has not finished it within {wait:g} s; "
                f"see GET /api/live/commands/{command.id}"
            )
        super().__init__(text)


class CommandRejectedByCore(RuntimeError):
    def __init__(self, command: LiveCommand) -> None:
        self.command = command
        super().__init__(command.answer.get("message") or command.result or "rejected")


def send_command(
    commands: LiveCommands,
    states: "LiveStates",
    request: CommandRequest,
    *,
    now: float,
    wait: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    poll: float = 0.05,
    grace: float = 2.0,
) -> LiveCommand:
    """Queue ``request`` and wait for the driver. Refused at once (``LiveCenterDown``) when the driver has
    not been heard of for ``HEARTBEAT_STALE`` seconds. The command expires at ``now + wait`` (the driver's
    clock judges it): unclaimed by then it is withdrawn; one the driver claimed in time gets ``grace`` more
    seconds to finish. ``clock`` and ``sleep`` measure the wait (a monotonic clock will do).
    Returns the done command; raises ``CommandRejectedByCore`` or ``CommandNotAnswered``."""
    beat = states.heartbeat()
    if beat is None or now - beat > HEARTBEAT_STALE:
        raise LiveCenterDown(beat, now)
    command_id = commands.submit(request, now, now + wait)
    deadline = clock() + wait
    while True:
        command = commands.get(command_id)
        if command is None:  # pruned under us: cannot happen within a wait, but never loop forever
            raise RuntimeError(f"command {command_id} vanished")
        if command.status == DONE:
            return command
        if command.status == REJECTED:
            raise CommandRejectedByCore(command)
        if command.status == EXPIRED:
            raise CommandNotAnswered(command, wait)
        at = clock()
        if command.status == PENDING and at >= deadline:
            if commands.withdraw(command_id, now + wait):
                raise CommandNotAnswered(commands.get(command_id) or replace(command, status=EXPIRED), wait)
            continue  # claimed at the last moment: read its status again
        if command.status == CLAIMED and at >= deadline + grace:
            raise CommandNotAnswered(command, wait)
        sleep(poll)


def agent_states(states: LiveStates, agent_id: str | None = None) -> list[AgentStatus]:
    """All agents' published states (one agent's with ``agent_id``), by agent id."""
    found = sorted(states.agents(), key=lambda a: a.agent_id)
    return [a for a in found if agent_id is None or a.agent_id == agent_id]
