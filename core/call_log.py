"""The call record an inbound call's event-log records describe: ``CallRecordFold`` reads a driver's log
record by record and, at the record that ends a call (``TERMINAL_VERBS``), answers the call's record fields
(``core.call_records.record_call`` turns them into a ``CallRecord`` with a new ID).

A call's record says when it came in (ENTERQUEUE), who answered it and when (CONNECT), its recording
(RECORDING), when and how it ended, and, as its summary, a line on what happened, since no agent wrote one:
an answered call is an inquiry until an agent says more; a call that left without an agent is a callback
(the caller was offered one or left one), a dropped call when the caller gave up waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.call_records import CALLBACK, DROPPED, INQUIRY, NORMAL
from core.log import NONE, OUTCOME_OF_VERB, LogRecord, Verb
from core.phones import InvalidPhoneNumber, parse_phone


@dataclass(slots=True)
class _OpenCall:
    started_at: float
    caller: str
    queue: str
    agent_id: str = ""
    answered_at: float | None = None
    recording: str = ""


def caller_key(caller: str) -> str:
    """The caller's number key (E.164), or "" when withheld or not a number."""
    try:
        return parse_phone(caller).key if caller and caller != NONE else ""
    except InvalidPhoneNumber:
        return ""


class CallRecordFold:
    """Folds one driver's records, in log order, into call records: ``add(record)`` answers the fields of
    the ended call's record (``record_call``'s keyword arguments) at its terminal record, else None."""

    def __init__(self) -> None:
        self.calls: dict[str, _OpenCall] = {}

    def add(self, record: LogRecord) -> dict | None:
        verb = record.verb
        if verb == Verb.ENTERQUEUE:
            self.calls[record.call_id] = _OpenCall(float(record.time), str(record.field("caller")), record.queue)
            return None
        if verb == Verb.CONNECT:
            call = self.calls.get(record.call_id)
            if call is not None:
                call.agent_id, call.answered_at = record.agent, float(record.time)
            return None
        if verb == Verb.RECORDING:
            call = self.calls.get(record.call_id)
            if call is not None:
                call.recording = str(record.field("file"))
            return None
        outcome = OUTCOME_OF_VERB.get(verb)
        if outcome is None:
            return None
        call = self.calls.pop(record.call_id, None)
        if call is None:  # refused before it queued (REJECTED, OUTOFHOURS), or its ENTERQUEUE is not in the log
            caller = str(record.field("caller")) if outcome == "rejected" else ""
            call = _OpenCall(float(record.time), caller, record.queue)
        ended = max(float(record.time), call.started_at)  # a clock stepping back must not refuse the record
        if call.answered_at is not None:
            call.answered_at = min(max(call.answered_at, call.started_at), ended)
        if outcome == "answered":
            talk = ended - call.answered_at if call.answered_at is not None else 0.0
            summary = f"answered by {call.agent_id} in {call.queue}, talk {talk:.1f} s ({verb})"
            business, kind = INQUIRY, NORMAL
        else:
            summary = f"{outcome} in {call.queue or 'no queue'} after {ended - call.started_at:.1f} s ({verb})"
            business, kind = CALLBACK, DROPPED if outcome == "abandoned" else NORMAL
        return dict(
            call_id=record.call_id,
            caller=caller_key(call.caller),
            agent_id=call.agent_id,
            started_at=call.started_at,
            ended_at=ended,
            answered_at=call.answered_at,
            call_type=kind,
            business_type=business,
            summary=summary,
            recording=call.recording,
        )
