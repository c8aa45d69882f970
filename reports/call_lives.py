"""One row per inbound call (``CALL_LIFE_COLUMNS``), the flat record every call KPI is computed from, and
``IndexedLog``, the event-log table with integer codes that per-call and per-agent work uses (numpy, not
string matching). Vectorised: half a million records take well under a few seconds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.log import NONE, OUTCOME_OF_VERB, TERMINAL_VERBS, Verb, data_column
from reports.eventlog import TEXT_DTYPE, empty_table, in_time_order
from reports.timeline import WRAPUP, agent_timeline

IN_PROGRESS = "in_progress"  # outcome of a call whose terminal record is not (yet) in the log
ANSWERED_VERBS = (Verb.COMPLETECALLER, Verb.COMPLETEAGENT, Verb.TRANSFER)

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


class IndexedLog:
    """The prepared log table (time order, 0..n-1 index) with integer codes for call ids, agents and verbs,
    so that per-call and per-agent work is done with numpy instead of string matching. Internal helper
    shared by ``reports.kpi``."""

    def __init__(self, log) -> None:
        self.frame = in_time_order(log)
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
    return call_lives_and_codes(indexed, agent_timeline(indexed.frame), short_abandon_s)[0]


def to_numbers(values: np.ndarray) -> np.ndarray:
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype="float64")


def call_lives_and_codes(
    ix: IndexedLog, timeline: pd.DataFrame, short_abandon_s: float
) -> tuple[pd.DataFrame, np.ndarray]:
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
    no_calls = (empty_table(columns, dtypes), np.zeros(0, dtype="int64"))
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
        return to_numbers(field_at(verb, name, rows))

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
