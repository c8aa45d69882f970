"""The one event-log record type, in Asterisk's queue_log vocabulary plus Hotline's own verbs.

A record is what Asterisk writes to queue_log: ``time|callid|queuename|agent|event|data1|...|data5``.
Data fields keep their Python values (str, int, float) in memory; they become text only when written,
so the hot path never formats numbers.
"""

from __future__ import annotations

from typing import Iterable, Iterator, NamedTuple

NONE = "NONE"  # queue_log's placeholder for "no call" / "no queue" / "no agent"


class Verb:
    """Event names: Asterisk's first, then Hotline's own. What each one's data1..data5 hold is in
    ``DATA_FIELDS``; read them by name with ``LogRecord.field`` (or ``data_column`` for a log table)."""

    # call events (Asterisk)
    ENTERQUEUE = "ENTERQUEUE"
    CONNECT = "CONNECT"
    COMPLETECALLER = "COMPLETECALLER"
    COMPLETEAGENT = "COMPLETEAGENT"
    TRANSFER = "TRANSFER"
    ABANDON = "ABANDON"
    EXITWITHTIMEOUT = "EXITWITHTIMEOUT"
    EXITEMPTY = "EXITEMPTY"  # nobody logged in to take the call
    FULL = "FULL"  # too many callers already wait
    RINGNOANSWER = "RINGNOANSWER"
    # agent events (Asterisk)
    AGENTLOGIN = "AGENTLOGIN"
    AGENTLOGOFF = "AGENTLOGOFF"
    PAUSE = "PAUSE"
    UNPAUSE = "UNPAUSE"
    # Hotline's own
    REJECTED = "REJECTED"
    OUTOFHOURS = "OUTOFHOURS"
    OVERFLOW = "OVERFLOW"  # queue = group the call is now also offered to
    CALLBACK_PROMPT = "CALLBACK_PROMPT"
    WRAPUPEND = "WRAPUPEND"
    CALLBACK_CREATED = "CALLBACK_CREATED"
    CALLBACK_DUPLICATE = "CALLBACK_DUPLICATE"
    CALLBACK_CLAIMED = "CALLBACK_CLAIMED"
    CALLBACK_RELEASED = "CALLBACK_RELEASED"  # the claimer gave it back unworked
    CALLBACK_DONE = "CALLBACK_DONE"
    CALLBACK_RETRY = "CALLBACK_RETRY"
    CALLBACK_EXPIRED = "CALLBACK_EXPIRED"
    ORDER_PLACED = "ORDER_PLACED"
    RECORDING = "RECORDING"
    CONFIG_APPLIED = "CONFIG_APPLIED"
    SURGE_ON = "SURGE_ON"
    SURGE_OFF = "SURGE_OFF"
    # outbound campaigns (core/dialer.py): call_id = the attempt, queue = the campaign
    CAMPAIGN_START = "CAMPAIGN_START"
    CAMPAIGN_STOP = "CAMPAIGN_STOP"
    CAMPAIGN_PAUSE = "CAMPAIGN_PAUSE"  # giving way to inbound
    CAMPAIGN_RESUME = "CAMPAIGN_RESUME"
    OUTBOUND_PREVIEW = "OUTBOUND_PREVIEW"  # agent = who sees the customer first
    OUTBOUND_DIAL = "OUTBOUND_DIAL"
    OUTBOUND_ANSWER = "OUTBOUND_ANSWER"  # a person answered
    OUTBOUND_FAIL = "OUTBOUND_FAIL"
    OUTBOUND_CONNECT = "OUTBOUND_CONNECT"
    OUTBOUND_DROP = "OUTBOUND_DROP"
    OUTBOUND_COMPLETE = "OUTBOUND_COMPLETE"
    OUTBOUND_BROADCAST = "OUTBOUND_BROADCAST"
    OUTBOUND_RESULT = "OUTBOUND_RESULT"
    OUTBOUND_RETRY = "OUTBOUND_RETRY"
    OUTBOUND_DONE = "OUTBOUND_DONE"  # no more calls to this number
    SURVEY = "SURVEY"  # after-call survey of an inbound call
    # imported call records (adapters/store/anonymous_bank.py): not calls of a queue, kept for completeness
    VRU_HANGUP = "VRU_HANGUP"  # the caller hung up in the voice-response unit
    PHANTOM = "PHANTOM"  # a call that left no trace


_WAITED = ("position", "origposition", "waittime")  # a call that left the queue unanswered
_COMPLETED = ("holdtime", "calltime", "origposition")
_TICKET = ("ticket",)

# What data1..data5 hold, per verb, in order. The log keeps them positional (queue_log's layout); readers ask
# for them by name. Asterisk's verbs keep Asterisk's field names; times are seconds unless the name says ms.
DATA_FIELDS: dict[str, tuple[str, ...]] = {
    Verb.ENTERQUEUE: ("url", "caller", "position", "hotline", "priority"),
    Verb.CONNECT: ("holdtime", "bridged_leg", "ringtime"),
    Verb.COMPLETECALLER: _COMPLETED,
    Verb.COMPLETEAGENT: _COMPLETED,
    Verb.TRANSFER: ("extension", "context", "holdtime", "calltime"),
    Verb.ABANDON: _WAITED + ("short",),  # short: "1" if shorter than the policy's short abandon, else "0"
    Verb.EXITWITHTIMEOUT: _WAITED,
    Verb.EXITEMPTY: _WAITED,
    Verb.FULL: _WAITED,
    Verb.RINGNOANSWER: ("ringtime_ms",),
    Verb.AGENTLOGIN: ("extension",),  # the extension the agent sits at ("" = own endpoint)
    Verb.AGENTLOGOFF: ("location", "logintime"),  # Hotline leaves location empty
    Verb.PAUSE: ("reason",),
    Verb.UNPAUSE: ("reason",),  # of the pause that ends
    Verb.REJECTED: ("reason", "caller", "hotline"),  # reason: blacklist | unknown-number
    Verb.OUTOFHOURS: ("action", "caller", "hotline"),  # action: hangup | callback
    Verb.OVERFLOW: ("home_queue",),
    Verb.CALLBACK_PROMPT: ("digits",),  # "" when the caller hung up
    Verb.WRAPUPEND: ("wrapup",),  # seconds actually spent
    Verb.CALLBACK_CREATED: ("ticket", "number", "priority", "hotline", "airing"),
    Verb.CALLBACK_DUPLICATE: _TICKET,  # the open ticket this caller already has
    Verb.CALLBACK_CLAIMED: _TICKET,
    Verb.CALLBACK_RELEASED: _TICKET,
    Verb.CALLBACK_DONE: ("ticket", "outcome", "attempt", "talk"),
    Verb.CALLBACK_RETRY: ("ticket", "next_attempt_at"),
    Verb.CALLBACK_EXPIRED: _TICKET,
    Verb.ORDER_PLACED: ("order", "total", "hotline", "airing", "customer"),
    Verb.RECORDING: ("file", "agent"),
    Verb.CONFIG_APPLIED: ("label", "agents_added", "agents_removed"),  # agents comma-separated
    Verb.SURGE_ON: ("airing", "kind"),
    Verb.SURGE_OFF: ("airing", "kind"),
    Verb.CAMPAIGN_START: ("mode", "numbers", "approved_by"),  # numbers: how many are on the list
    Verb.CAMPAIGN_STOP: ("reason",),
    Verb.CAMPAIGN_PAUSE: ("calls_waiting",),  # on the order line
    Verb.CAMPAIGN_RESUME: ("calls_waiting",),
    Verb.OUTBOUND_PREVIEW: ("number", "name"),
    Verb.OUTBOUND_DIAL: ("number", "attempt", "mode"),  # attempt: of this number
    Verb.OUTBOUND_ANSWER: ("answered_after",),  # seconds from dial to answer
    Verb.OUTBOUND_FAIL: ("result", "after"),  # busy | no_answer | unreachable | machine; seconds from dial
    Verb.OUTBOUND_CONNECT: ("waited", "number"),  # seconds the callee waited for the agent
    Verb.OUTBOUND_DROP: ("waited", "how"),  # how: message (drop message played) | hung_up
    Verb.OUTBOUND_COMPLETE: ("talk", "hung_up_by"),  # callee | agent
    Verb.OUTBOUND_BROADCAST: ("digits", "result"),  # result: heard | agent | no_agent
    Verb.OUTBOUND_RESULT: ("code", "number"),  # the agent's result code
    Verb.OUTBOUND_RETRY: ("number", "next_attempt_at", "attempts"),  # attempts so far
    Verb.OUTBOUND_DONE: ("number", "result", "attempts"),  # the final result
    Verb.SURVEY: ("digit",),  # 1-3, "" = none pressed
    Verb.VRU_HANGUP: ("vru_time", "line"),  # line: the file's vru+line
    Verb.PHANTOM: ("waittime", "line"),
}
# verb -> field name -> position in the record (data1 is position 5)
_POSITION = {verb: {name: 5 + i for i, name in enumerate(names)} for verb, names in DATA_FIELDS.items()}


class NoSuchField(LookupError):
    """A reader asked for a data field the record's verb does not have."""


def _position(verb: str, name: str) -> int:
    try:
        return _POSITION[verb][name]
    except KeyError:
        if verb not in _POSITION:
            raise NoSuchField(f"{verb!r} is not a verb with named data fields (asked for {name!r})") from None
        raise NoSuchField(f"{verb} records have no field {name!r}; theirs are {', '.join(DATA_FIELDS[verb])}") from None


def data_column(verb: str, name: str) -> str:
    """The log table's column ("data1".."data5") that holds field ``name`` of ``verb`` records."""
    return f"data{_position(verb, name) - 4}"


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

    def field(self, name: str) -> object:
        """Data field ``name`` of this record's verb (``DATA_FIELDS``); ``NoSuchField`` if the verb has none."""
        return self[_position(self.verb, name)]

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
