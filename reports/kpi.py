"""Call-center KPIs from the event log: per interval and queue, and totals. Per-agent KPIs are in
``reports.agent_kpis``, conservation checks in ``reports.conservation``, local time in ``reports.periods``.

Every function takes the log table (``reports.eventlog``: ``time`` + text columns ``core.log.FIELDS``) or an
iterable of ``LogRecord`` and returns a flat ``pandas.DataFrame``. An empty log gives an empty frame
(``interval_kpis``) or one row of zeros (``summary_kpis``), never an exception.
``KPI_COLUMNS`` says what every column means.

Conventions (chosen here, used everywhere):

* A call belongs to the interval in which it *arrived* (ENTERQUEUE time), whatever its outcome time.
  Callback counts belong to the interval of their own record (CALLBACK_CREATED / _DONE / _EXPIRED).
  Intervals are aligned to multiples of ``interval_s`` in local time (the site's zone, or ``UTC +
  utc_offset_h``; its offset at the log's first record), so a 1440-minute interval is a local day.
* ``offered`` counts calls that entered a queue (had ENTERQUEUE). Rejected calls (REJECTED, OUTOFHOURS)
  are *not* offered; ``calls`` counts both. So ``calls == offered + rejected`` and
  ``offered == answered + abandoned + to_callback + in_progress``.
* "Within target" means ``wait <= target_s`` (Asterisk's service-level convention).
* Ratios with a zero denominator are NaN.
* Agent-time KPIs (``busy_s``, ``occupancy``, ...) are centre-wide: an agent can serve several queues and
  idle time belongs to no queue, so with ``by_queue=True`` every queue row of an interval repeats them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.log import NONE, Verb, data_column
from reports.call_lives import IN_PROGRESS, IndexedLog, call_lives_and_codes
from reports.eventlog import TEXT_DTYPE
from reports.periods import local_shift
from reports.timeline import CALLBACK, IDLE, NOT_READY, TALK, WRAPUP, agent_timeline, split_timeline

_CALL_COUNTS = {
    "calls": "inbound calls that arrived, rejected ones included (= offered + rejected)",
    "offered": "calls that entered a queue (ENTERQUEUE); rejected calls are not offered "
    "(= answered + abandoned + to_callback + in_progress)",
    "answered": "calls answered by an agent (COMPLETECALLER, COMPLETEAGENT, TRANSFER)",
    "abandoned": "calls whose caller hung up while waiting (ABANDON)",
    "short_abandoned": "abandoned calls flagged short (ABANDON short = 1, i.e. wait < policy.short_abandon)",
    "to_callback": "calls sent to the callback prompt (EXITWITHTIMEOUT, EXITEMPTY, FULL)",
    "rejected": "calls refused before queueing (REJECTED: blacklist/unknown number; OUTOFHOURS)",
    "in_progress": "offered calls with no terminal record in the log (still waiting or talking at its end)",
    "answered_in_target": "answered calls with wait <= target_s",
    "queued": "offered calls that waited (wait > 0) before their outcome",
    "abandoned_queued": "abandoned calls that waited (wait > 0)",
    "tickets_created_for_calls": "calls of the interval for which a callback ticket was created",
}
_CALL_RATES = {
    "sl_offered": "service level over offered calls: answered_in_target / offered",
    "sl_answered": "service level over answered calls: answered_in_target / answered",
    "asa": "average speed of answer: mean wait of answered calls, seconds",
    "att": "average talk time of answered calls, seconds",
    "aht": "average handle time of answered calls: mean(talk + wrap-up after that call), seconds; "
    "wrap-up is measured per call from the agent's WRAPUPEND (0 when the agent had none)",
    "longest_wait": "longest wait of any offered call (answered, abandoned or sent to callback), seconds",
    "abandon_rate": "abandoned / offered",
    "abandon_rate_excl_short": "(abandoned - short_abandoned) / (offered - short_abandoned)",
    "queued_share": "share of offered calls that queued: queued / offered",
    "abandon_rate_queued": "abandon rate among queued calls: abandoned_queued / queued",
    "wait_queued": "mean wait of queued calls (whatever their outcome), seconds",
    "wait_abandoned": "mean wait of abandoned calls, seconds",
}
_CALLBACK_COUNTS = {
    "callbacks_created": "CALLBACK_CREATED records (tickets opened)",
    "callback_attempts": "CALLBACK_DONE records (every attempt, unreachable included)",
    "callbacks_completed": "CALLBACK_DONE records with a final outcome (anything but 'unreachable')",
    "callbacks_expired": "CALLBACK_EXPIRED records",
}
_AGENT_TIME = {
    "busy_s": "agent-seconds of talk + callback + wrap-up (centre-wide, clipped to the period)",
    "idle_s": "agent-seconds logged in and ready (ringing counts as idle)",
    "not_ready_s": "agent-seconds paused (PAUSE..UNPAUSE, any reason)",
    "staffed": "average number of agents logged in: (busy_s + idle_s + not_ready_s) / period length",
    "occupancy": "busy_s / (busy_s + idle_s)",
}

KPI_COLUMNS: dict[str, str] = {
    "interval_start": "start of the interval, epoch seconds (a multiple of interval_s in local time)",
    "interval_end": "interval_start + interval_s",
    "queue": "home queue of the calls (ENTERQUEUE queue) and of the callbacks' originating calls",
    **_CALL_COUNTS,
    **_CALL_RATES,
    **_CALLBACK_COUNTS,
    **_AGENT_TIME,
}
SUMMARY_COLUMNS: dict[str, str] = {
    "start": "time of the first record, epoch seconds",
    "end": "time of the last record, epoch seconds",
    **{k: v for k, v in KPI_COLUMNS.items() if not k.startswith("interval_")},
}

COUNT_COLUMNS = list(_CALL_COUNTS) + list(_CALLBACK_COUNTS)
_BUSY_STATES = (TALK, CALLBACK, WRAPUP)
CALLBACK_OUTCOME_COLUMN = data_column(Verb.CALLBACK_DONE, "outcome")


def ratio(num, den) -> pd.Series:
    num = pd.Series(num, dtype="float64")
    den = pd.Series(den, dtype="float64", index=num.index)
    return (num / den).where(den > 0, np.nan)


# --- building blocks -------------------------------------------------------------------------------


def _call_metrics(lives: pd.DataFrame, keys: list[str], target_s: float) -> pd.DataFrame:
    outcome = lives["outcome"]
    answered = outcome == "answered"
    offered = outcome != "rejected"
    wait = lives["wait"]
    d = lives[keys].copy()
    d["calls"] = 1
    d["offered"] = offered.astype("int64")
    d["answered"] = answered.astype("int64")
    d["abandoned"] = (outcome == "abandoned").astype("int64")
    d["short_abandoned"] = lives["short_abandon"].astype("int64")
    d["to_callback"] = (outcome == "callback").astype("int64")
    d["rejected"] = (outcome == "rejected").astype("int64")
    d["in_progress"] = (outcome == IN_PROGRESS).astype("int64")
    d["answered_in_target"] = (answered & (wait <= target_s)).astype("int64")
    queued = offered & (wait > 0)
    d["queued"] = queued.astype("int64")
    d["abandoned_queued"] = (queued & (outcome == "abandoned")).astype("int64")
    d["wait_queued"] = wait.where(queued)
    d["wait_abandoned"] = wait.where(outcome == "abandoned")
    d["tickets_created_for_calls"] = lives["ticket_created"].astype("int64")
    d["asa"] = wait.where(answered)
    d["att"] = lives["talk"].where(answered)
    d["aht"] = lives["handle"].where(answered)
    d["longest_wait"] = wait.where(offered)
    grouped = d.groupby(keys, sort=True)
    sums = grouped[list(_CALL_COUNTS)].sum()
    means = grouped[["asa", "att", "aht", "wait_queued", "wait_abandoned"]].mean()
    longest = grouped[["longest_wait"]].max()
    return pd.concat([sums, means, longest], axis=1).reset_index()


def _callback_metrics(a: "LogAnalysis", keys: list[str], interval_s: float | None, shift: float = 0.0) -> pd.DataFrame:
    ix = a.ix
    rows = np.flatnonzero(ix.is_verb(Verb.CALLBACK_CREATED, Verb.CALLBACK_DONE, Verb.CALLBACK_EXPIRED))
    queue_of_code = np.full(len(ix.call_ids), None, dtype=object)
    queue_of_code[a.codes] = a.lives["queue"].to_numpy(dtype=object)
    queue = queue_of_code[ix.call_codes[rows]]
    record_queue = ix.text_at("queue", rows)
    queue = np.where(pd.isna(queue), record_queue, queue) if rows.size else record_queue
    d = pd.DataFrame({"queue": pd.Series(queue, dtype=TEXT_DTYPE)})
    if interval_s is not None:
        d["interval_start"] = np.floor((ix.time[rows] + shift) / interval_s) * interval_s - shift
    d["_all"] = 0
    verb = ix.text_at("verb", rows)
    done = verb == Verb.CALLBACK_DONE
    d["callbacks_created"] = (verb == Verb.CALLBACK_CREATED).astype("int64")
    d["callback_attempts"] = done.astype("int64")
    d["callbacks_completed"] = (done & (ix.text_at(CALLBACK_OUTCOME_COLUMN, rows) != "unreachable")).astype("int64")
    d["callbacks_expired"] = (verb == Verb.CALLBACK_EXPIRED).astype("int64")
    return d.groupby(keys, sort=True)[list(_CALLBACK_COUNTS)].sum().reset_index()


def _agent_time(timeline: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    state = timeline["state"]
    d = timeline[keys].copy()
    duration = timeline["duration"]
    d["busy_s"] = duration.where(state.isin(list(_BUSY_STATES)), 0.0)
    d["idle_s"] = duration.where(state == IDLE, 0.0)
    d["not_ready_s"] = duration.where(state == NOT_READY, 0.0)
    return d.groupby(keys, sort=True)[["busy_s", "idle_s", "not_ready_s"]].sum().reset_index()


def _finish(table: pd.DataFrame, period_s) -> pd.DataFrame:
    """Fill counts with 0 and compute the ratios."""
    for name in COUNT_COLUMNS:
        table[name] = table[name].fillna(0).astype("int64")
    for name in ("busy_s", "idle_s", "not_ready_s"):
        table[name] = table[name].fillna(0.0).astype("float64")
    for name in ("asa", "att", "aht", "longest_wait", "wait_queued", "wait_abandoned"):
        table[name] = table[name].astype("float64")
    table["queued_share"] = ratio(table["queued"], table["offered"])
    table["abandon_rate_queued"] = ratio(table["abandoned_queued"], table["queued"])
    table["sl_offered"] = ratio(table["answered_in_target"], table["offered"])
    table["sl_answered"] = ratio(table["answered_in_target"], table["answered"])
    table["abandon_rate"] = ratio(table["abandoned"], table["offered"])
    table["abandon_rate_excl_short"] = ratio(
        table["abandoned"] - table["short_abandoned"], table["offered"] - table["short_abandoned"]
    )
    logged_in = table["busy_s"] + table["idle_s"] + table["not_ready_s"]
    table["staffed"] = ratio(logged_in, period_s).fillna(0.0)
    table["occupancy"] = ratio(table["busy_s"], table["busy_s"] + table["idle_s"])
    return table


class LogAnalysis:
    """The log indexed once, its agent timeline and its call lives (with each life's call code)."""

    def __init__(self, log, short_abandon_s: float) -> None:
        self.ix = log if isinstance(log, IndexedLog) else IndexedLog(log)
        self.frame = self.ix.frame
        self.timeline = agent_timeline(self.frame)
        self.lives, self.codes = call_lives_and_codes(self.ix, self.timeline, short_abandon_s)


def empty_kpis(columns) -> pd.DataFrame:
    out = {}
    for name in columns:
        if name in ("queue", "agent", "period"):
            out[name] = pd.Series([], dtype=TEXT_DTYPE)
        elif name in COUNT_COLUMNS:
            out[name] = pd.Series([], dtype="int64")
        else:
            out[name] = pd.Series([], dtype="float64")
    return pd.DataFrame(out)


# --- public KPIs -----------------------------------------------------------------------------------


def interval_kpis(
    log,
    interval_s: float = 900,
    target_s: float = 20,
    by_queue: bool = True,
    *,
    short_abandon_s: float = 5.0,
    utc_offset_h: float | None = None,
) -> pd.DataFrame:
    """KPIs per interval (and per queue): the columns of ``KPI_COLUMNS``.

    Rows: every interval in which a call arrived, a callback record was written or an agent was logged
    in; with ``by_queue`` crossed with every queue seen in the calls and callbacks (a rectangular table,
    zeros where nothing happened). Agent-time columns are centre-wide, clipped to the interval.
    """
    if interval_s <= 0:
        raise ValueError("interval_s must be positive")
    return interval_kpis_of(LogAnalysis(log, short_abandon_s), float(interval_s), target_s, by_queue, utc_offset_h)


def interval_kpis_of(
    a: LogAnalysis, interval_s: float, target_s: float, by_queue: bool, utc_offset_h: float | None = None
) -> pd.DataFrame:
    columns = list(KPI_COLUMNS) if by_queue else [c for c in KPI_COLUMNS if c != "queue"]
    if a.frame.empty:
        return empty_kpis(columns)
    shift = local_shift(float(a.ix.time[0]), utc_offset_h)
    arrived = a.lives["arrived"].to_numpy()
    lives = a.lives.assign(interval_start=np.floor((arrived + shift) / interval_s) * interval_s - shift)
    keys = ["interval_start", "queue"] if by_queue else ["interval_start"]
    calls = _call_metrics(lives, keys, target_s)
    callbacks = _callback_metrics(a, keys, interval_s, shift)
    agents = _agent_time(split_timeline(a.timeline, interval_s, shift), ["interval_start"])
    starts = np.unique(
        np.concatenate(
            [
                calls["interval_start"].to_numpy(dtype="float64"),
                callbacks["interval_start"].to_numpy(dtype="float64"),
                agents["interval_start"].to_numpy(dtype="float64"),
            ]
        )
    )
    if len(starts) == 0:
        return empty_kpis(columns)
    if by_queue:
        queues = sorted(set(calls["queue"]) | set(callbacks["queue"])) or [NONE]
        grid = pd.DataFrame(
            {
                "interval_start": np.repeat(starts, len(queues)),
                "queue": pd.Series(np.tile(np.asarray(queues, dtype=object), len(starts)), dtype=TEXT_DTYPE),
            }
        )
    else:
        grid = pd.DataFrame({"interval_start": starts})
    table = grid.merge(calls, on=keys, how="left").merge(callbacks, on=keys, how="left")
    table = table.merge(agents, on="interval_start", how="left")
    table["interval_end"] = table["interval_start"] + interval_s
    table = _finish(table, pd.Series(interval_s, index=table.index))
    return table[columns].sort_values(keys, kind="stable").reset_index(drop=True)


def interval_and_summary_kpis(
    log,
    interval_s: float = 900,
    target_s: float = 20,
    *,
    by_queue: bool = False,
    short_abandon_s: float = 5.0,
    utc_offset_h: float | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``interval_kpis`` and ``summary_kpis`` of one log from one analysis of it (the twin's replications need
    both; the analysis is most of the cost)."""
    if interval_s <= 0:
        raise ValueError("interval_s must be positive")
    a = LogAnalysis(log, short_abandon_s)
    return interval_kpis_of(a, float(interval_s), target_s, by_queue, utc_offset_h), summary_kpis_of(
        a, target_s, by_queue
    )


def summary_kpis(log, target_s: float = 20, *, by_queue: bool = False, short_abandon_s: float = 5.0) -> pd.DataFrame:
    """Totals over the whole log: one row (one per queue with ``by_queue``), ``SUMMARY_COLUMNS``.
    Agent time covers the whole log; ``staffed`` divides by the log's length (``end - start``)."""
    return summary_kpis_of(LogAnalysis(log, short_abandon_s), target_s, by_queue)


def summary_kpis_of(a: LogAnalysis, target_s: float, by_queue: bool) -> pd.DataFrame:
    columns = list(SUMMARY_COLUMNS) if by_queue else [c for c in SUMMARY_COLUMNS if c != "queue"]
    if a.frame.empty:
        if by_queue:
            return empty_kpis(columns)
        table = pd.DataFrame({"start": [np.nan], "end": [np.nan]})
        for name in COUNT_COLUMNS:
            table[name] = 0
        for name in ("asa", "att", "aht", "longest_wait", "wait_queued", "wait_abandoned"):
            table[name] = np.nan
        for name in ("busy_s", "idle_s", "not_ready_s"):
            table[name] = 0.0
        return _finish(table, pd.Series([0.0]))[columns]
    start, end = float(a.ix.time[0]), float(a.ix.time[-1])
    keys = ["queue"] if by_queue else ["_all"]
    calls = _call_metrics(a.lives.assign(_all=0), keys, target_s)
    callbacks = _callback_metrics(a, keys, None)
    agents = _agent_time(a.timeline.assign(_all=0), ["_all"])
    if by_queue:
        queues = sorted(set(calls["queue"]) | set(callbacks["queue"])) or [NONE]
        grid = pd.DataFrame({"queue": pd.Series(queues, dtype=TEXT_DTYPE), "_all": 0})
    else:
        grid = pd.DataFrame({"_all": [0]})
    table = grid.merge(calls, on=keys, how="left").merge(callbacks, on=keys, how="left")
    table = table.merge(agents, on="_all", how="left")
    table["start"], table["end"] = start, end
    table = _finish(table, pd.Series(end - start, index=table.index))
    return table[columns].reset_index(drop=True)
