"""The agent timeline: one row per stretch of time an agent spent in one state (``TIMELINE_COLUMNS``), from the
event-log table of ``reports.eventlog``; vectorised, no Python loop over records."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.log import NONE, Verb, data_column
from reports.eventlog import TEXT_DTYPE, empty_table, in_time_order

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


def agent_timeline(log, end: float | None = None) -> pd.DataFrame:
    """One row per stretch of time an agent spent in one state (see ``TIMELINE_COLUMNS``).

    Each agent record starts a state that lasts until the agent's next record: AGENTLOGIN, UNPAUSE,
    WRAPUPEND -> idle; CONNECT -> talk; CALLBACK_CLAIMED -> callback; PAUSE -> not_ready (its reason);
    COMPLETE*/TRANSFER/CALLBACK_DONE -> wrapup if the agent's next record is WRAPUPEND, else idle;
    AGENTLOGOFF -> logged out (no row). Other verbs (RINGNOANSWER, ...) do not change the state.
    The last state of an agent still logged in lasts until ``end`` (default: the last record's time).
    Zero-length stretches are dropped.
    """
    frame = in_time_order(log)
    columns = list(TIMELINE_COLUMNS)
    if frame.empty:
        return empty_table(columns, {"start": "float64", "end": "float64", "duration": "float64", "session": "int64"})
    horizon = float(frame["time"].iloc[-1]) if end is None else float(end)
    agent = frame["agent"]
    verb = frame["verb"]
    mask = verb.isin(list(_STATE_OF_VERB)) & (agent != NONE) & (agent != "")
    reason_column = data_column(Verb.PAUSE, "reason")
    rows = frame.loc[mask, ["time", "call_id", "agent", "verb", reason_column]]
    if rows.empty:
        return empty_table(columns, {"start": "float64", "end": "float64", "duration": "float64", "session": "int64"})
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
