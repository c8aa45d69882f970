"""What goes into and out of the outbound dialer (``core.dialer``), beside ``core.messages``' inbound ones.

Commands are people's orders (load an approved campaign, dial the previewed customer, record a result), events
are what a driver saw happen to an outbound call, actions what the driver must do. All carry ``now``; the
registry in ``core.messages`` includes them, so the live journal decodes them like any other message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from core.campaigns import Campaign, ListEntry

# --- commands ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class LoadCampaign:
    """Run an approved campaign on its list; refused when ``campaign.approved_by`` is empty."""

    now: float
    campaign: Campaign
    entries: tuple[ListEntry, ...]


@dataclass(slots=True)
class StopCampaign:
    """No more dials; calls in progress end normally."""

    now: float
    campaign_id: str


@dataclass(slots=True)
class DialPreviewed:
    """The agent has read the previewed customer and dials them."""

    now: float
    agent_id: str
    attempt_id: str


@dataclass(slots=True)
class SkipPreview:
    """The agent passes on the previewed customer: no attempt is counted, the number waits for later."""

    now: float
    agent_id: str
    attempt_id: str


@dataclass(slots=True)
class DialManual:
    """Click to call: the agent dials one number for a campaign (calling hours and the do-not-call list hold)."""

    now: float
    agent_id: str
    campaign_id: str
    number: str


@dataclass(slots=True)
class RecordResult:
    """The agent's result code for the call they just had (one of the campaign's ``result_codes``)."""

    now: float
    agent_id: str
    attempt_id: str
    code: str


# --- events -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class CalleeAnswered:
    """A person answered (the driver's answer detection told a person from a machine)."""

    now: float
    attempt_id: str


@dataclass(slots=True)
class CalleeNotReached:
    """The dial ended without a person: ``result`` is one of ``core.campaigns.DIAL_FAILURES``."""

    now: float
    attempt_id: str
    result: str


@dataclass(slots=True)
class CalleeHungUp:
    now: float
    attempt_id: str


@dataclass(slots=True)
class OutboundAgentHungUp:
    now: float
    attempt_id: str


@dataclass(slots=True)
class BroadcastHeard:
    """The recorded notice ended; ``digits`` is what the callee pressed ("" = nothing, "0" = an agent)."""

    now: float
    attempt_id: str
    digits: str = ""


# --- actions ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class DialNumber:
    """Place the call; report CalleeAnswered or CalleeNotReached (no answer after ``ring_timeout`` seconds)."""

    attempt_id: str
    campaign_id: str
    number: str
    caller_id: str
    ring_timeout: float


@dataclass(slots=True)
class ConnectOutbound:
    """Bridge the answered callee with the agent (at ``extension``, "" = the agent's own endpoint)."""

    attempt_id: str
    agent_id: str
    extension: str = ""


@dataclass(slots=True)
class PlayDropMessage:
    """No agent is free for the answered callee: play the apology and hang up."""

    attempt_id: str


@dataclass(slots=True)
class PlayBroadcast:
    """Play the notice, collect DTMF, report BroadcastHeard."""

    attempt_id: str
    recording: str


@dataclass(slots=True)
class ShowPreview:
    """Show the agent the customer before the call (preview mode)."""

    agent_id: str
    attempt_id: str
    campaign_id: str
    number: str
    name: str


@dataclass(slots=True)
class HangUpOutbound:
    attempt_id: str
    reason: str


# The outbound part of the message registry: core.messages' unions include these, and nothing else lists them.
OutboundEvent = CalleeAnswered | CalleeNotReached | CalleeHungUp | OutboundAgentHungUp | BroadcastHeard
OutboundCommand = LoadCampaign | StopCampaign | DialPreviewed | SkipPreview | DialManual | RecordResult
OutboundAction = DialNumber | ConnectOutbound | PlayDropMessage | PlayBroadcast | ShowPreview | HangUpOutbound

OUTBOUND_EVENTS: tuple[type, ...] = get_args(OutboundEvent)
OUTBOUND_COMMANDS: tuple[type, ...] = get_args(OutboundCommand)
OUTBOUND_ACTIONS: tuple[type, ...] = get_args(OutboundAction)  # the live driver tells the dialer's actions apart
