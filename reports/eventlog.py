"""The event log as a flat table: Parquet and queue_log I/O, the agent timeline and one row per call.

Every report is computed from a ``pandas.DataFrame`` with the columns ``core.log.FIELDS``:
``time`` (float64 epoch seconds) and nine text columns (``call_id``, ``queue``, ``agent``, ``verb``,
``data1`` .. ``data5``) holding exactly what ``LogRecord.as_text_row`` writes. The simulation and the live
driver write the same records, so the same code computes their KPIs.

Two derived flat tables feed every KPI:

* :func:`agent_timeline` -- one row per stretch of time an agent spent in one state
  (``TIMELINE_COLUMNS`` describes the columns).
* :func:`call_lives` -- one row per inbound call (``CALL_LIFE_COLUMNS``).

Both are vectorised (no Python loop over records); half a million records take well under a few seconds.
"""

from __future__ import annotations

import os
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core.log import FIELDS, NONE, OUTCOME_OF_VERB, TERMINAL_VERBS, LogRecord, Verb, data_column, format_value

TEXT_FIELDS = FIELDS[1:]
TEXT_DTYPE = "str"  # pandas' text dtype (Arrow-backed in pandas 3, object in pandas 2)
IN_PROGRESS = "in_progress"  # outcome of a call whose terminal record is not (yet) in the log
ANSWERED_VERBS = (Verb.COMPLETECALLER, Verb.COMPLETEAGENT, Verb.TRANSFER)

PARQUET_SCHEMA = pa.schema(
    [pa.field("time", pa.float64(), nullable=False)]
    + [pa.field(name, pa.string(), nullable=False) for name in TEXT_FIELDS],
    metadata={b"hotline.eventlog": b"1"},
)

# agent states in the timeline
IDLE, TALK, WRAPUP, NOT_READY, CALLBACK = "idle", "talk", "wrapup", "not_ready", "callback"
AGENT_STATES = (TALK, CALLBACK, WRAPUP, IDLE, NOT_READY)
_OUT, _AFTER = "out", "after"
_STATE_OF_VERB = {
    Verb.AGENTLOGIN: IDLE,
    Verb.UNPAUSE: IDLE,
    Verb.WRAPUPEND: IDLE,
    Verb.CALLBACK_RELEASED: IDLE,
    Verb.CONNECT: TALK,
    Verb.CALLBACK_CLAIMED: CALLBACK,
    Verb.PAUSE: NOT_READY,
    Verb.AGENTLOGOFF: _OUT,
    # the end of a conversation: wrap-up if the agent's next record is WRAPUPEND, else idle
    Verb.COMPLETECALLER: _AFTER,
    Verb.COMPLETEAGENT: _AFTER,
    Verb.TRANSFER: _AFTER,
    Verb.CALLBACK_DONE: _AFTER,
}

TIMELINE_COLUMNS = {
    "agent": "agent id",
    "state": "talk (inbound call) | callback (CALLBACK_CLAIMED..CALLBACK_DONE) | wrapup (after a call or callback, "
    "until WRAPUPEND) | idle (logged in and ready; ringing counts as idle) | not_ready (PAUSE..UNPAUSE)",
    "reason": "pause reason (PAUSE reason) for not_ready, else empty",
    "start": "epoch seconds the state began",
    "end": "epoch seconds it ended: the agent's next record, or the end of the log for the last open state",
    "duration": "end - start, seconds",
    "call_id": "call of the record that began the state (the inbound call for talk/wrapup after it, the "
    "originating call for callback work), else empty",
    "cause": "verb of the record that began the state",
    "session": "login session number of this agent (1 = first AGENTLOGIN in the log, 0 = before any)",
}

CALL_LIFE_COLUMNS = {
    "call_id": "call id",
    "queue": "home queue the call entered (ENTERQUEUE queue); for rejected calls the queue of the record",
    "hotline": "dialled hotline number",
    "caller": "caller id ('' when withheld)",
    "priority": "priority class from ENTERQUEUE's priority field (vip | important | normal; '' if unknown)",
    "arrived": "epoch seconds of ENTERQUEUE (of the REJECTED/OUTOFHOURS record for rejected calls)",
    "outcome": "answered | abandoned | callback (sent to the callback prompt) | rejected | in_progress "
    "(no terminal record in the log)",
    "terminal_verb": "the call's (first) terminal verb, '' if none",
    "wait": "seconds from arrival to CONNECT (answered) or to the terminal record (abandoned, callback); "
    "NaN for rejected and unanswered in-progress calls",
    "answered_at": "epoch seconds of CONNECT, NaN if none",
    "ended_at": "epoch seconds of the terminal record, NaN if none",
    "talk": "seconds from CONNECT to the terminal record of an answered call, NaN otherwise",
    "wrapup": "seconds of wrap-up the agent logged after this call (COMPLETE*/TRANSFER .. WRAPUPEND), 0 if "
    "none, NaN if not answered",
    "handle": "talk + wrapup (answered calls)",
    "agent": "agent who answered ('' if none)",
    "short_abandon": "abandoned and flagged short (ABANDON's short field == 1; when the flag is absent, wait < "
    "short_abandon_s)",
    "overflowed": "the call was also offered to another group (OVERFLOW)",
    "ring_no_answers": "RINGNOANSWER records of the call",
    "ticket_created": "a callback ticket was created for the call (CALLBACK_CREATED)",
    "ticket_duplicate": "the caller already had an open ticket (CALLBACK_DUPLICATE)",
}


# --- building and normalising the frame -----------------------------------------------------------


def empty_frame() -> pd.DataFrame:
    data = {"time": np.array([], dtype="float64")}
    data.update({name: pd.Series([], dtype=TEXT_DTYPE) for name in TEXT_FIELDS})
    return pd.DataFrame(data)


def records_to_frame(records: Iterable[LogRecord]) -> pd.DataFrame:
    """Records as the log table: ``time`` float64, the other fields the text ``LogRecord.as_text_row``
    gives them (data values through ``core.log.format_value``)."""
    records = records if isinstance(records, list) else list(records)
    if not records:
        return empty_frame()
    data = {"time": np.fromiter((r.time for r in records), dtype="float64", count=len(records))}
    data["call_id"] = pd.Series([r.call_id for r in records], dtype=TEXT_DTYPE)
    data["queue"] = pd.Series([r.queue for r in records], dtype=TEXT_DTYPE)
    data["agent"] = pd.Series([r.agent for r in records], dtype=TEXT_DTYPE)
    data["verb"] = pd.Series([r.verb for r in records], dtype=TEXT_DTYPE)
    for name, values in (
        ("data1", [r.data1 for r in records]),
        ("data2", [r.data2 for r in records]),
        ("data3", [r.data3 for r in records]),
        ("data4", [r.data4 for r in records]),
        ("data5", [r.data5 for r in records]),
    ):
        data[name] = pd.Series([v if type(v) is str else format_value(v) for v in values], dtype=TEXT_DTYPE)
    return pd.DataFrame(data)


def frame_to_records(frame: pd.DataFrame) -> list[LogRecord]:
    """The table back as records; data fields stay text (as ``parse_queue_log_line`` leaves them)."""
    frame = as_frame(frame)
    columns = [frame["time"].tolist()] + [frame[name].tolist() for name in TEXT_FIELDS]
    return [LogRecord(*row) for row in zip(*columns)]


def as_frame(log) -> pd.DataFrame:
    """Accept a log table or an iterable of ``LogRecord``; return a table with exactly ``FIELDS``."""
    if isinstance(log, pd.DataFrame):
        missing = [name for name in FIELDS if name not in log.columns]
        if missing:
            raise ValueError(f"event-log frame lacks column(s) {', '.join(missing)}")
        frame = log.loc[:, list(FIELDS)]
        out = {"time": frame["time"].astype("float64").to_numpy()}
        for name in TEXT_FIELDS:
            column = frame[name]
            if column.dtype != TEXT_DTYPE:
                column = column.fillna("").astype(TEXT_DTYPE)
            elif column.hasnans:
                column = column.fillna("")
            out[name] = column.reset_index(drop=True)
        return pd.DataFrame(out)
    return records_to_frame(log)


def _prepared(log) -> pd.DataFrame:
    """The table in time order (stable: records at the same time keep their log order), 0..n-1 index."""
    frame = as_frame(log)
    if not frame["time"].is_monotonic_increasing:
        frame = frame.sort_values("time", kind="stable").reset_index(drop=True)
    return frame


# --- Parquet -----------------------------------------------------------------------------------------


REPLICATION = "replication"  # optional integer column: which twin replication a record belongs to


def _to_table(frame: pd.DataFrame, replication: pd.Series | None = None) -> pa.Table:
    arrays = [pa.array(frame["time"].to_numpy(dtype="float64"), type=pa.float64())]
    for name in TEXT_FIELDS:
        arrays.append(pa.array(frame[name], from_pandas=True).cast(pa.string()))
    schema = PARQUET_SCHEMA
    if replication is not None:
        arrays.append(pa.array(replication.to_numpy(dtype="int32"), type=pa.int32()))
        schema = schema.append(pa.field(REPLICATION, pa.int32(), nullable=False))
    return pa.Table.from_arrays(arrays, schema=schema)


def write_parquet(records_or_frame, path: str | os.PathLike) -> None:
    """Write the log as Parquet. Same records -> same bytes (fixed schema and options, no pandas metadata,
    no timestamps), with the same pyarrow version. A frame's ``replication`` column is kept."""
    replication = None
    if isinstance(records_or_frame, pd.DataFrame) and REPLICATION in records_or_frame.columns:
        replication = records_or_frame[REPLICATION].reset_index(drop=True)
    table = _to_table(as_frame(records_or_frame), replication)
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=3,
        use_dictionary=True,
        write_statistics=True,
        row_group_size=1 << 20,
        data_page_version="1.0",
        version="2.6",
    )


def read_parquet(path: str | os.PathLike) -> pd.DataFrame:
    table = pq.read_table(path)
    missing = [name for name in FIELDS if name not in table.column_names]
    if missing:
        raise ValueError(f"{path}: not an event log, lacks column(s) {', '.join(missing)}")
    data = {"time": table.column("time").to_numpy().astype("float64")}
    for name in TEXT_FIELDS:
        data[name] = _text_series(table.column(name))
    if REPLICATION in table.column_names:
        data[REPLICATION] = table.column(REPLICATION).to_numpy()
    return pd.DataFrame(data)


def _text_series(column) -> pd.Series:
    series = column.to_pandas()
    if series.dtype != TEXT_DTYPE:
        series = series.astype(TEXT_DTYPE)
    return series.fillna("").reset_index(drop=True)


# --- Asterisk queue_log ----------------------------------------------------------------------------


def write_queue_log(records_or_frame, path: str | os.PathLike) -> None:
    """Asterisk's ``queue_log`` text: ``epoch|callid|queue|agent|event|data1|..|data5``, one line per record.
    Times become whole seconds (as Asterisk writes them), so sub-second precision is lost."""
    if isinstance(records_or_frame, pd.DataFrame):
        frame = as_frame(records_or_frame)
        seconds = frame["time"].to_numpy(dtype="float64").astype("int64").astype(str)
        lines = pd.Series(seconds, dtype=TEXT_DTYPE)
        for name in TEXT_FIELDS:
            lines = lines + "|" + frame[name]
        text_lines = lines.tolist()
    else:
        text_lines = [record.to_queue_log() for record in records_or_frame]
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for line in text_lines:
            out.write(line)
            out.write("\n")


def read_queue_log(path: str | os.PathLike) -> pd.DataFrame:
    """Read a queue_log file (ours or Asterisk's) into the log table. Missing data fields become "",
    fields past data5 are dropped (like ``core.log.parse_queue_log_line``); blank lines are skipped."""
    with open(path, encoding="utf-8", newline="") as source:
        text = source.read()
    lines = pc.utf8_rtrim(pa.array(text.split("\n"), type=pa.string()), characters="\r")
    lines = lines.filter(pc.not_equal(lines, ""))
    if len(lines) == 0:
        return empty_frame()
    short = pc.less(pc.list_value_length(pc.split_pattern(lines, "|")), 5)
    if pc.any(short).as_py():
        bad = lines.filter(short)[0].as_py()
        raise ValueError(f"{path}: queue_log line has fewer than 5 fields: {bad!r}")
    padded = pc.split_pattern(pc.binary_join_element_wise(lines, pa.scalar("|" * (len(FIELDS) - 1)), ""), "|")
    columns = [pc.list_element(padded, i) for i in range(len(FIELDS))]
    try:
        times = pc.cast(columns[0], pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, ValueError) as error:
        raise ValueError(f"{path}: a queue_log time is not a number ({error})") from None
    data = {"time": times.astype("float64")}
    for name, values in zip(TEXT_FIELDS, columns[1:]):
        data[name] = _text_series(values)
    return pd.DataFrame(data)


# --- agent timeline --------------------------------------------------------------------------------


def agent_timeline(log, end: float | None = None) -> pd.DataFrame:
    """One row per stretch of time an agent spent in one state (see ``TIMELINE_COLUMNS``).

    Each agent record starts a state that lasts until the agent's next record: AGENTLOGIN, UNPAUSE,
    WRAPUPEND -> idle; CONNECT -> talk; CALLBACK_CLAIMED -> callback; PAUSE -> not_ready (its reason);
    COMPLETE*/TRANSFER/CALLBACK_DONE -> wrapup if the agent's next record is WRAPUPEND, else idle;
    AGENTLOGOFF -> logged out (no row). Other verbs (RINGNOANSWER, ...) do not change the state.
    The last state of an agent still logged in lasts until ``end`` (default: the last record's time).
    Zero-length stretches are dropped.
    """
    frame = _prepared(log)
    columns = list(TIMELINE_COLUMNS)
    if frame.empty:
        return _empty(columns, {"start": "float64", "end": "float64", "duration": "float64", "session": "int64"})
    horizon = float(frame["time"].iloc[-1]) if end is None else float(end)
    agent = frame["agent"]
    verb = frame["verb"]
    mask = verb.isin(list(_STATE_OF_VERB)) & (agent != NONE) & (agent != "")
    reason_column = data_column(Verb.PAUSE, "reason")
    rows = frame.loc[mask, ["time", "call_id", "agent", "verb", reason_column]]
    if rows.empty:
        return _empty(columns, {"start": "float64", "end": "float64", "duration": "float64", "session": "int64"})
    rows = rows.assign(_pos=np.arange(len(rows))).sort_values(["agent", "_pos"], kind="stable")
    agents = rows["agent"].to_numpy(dtype=object)
    verbs = rows["verb"].to_numpy(dtype=object)
    times = rows["time"].to_numpy(dtype="float64")
    same_next = np.zeros(len(rows), dtype=bool)
    same_next[:-1] = agents[1:] == agents[:-1]
    next_verb = np.empty(len(rows), dtype=object)
    next_verb[:-1] = verbs[1:]
    next_verb[-1] = ""
    next_time = np.empty(len(rows), dtype="float64")
    next_time[:-1] = times[1:]
    next_time[-1] = horizon
    state = rows["verb"].map(_STATE_OF_VERB).to_numpy(dtype=object)
    after = state == _AFTER
    wrap = after & same_next & (next_verb == Verb.WRAPUPEND)
    state[wrap] = WRAPUP
    state[after & ~wrap] = IDLE
    seg_end = np.where(same_next, next_time, np.maximum(horizon, times))
    login = (verbs == Verb.AGENTLOGIN).astype("int64")
    session = pd.Series(login).groupby(agents, sort=False).cumsum().to_numpy()
    reason = np.where(state == NOT_READY, rows[reason_column].to_numpy(dtype=object), "")
    call_id = rows["call_id"].to_numpy(dtype=object)
    call_id = np.where(call_id == NONE, "", call_id)
    keep = (state != _OUT) & (seg_end > times)
    out = pd.DataFrame(
        {
            "agent": pd.Series(agents[keep], dtype=TEXT_DTYPE),
            "state": pd.Series(state[keep], dtype=TEXT_DTYPE),
            "reason": pd.Series(reason[keep], dtype=TEXT_DTYPE),
            "start": times[keep],
            "end": seg_end[keep],
            "duration": seg_end[keep] - times[keep],
            "call_id": pd.Series(call_id[keep], dtype=TEXT_DTYPE),
            "cause": pd.Series(verbs[keep], dtype=TEXT_DTYPE),
            "session": session[keep],
        }
    )
    return out


def clip_timeline(timeline: pd.DataFrame, start: float | None, end: float | None) -> pd.DataFrame:
    """The timeline restricted to [start, end): stretches cut at the boundaries, empty ones dropped."""
    lo = -np.inf if start is None else float(start)
    hi = np.inf if end is None else float(end)
    s = np.maximum(timeline["start"].to_numpy(), lo)
    e = np.minimum(timeline["end"].to_numpy(), hi)
    keep = e > s
    out = timeline.loc[keep].copy()
    out["start"] = s[keep]
    out["end"] = e[keep]
    out["duration"] = e[keep] - s[keep]
    return out.reset_index(drop=True)


def split_timeline(timeline: pd.DataFrame, interval_s: float, shift: float = 0.0) -> pd.DataFrame:
    """Cut every stretch at interval boundaries (multiples of ``interval_s`` in epoch seconds plus ``shift``,
    a zone's offset east of UTC, i.e. in local time); adds ``interval_start``. Durations of the pieces add up
    to the original durations."""
    if interval_s <= 0:
        raise ValueError("interval_s must be positive")
    if timeline.empty:
        out = timeline.copy()
        out["interval_start"] = pd.Series([], dtype="float64")
        return out
    start = timeline["start"].to_numpy(dtype="float64")
    end = timeline["end"].to_numpy(dtype="float64")
    first = np.floor((start + shift) / interval_s).astype("int64")
    last = np.maximum(np.ceil((end + shift) / interval_s).astype("int64") - 1, first)
    pieces = last - first + 1
    source = np.repeat(np.arange(len(timeline)), pieces)
    offsets = np.arange(len(source)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    k = first[source] + offsets
    lo = k * interval_s - shift
    s = np.maximum(start[source], lo)
    e = np.minimum(end[source], lo + interval_s)
    out = timeline.iloc[source].reset_index(drop=True)
    out["start"] = s
    out["end"] = e
    out["duration"] = e - s
    out["interval_start"] = lo.astype("float64")
    return out.loc[out["duration"] > 0].reset_index(drop=True)


# --- one row per call ------------------------------------------------------------------------------


class IndexedLog:
    """The prepared log table (time order, 0..n-1 index) with integer codes for call ids, agents and verbs,
    so that per-call and per-agent work is done with numpy instead of string matching. Internal helper
    shared by ``reports.kpi``."""

    def __init__(self, log) -> None:
        self.frame = _prepared(log)
        self.n = len(self.frame)
        self.time = self.frame["time"].to_numpy(dtype="float64")
        codes, uniques = pd.factorize(self.frame["call_id"])
        self.call_codes = codes.astype("int64")
        self.call_ids = np.asarray(uniques, dtype=object)
        valid = (self.call_ids != NONE) & (self.call_ids != "")
        self.callish = valid[self.call_codes] if self.n else np.zeros(0, dtype=bool)
        codes, uniques = pd.factorize(self.frame["agent"])
        self.agent_codes = codes.astype("int64")
        self.agent_names = np.asarray(uniques, dtype=object)
        valid = (self.agent_names != NONE) & (self.agent_names != "")
        self.has_agent = valid[self.agent_codes] if self.n else np.zeros(0, dtype=bool)
        codes, uniques = pd.factorize(self.frame["verb"])
        self._verb_codes = codes
        self._verb_index = {verb: i for i, verb in enumerate(uniques)}

    def is_verb(self, *verbs: str) -> np.ndarray:
        wanted = [self._verb_index[v] for v in verbs if v in self._verb_index]
        if not wanted:
            return np.zeros(self.n, dtype=bool)
        if len(wanted) == 1:
            return self._verb_codes == wanted[0]
        return np.isin(self._verb_codes, wanted)

    def call_rows(self, *verbs: str) -> np.ndarray:
        """Row numbers of call records (call_id not NONE) with one of these verbs."""
        return np.flatnonzero(self.is_verb(*verbs) & self.callish)

    def row_per_call(self, rows: np.ndarray, last: bool = False) -> np.ndarray:
        """For every call code, the first (or last) of ``rows`` that belongs to it, -1 if none."""
        out = np.full(len(self.call_ids), -1, dtype="int64")
        if rows.size:
            if last:
                rows = rows[::-1]
            _, first = np.unique(self.call_codes[rows], return_index=True)
            out[self.call_codes[rows[first]]] = rows[first]
        return out

    def count_per_call(self, rows: np.ndarray) -> np.ndarray:
        return np.bincount(self.call_codes[rows], minlength=len(self.call_ids))

    def text_at(self, name: str, rows: np.ndarray, missing: str = "") -> np.ndarray:
        """Text of column ``name`` at ``rows`` (object array); ``missing`` where the row is -1."""
        if rows.size == 0:
            return np.array([], dtype=object)
        found = rows >= 0
        values = self.frame[name].take(np.where(found, rows, 0)).to_numpy(dtype=object)
        return np.where(found, values, missing)

    def time_at(self, rows: np.ndarray) -> np.ndarray:
        if rows.size == 0:
            return np.array([], dtype="float64")
        return np.where(rows >= 0, self.time[np.where(rows >= 0, rows, 0)], np.nan)


def call_lives(log, *, short_abandon_s: float = 5.0) -> pd.DataFrame:
    """One row per inbound call (see ``CALL_LIFE_COLUMNS``), ordered by arrival: the flat record every
    call KPI is computed from. Calls are keyed by call_id; a call exists if it has an ENTERQUEUE or a
    terminal record. Durations come from record times; data fields are used only when the anchoring
    record is missing (e.g. a log that starts mid-call)."""
    indexed = IndexedLog(log)
    return _call_lives(indexed, agent_timeline(indexed.frame), short_abandon_s)[0]


def _num(values: np.ndarray) -> np.ndarray:
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype="float64")


def _call_lives(ix: IndexedLog, timeline: pd.DataFrame, short_abandon_s: float) -> tuple[pd.DataFrame, np.ndarray]:
    """``call_lives`` and, for every row of it, the call's code in ``ix``."""
    columns = list(CALL_LIFE_COLUMNS)
    dtypes = {
        "arrived": "float64",
        "wait": "float64",
        "answered_at": "float64",
        "ended_at": "float64",
        "talk": "float64",
        "wrapup": "float64",
        "handle": "float64",
        "short_abandon": "bool",
        "overflowed": "bool",
        "ring_no_answers": "int64",
        "ticket_created": "bool",
        "ticket_duplicate": "bool",
    }
    no_calls = (_empty(columns, dtypes), np.zeros(0, dtype="int64"))
    if ix.n == 0:
        return no_calls
    enter_all = ix.row_per_call(ix.call_rows(Verb.ENTERQUEUE))
    term_all = ix.row_per_call(ix.call_rows(*TERMINAL_VERBS))
    codes = np.flatnonzero((enter_all >= 0) | (term_all >= 0))
    if codes.size == 0:
        return no_calls
    e = enter_all[codes]
    t = term_all[codes]
    c = ix.row_per_call(ix.call_rows(Verb.CONNECT), last=True)[codes]
    has_enter = e >= 0

    tverb = ix.text_at("verb", t)
    outcome = np.array([OUTCOME_OF_VERB.get(v, IN_PROGRESS) for v in tverb], dtype=object)
    rejected = outcome == "rejected"
    answered = outcome == "answered"
    exited = (outcome == "abandoned") | (outcome == "callback")
    completed = (tverb == Verb.COMPLETECALLER) | (tverb == Verb.COMPLETEAGENT)
    transferred = tverb == Verb.TRANSFER
    ended_at = ix.time_at(t)
    answered_at = ix.time_at(c)
    connected = c >= 0

    # data-field fallbacks, used only when the anchoring record is missing
    def field_at(verb: str, name: str, rows: np.ndarray) -> np.ndarray:
        return ix.text_at(data_column(verb, name), rows)

    def number_at(verb: str, name: str, rows: np.ndarray) -> np.ndarray:
        return _num(field_at(verb, name, rows))

    hold_data = np.where(
        completed,
        number_at(Verb.COMPLETECALLER, "holdtime", t),
        np.where(transferred, number_at(Verb.TRANSFER, "holdtime", t), np.nan),
    )
    hold_data = np.where(connected, number_at(Verb.CONNECT, "holdtime", c), hold_data)
    talk_data = np.where(
        completed,
        number_at(Verb.COMPLETECALLER, "calltime", t),
        np.where(transferred, number_at(Verb.TRANSFER, "calltime", t), np.nan),
    )
    exit_wait_data = np.where(exited, number_at(Verb.ABANDON, "waittime", t), np.nan)  # the EXIT* verbs too

    talk = np.where(answered, np.where(connected, ended_at - answered_at, talk_data), np.nan)
    estimate = np.where(
        exited,
        ended_at - np.nan_to_num(exit_wait_data),
        ended_at - np.nan_to_num(talk) - np.nan_to_num(hold_data),
    )
    arrived = np.where(has_enter, ix.time_at(e), np.where(rejected, ended_at, estimate))
    wait = np.where(connected, answered_at - arrived, np.nan)
    wait = np.where(answered & np.isnan(wait), hold_data, wait)
    wait = np.where(exited, np.where(has_enter, ended_at - arrived, exit_wait_data), wait)
    wait = np.where(rejected, np.nan, wait)

    queue = np.where(has_enter, ix.text_at("queue", e), ix.text_at("queue", t))
    refused = np.where(rejected, t, -1)  # REJECTED and OUTOFHOURS name caller and hotline alike
    caller = np.where(has_enter, field_at(Verb.ENTERQUEUE, "caller", e), field_at(Verb.REJECTED, "caller", refused))
    hotline = np.where(has_enter, field_at(Verb.ENTERQUEUE, "hotline", e), field_at(Verb.REJECTED, "hotline", refused))
    priority = np.where(has_enter, field_at(Verb.ENTERQUEUE, "priority", e), "")
    agent = np.where(connected, ix.text_at("agent", c), np.where(answered, ix.text_at("agent", t), ""))
    agent = np.where(agent == NONE, "", agent)

    flag = field_at(Verb.ABANDON, "short", t)
    short_by_flag = np.isin(flag, ["0", "1"])
    short = (outcome == "abandoned") & np.where(short_by_flag, flag == "1", wait < short_abandon_s)

    def has(verb: str) -> np.ndarray:
        return ix.count_per_call(ix.call_rows(verb))[codes] > 0

    wrap = timeline.loc[(timeline["state"] == WRAPUP) & timeline["cause"].isin(list(ANSWERED_VERBS))]
    wrap_per_code = np.zeros(len(ix.call_ids), dtype="float64")
    if not wrap.empty:
        wrap_codes = pd.Index(ix.call_ids).get_indexer(wrap["call_id"].to_numpy(dtype=object))
        found = wrap_codes >= 0
        np.add.at(wrap_per_code, wrap_codes[found], wrap["duration"].to_numpy()[found])
    wrapup = np.where(answered, wrap_per_code[codes], np.nan)

    order = np.argsort(arrived, kind="stable")
    data = {
        "call_id": ix.call_ids[codes],
        "queue": queue,
        "hotline": hotline,
        "caller": caller,
        "priority": priority,
        "arrived": arrived,
        "outcome": outcome,
        "terminal_verb": tverb,
        "wait": wait,
        "answered_at": answered_at,
        "ended_at": ended_at,
        "talk": talk,
        "wrapup": wrapup,
        "handle": talk + wrapup,
        "agent": agent,
        "short_abandon": short,
        "overflowed": has(Verb.OVERFLOW),
        "ring_no_answers": ix.count_per_call(ix.call_rows(Verb.RINGNOANSWER))[codes],
        "ticket_created": has(Verb.CALLBACK_CREATED),
        "ticket_duplicate": has(Verb.CALLBACK_DUPLICATE),
    }
    lives = pd.DataFrame(
        {
            name: pd.Series(np.asarray(values)[order], dtype=dtypes.get(name, TEXT_DTYPE))
            for name, values in data.items()
        }
    )
    return lives[columns], codes[order]


def _empty(columns, dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series([], dtype=dtypes.get(name, TEXT_DTYPE)) for name in columns})
