"""The one event-log record type, in Asterisk's queue_log vocabulary plus Hotline's own verbs.

A record is what Asterisk writes to queue_log: ``time|callid|queuename|agent|event|data1|...|data5``.
Data fields keep their Python values (str, int, float) in memory; they become text only when written,
so the hot path never formats numbers.
"""

from __future__ import annotations

from typing import Iterable, Iterator, NamedTuple

NONE = "NONE"  # queue_log's placeholder for "no call" / "no queue" / "no agent"


class Verb:
    """Event names. Asterisk's first, with their data fields as Asterisk writes them."""

    # call events (Asterisk)
    ENTERQUEUE = "ENTERQUEUE"  # data1 = url, data2 = caller, data3 = position, data4 = hotline, data5 = priority
    CONNECT = "CONNECT"  # data1 = holdtime, data2 = bridged leg, data3 = ringtime
    COMPLETECALLER = "COMPLETECALLER"  # data1 = holdtime, data2 = calltime, data3 = origposition
    COMPLETEAGENT = "COMPLETEAGENT"  # same fields as COMPLETECALLER
    TRANSFER = "TRANSFER"  # data1 = extension, data2 = context, data3 = holdtime, data4 = calltime
    ABANDON = "ABANDON"  # data1 = position, data2 = origposition, data3 = waittime, data4 = 1 if short
    EXITWITHTIMEOUT = "EXITWITHTIMEOUT"  # data1 = position, data2 = origposition, data3 = waittime
    EXITEMPTY = "EXITEMPTY"  # same fields: nobody logged in to take the call
    FULL = "FULL"  # same fields: too many callers already wait
    RINGNOANSWER = "RINGNOANSWER"  # data1 = ring time in ms
    # agent events (Asterisk)
    AGENTLOGIN = "AGENTLOGIN"  # data1 = extension the agent sits at ("" = own endpoint)
    AGENTLOGOFF = "AGENTLOGOFF"  # data2 = seconds logged in
    PAUSE = "PAUSE"  # data1 = reason
    UNPAUSE = "UNPAUSE"  # data1 = reason of the pause that ends
    # Hotline's own
    REJECTED = "REJECTED"  # data1 = reason (blacklist), data2 = caller, data3 = hotline
    OUTOFHOURS = "OUTOFHOURS"  # data1 = action (hangup|callback), data2 = caller, data3 = hotline
    OVERFLOW = "OVERFLOW"  # queue = group the call is now also offered to; data1 = home queue
    CALLBACK_PROMPT = "CALLBACK_PROMPT"  # data1 = digits pressed, or "" when the caller hung up
    WRAPUPEND = "WRAPUPEND"  # data1 = wrap-up seconds actually spent
    CALLBACK_CREATED = "CALLBACK_CREATED"  # data1 ticket, data2 number, data3 priority, data4 hotline, data5 airing
    CALLBACK_DUPLICATE = "CALLBACK_DUPLICATE"  # data1 = the open ticket this caller already has
    CALLBACK_CLAIMED = "CALLBACK_CLAIMED"  # data1 = ticket
    CALLBACK_RELEASED = "CALLBACK_RELEASED"  # data1 = ticket (claimer gave it back unworked)
    CALLBACK_DONE = "CALLBACK_DONE"  # data1 ticket, data2 outcome, data3 attempt, data4 talk seconds
    CALLBACK_RETRY = "CALLBACK_RETRY"  # data1 ticket, data2 time of the next attempt
    CALLBACK_EXPIRED = "CALLBACK_EXPIRED"  # data1 = ticket
    ORDER_PLACED = "ORDER_PLACED"  # data1 order, data2 total, data3 hotline, data4 airing, data5 customer
    RECORDING = "RECORDING"  # data1 = recording file name, data2 = agent
    CONFIG_APPLIED = "CONFIG_APPLIED"  # data1 = label, data2 = agents added, data3 = agents removed (comma-separated)
    SURGE_ON = "SURGE_ON"  # data1 = airing, data2 = airing kind
    SURGE_OFF = "SURGE_OFF"  # same fields
    # outbound campaigns (core/dialer.py): call_id = the attempt, queue = the campaign
    CAMPAIGN_START = "CAMPAIGN_START"  # data1 mode, data2 numbers on the list, data3 approved by
    CAMPAIGN_STOP = "CAMPAIGN_STOP"  # data1 = reason
    CAMPAIGN_PAUSE = "CAMPAIGN_PAUSE"  # giving way to inbound: data1 = calls waiting on the order line
    CAMPAIGN_RESUME = "CAMPAIGN_RESUME"  # same field
    OUTBOUND_PREVIEW = "OUTBOUND_PREVIEW"  # agent = who sees the customer first; data1 number, data2 name
    OUTBOUND_DIAL = "OUTBOUND_DIAL"  # data1 number, data2 attempt number of this number, data3 mode
    OUTBOUND_ANSWER = "OUTBOUND_ANSWER"  # data1 = seconds from dial to answer (a person)
    OUTBOUND_FAIL = "OUTBOUND_FAIL"  # data1 result (busy, no_answer, unreachable, machine), data2 seconds
    OUTBOUND_CONNECT = "OUTBOUND_CONNECT"  # data1 seconds the callee waited for the agent, data2 number
    OUTBOUND_DROP = "OUTBOUND_DROP"  # data1 seconds waited, data2 "message" (drop message played) | "hung_up"
    OUTBOUND_COMPLETE = "OUTBOUND_COMPLETE"  # data1 talk seconds, data2 side that hung up (callee | agent)
    OUTBOUND_BROADCAST = "OUTBOUND_BROADCAST"  # data1 digits pressed, data2 heard | agent | no_agent
    OUTBOUND_RESULT = "OUTBOUND_RESULT"  # data1 agent's result code, data2 number
    OUTBOUND_RETRY = "OUTBOUND_RETRY"  # data1 number, data2 time of the next attempt, data3 attempts so far
    OUTBOUND_DONE = "OUTBOUND_DONE"  # data1 number, data2 final result, data3 attempts: no more calls to it
    SURVEY = "SURVEY"  # after-call survey of an inbound call: data1 = the digit pressed (1-3), "" = none
    # imported call records (adapters/store/anonymous_bank.py): not calls of a queue, kept for completeness
    VRU_HANGUP = "VRU_HANGUP"  # the caller hung up in the voice-response unit
    PHANTOM = "PHANTOM"  # a call that left no trace


# Exactly one of these ends every inbound call, and it names the call's outcome.
OUTCOME_OF_VERB = {
    Verb.COMPLETECALLER: "answered",
    Verb.COMPLETEAGENT: "answered",
    Verb.TRANSFER: "answered",
    Verb.ABANDON: "abandoned",
    Verb.EXITWITHTIMEOUT: "callback",
    Verb.EXITEMPTY: "callback",
    Verb.FULL: "callback",
    Verb.REJECTED: "rejected",
    Verb.OUTOFHOURS: "rejected",
}
TERMINAL_VERBS = frozenset(OUTCOME_OF_VERB)
# exactly one of these ends every outbound attempt (the broadcast's "0" continues to OUTBOUND_COMPLETE)
OUTBOUND_TERMINAL_VERBS = frozenset({Verb.OUTBOUND_FAIL, Verb.OUTBOUND_DROP, Verb.OUTBOUND_COMPLETE})

FIELDS = ("time", "call_id", "queue", "agent", "verb", "data1", "data2", "data3", "data4", "data5")


class LogRecord(NamedTuple):
    """An immutable flat record (a named tuple: cheap to make on the hot path)."""

    time: float
    call_id: str
    queue: str
    agent: str
    verb: str
    data1: object = ""
    data2: object = ""
    data3: object = ""
    data4: object = ""
    data5: object = ""

    def as_text_row(self) -> tuple[str, ...]:
        """All fields as text, the way queue_log and the Parquet log store them."""
        return (
            f"{self.time:.3f}",
            self.call_id,
            self.queue,
            self.agent,
            self.verb,
            format_value(self.data1),
            format_value(self.data2),
            format_value(self.data3),
            format_value(self.data4),
            format_value(self.data5),
        )

    def to_queue_log(self) -> str:
        """One line of Asterisk's queue_log: integer epoch seconds (as Asterisk writes them), pipe-separated;
        a '|' inside a field becomes '/', so it cannot shift the fields after it."""
        row = self.as_text_row()
        return "|".join((str(int(self.time)),) + tuple(field.replace("|", "/") for field in row[1:]))


def format_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def to_queue_log(records: Iterable[LogRecord]) -> Iterator[str]:
    for record in records:
        yield record.to_queue_log()


def parse_queue_log_line(line: str) -> LogRecord:
    """Read one queue_log line (ours or Asterisk's); data stays text."""
    parts = line.rstrip("\n").split("|")
    if len(parts) < 5:
        raise ValueError(f"queue_log line has {len(parts)} fields, needs at least 5: {line!r}")
    data = (parts[5:] + [""] * 5)[:5]
    return LogRecord(float(parts[0]), parts[1], parts[2], parts[3], parts[4], *data)
