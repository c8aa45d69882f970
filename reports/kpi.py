"""Call-center KPIs from the event log: per interval and queue, per agent, totals, and conservation checks.

Every function takes the log table (``reports.eventlog``: ``time`` + text columns ``core.log.FIELDS``) or an
iterable of ``LogRecord`` and returns a flat ``pandas.DataFrame``. An empty log gives an empty frame
(``interval_kpis``, ``agent_kpis``) or one row of zeros (``summary_kpis``), never an exception.
``KPI_COLUMNS`` and ``AGENT_KPI_COLUMNS`` say what every column means.

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

from datetime import datetime, timedelta, timezone, tzinfo

import numpy as np
import pandas as pd

from core.config import SITE_ZONE
from core.log import NONE, TERMINAL_VERBS, Verb, data_column
from reports.eventlog import (
    CALLBACK,
    IDLE,
    IN_PROGRESS,
    NOT_READY,
    TALK,
    TEXT_DTYPE,
    WRAPUP,
    IndexedLog,
    _call_lives,
    _num,
    agent_timeline,
    clip_timeline,
    split_timeline,
)

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

UNNAMED = "(unnamed)"  # the agent row of answered calls whose records name no agent (imported NO_SERVER)
AGENT_KPI_COLUMNS: dict[str, str] = {
    "agent": f"agent id; {UNNAMED!r} for answered calls whose records name no agent",
    "logged_in_s": "seconds logged in (= talk_s + wrapup_s + idle_s + not_ready_s); unknown (NaN) for an agent "
    "the log has no AGENTLOGIN/AGENTLOGOFF of (imported call records), as are idle_s and occupancy",
    "talk_s": "seconds talking: inbound calls and callbacks (= inbound_talk_s + callback_talk_s)",
    "inbound_talk_s": "seconds on inbound calls (CONNECT..COMPLETE*/TRANSFER); without login records, the sum "
    "over the agent's calls, so overlapping calls each keep their talk time",
    "callback_talk_s": "seconds on callbacks (CALLBACK_CLAIMED..CALLBACK_DONE)",
    "wrapup_s": "seconds of wrap-up after calls and callbacks (..WRAPUPEND)",
    "idle_s": "seconds logged in and ready (ringing counts as idle)",
    "not_ready_s": "seconds paused, all reasons (see agent_not_ready for the split by reason)",
    "calls": "inbound calls the agent answered (CONNECT in the period)",
    "transfers": "TRANSFER records of the agent",
    "callbacks": "callback attempts finished (CALLBACK_DONE)",
    "callbacks_completed": "callback attempts with a final outcome (not 'unreachable')",
    "ring_no_answers": "RINGNOANSWER records of the agent",
    "aht": "mean (talk + wrap-up) of the inbound calls counted in 'calls', seconds",
    "occupancy": "(talk_s + wrapup_s) / (talk_s + wrapup_s + idle_s)",
}

_COUNT_COLUMNS = list(_CALL_COUNTS) + list(_CALLBACK_COUNTS)
_BUSY_STATES = (TALK, CALLBACK, WRAPUP)
_CALLBACK_OUTCOME = data_column(Verb.CALLBACK_DONE, "outcome")


def _ratio(num, den) -> pd.Series:
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


def _callback_metrics(a: "_Analysis", keys: list[str], interval_s: float | None, shift: float = 0.0) -> pd.DataFrame:
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
    d["callbacks_completed"] = (done & (ix.text_at(_CALLBACK_OUTCOME, rows) != "unreachable")).astype("int64")
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
    for name in _COUNT_COLUMNS:
        table[name] = table[name].fillna(0).astype("int64")
    for name in ("busy_s", "idle_s", "not_ready_s"):
        table[name] = table[name].fillna(0.0).astype("float64")
    for name in ("asa", "att", "aht", "longest_wait", "wait_queued", "wait_abandoned"):
        table[name] = table[name].astype("float64")
    table["queued_share"] = _ratio(table["queued"], table["offered"])
    table["abandon_rate_queued"] = _ratio(table["abandoned_queued"], table["queued"])
    table["sl_offered"] = _ratio(table["answered_in_target"], table["offered"])
    table["sl_answered"] = _ratio(table["answered_in_target"], table["answered"])
    table["abandon_rate"] = _ratio(table["abandoned"], table["offered"])
    table["abandon_rate_excl_short"] = _ratio(
        table["abandoned"] - table["short_abandoned"], table["offered"] - table["short_abandoned"]
    )
    logged_in = table["busy_s"] + table["idle_s"] + table["not_ready_s"]
    table["staffed"] = _ratio(logged_in, period_s).fillna(0.0)
    table["occupancy"] = _ratio(table["busy_s"], table["busy_s"] + table["idle_s"])
    return table


class _Analysis:
    """The log indexed once, its agent timeline and its call lives (with each life's call code)."""

    def __init__(self, log, short_abandon_s: float) -> None:
        self.ix = log if isinstance(log, IndexedLog) else IndexedLog(log)
        self.frame = self.ix.frame
        self.timeline = agent_timeline(self.frame)
        self.lives, self.codes = _call_lives(self.ix, self.timeline, short_abandon_s)


def _empty_kpis(columns) -> pd.DataFrame:
    out = {}
    for name in columns:
        if name in ("queue", "agent", "period"):
            out[name] = pd.Series([], dtype=TEXT_DTYPE)
        elif name in _COUNT_COLUMNS:
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
    return _interval_kpis(_Analysis(log, short_abandon_s), float(interval_s), target_s, by_queue, utc_offset_h)


def local_shift(epoch: float, utc_offset_h: float | None = None) -> float:
    """Seconds east of UTC of the local zone (``local_zone``) at ``epoch``."""
    offset = datetime.fromtimestamp(epoch, local_zone(utc_offset_h)).utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


def _interval_kpis(
    a: _Analysis, interval_s: float, target_s: float, by_queue: bool, utc_offset_h: float | None = None
) -> pd.DataFrame:
    columns = list(KPI_COLUMNS) if by_queue else [c for c in KPI_COLUMNS if c != "queue"]
    if a.frame.empty:
        return _empty_kpis(columns)
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
        return _empty_kpis(columns)
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
    a = _Analysis(log, short_abandon_s)
    return _interval_kpis(a, float(interval_s), target_s, by_queue, utc_offset_h), _summary_kpis(a, target_s, by_queue)


def summary_kpis(log, target_s: float = 20, *, by_queue: bool = False, short_abandon_s: float = 5.0) -> pd.DataFrame:
    """Totals over the whole log: one row (one per queue with ``by_queue``), ``SUMMARY_COLUMNS``.
    Agent time covers the whole log; ``staffed`` divides by the log's length (``end - start``)."""
    return _summary_kpis(_Analysis(log, short_abandon_s), target_s, by_queue)


def _summary_kpis(a: _Analysis, target_s: float, by_queue: bool) -> pd.DataFrame:
    columns = list(SUMMARY_COLUMNS) if by_queue else [c for c in SUMMARY_COLUMNS if c != "queue"]
    if a.frame.empty:
        if by_queue:
            return _empty_kpis(columns)
        table = pd.DataFrame({"start": [np.nan], "end": [np.nan]})
        for name in _COUNT_COLUMNS:
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


def agent_kpis(
    log, period: tuple[float | None, float | None] | None = None, *, short_abandon_s: float = 5.0
) -> pd.DataFrame:
    """Per agent over ``period`` = (start, end) epoch seconds, either end None = open (default: whole log):
    ``AGENT_KPI_COLUMNS``. State times are clipped to the period; counts use their record's time
    (calls: CONNECT time) in [start, end). Every agent named in the log gets a row."""
    return _agent_kpis(_Analysis(log, short_abandon_s), period)


def _agent_kpis(a: _Analysis, period: tuple[float | None, float | None] | None) -> pd.DataFrame:
    ix = a.ix
    columns = list(AGENT_KPI_COLUMNS)
    names = ix.agent_names
    named = (names != NONE) & (names != "")
    lives = a.lives
    unnamed_calls = (lives["outcome"] == "answered").to_numpy() & lives["agent"].isin(["", NONE]).to_numpy()
    if a.frame.empty or not (named.any() or unnamed_calls.any()):
        return _empty_kpis(columns)
    lo, hi = (None, None) if period is None else period
    timeline = clip_timeline(a.timeline, lo, hi)
    lo_v = -np.inf if lo is None else float(lo)
    hi_v = np.inf if hi is None else float(hi)
    listed = sorted(names[named]) + ([UNNAMED] if unnamed_calls.any() else [])
    index = pd.Index(listed, name="agent", dtype=TEXT_DTYPE)
    table = pd.DataFrame(index=index)

    by_state = timeline.pivot_table(index="agent", columns="state", values="duration", aggfunc="sum")
    by_state = by_state.reindex(index=index, columns=[TALK, CALLBACK, WRAPUP, IDLE, NOT_READY]).fillna(0.0)
    # Without login records (imported call records) the time logged in is unknown: the timeline's idle
    # stretches would be invented. Talk time then comes from the calls themselves, so overlapping calls of
    # one agent each keep theirs.
    logins = np.flatnonzero(ix.is_verb(Verb.AGENTLOGIN, Verb.AGENTLOGOFF) & ix.has_agent)
    known = index.isin(pd.unique(ix.text_at("agent", logins)))
    answered = lives.loc[(lives["outcome"] == "answered").to_numpy()]
    agent_of_call = answered["agent"].where(~answered["agent"].isin(["", NONE]), UNNAMED)
    begin = answered["answered_at"].to_numpy()
    end = answered["ended_at"].fillna(float(ix.time[-1])).to_numpy()
    talk_of_call = np.clip(np.minimum(end, hi_v) - np.maximum(begin, lo_v), 0, None)
    call_talk = pd.Series(talk_of_call, index=agent_of_call.to_numpy()).groupby(level=0).sum()
    call_talk = call_talk.reindex(index).fillna(0.0)
    table["inbound_talk_s"] = by_state[TALK].where(known, call_talk)
    table["callback_talk_s"] = by_state[CALLBACK]
    table["talk_s"] = table["inbound_talk_s"] + table["callback_talk_s"]
    table["wrapup_s"] = by_state[WRAPUP]
    table["idle_s"] = by_state[IDLE].where(known, np.nan)
    table["not_ready_s"] = by_state[NOT_READY]
    table["logged_in_s"] = table["talk_s"] + table["wrapup_s"] + table["idle_s"] + table["not_ready_s"]

    in_period = ix.has_agent & (ix.time >= lo_v) & (ix.time < hi_v)
    by_name = pd.Index(names).get_indexer(index)

    def count(mask: np.ndarray) -> np.ndarray:
        counts = np.bincount(ix.agent_codes[np.flatnonzero(mask & in_period)], minlength=len(names))
        return np.where(by_name >= 0, counts[by_name], 0).astype("int64")

    answered_at = answered["answered_at"].to_numpy()
    counted = answered.assign(agent=agent_of_call).loc[(answered_at >= lo_v) & (answered_at < hi_v)]
    done = ix.is_verb(Verb.CALLBACK_DONE)
    final = done & (ix.frame[_CALLBACK_OUTCOME] != "unreachable").to_numpy()
    table["calls"] = counted["agent"].value_counts().reindex(index).fillna(0).astype("int64")
    table["transfers"] = count(ix.is_verb(Verb.TRANSFER))
    table["callbacks"] = count(done)
    table["callbacks_completed"] = count(final)
    table["ring_no_answers"] = count(ix.is_verb(Verb.RINGNOANSWER))
    table["aht"] = counted.groupby("agent")["handle"].mean().reindex(index).astype("float64")
    busy = table["talk_s"] + table["wrapup_s"]
    table["occupancy"] = _ratio(busy, busy + table["idle_s"])
    return table.reset_index()[columns]


PERIODS = ("day", "week", "month")

AGENT_PERIOD_COLUMNS: dict[str, str] = {
    "period": "the day (YYYY-MM-DD), ISO week (YYYY-Www, Monday to Sunday) or month (YYYY-MM), local time",
    "period_start": "start of the period, epoch seconds",
    "period_end": "end of the period (exclusive), epoch seconds",
    **AGENT_KPI_COLUMNS,
}


def local_zone(utc_offset_h: float | None = None) -> tzinfo:
    """The site's time zone (``core.config.SITE_ZONE``), or a fixed ``UTC + utc_offset_h`` when one is asked for."""
    return SITE_ZONE if utc_offset_h is None else timezone(timedelta(hours=utc_offset_h))


def period_bounds(
    start: float, end: float, period: str, utc_offset_h: float | None = None
) -> list[tuple[float, float, str]]:
    """(start, end, label) of every calendar day, ISO week or month, in local time (``local_zone``), that
    overlaps [start, end]."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    zone = local_zone(utc_offset_h)
    lo = datetime.fromtimestamp(start, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        lo -= timedelta(days=lo.weekday())
    elif period == "month":
        lo = lo.replace(day=1)
    out = []
    while lo.timestamp() <= end:
        if period == "day":
            hi, label = lo + timedelta(days=1), lo.strftime("%Y-%m-%d")
        elif period == "week":
            year, week, _ = lo.isocalendar()
            hi, label = lo + timedelta(days=7), f"{year}-W{week:02d}"
        else:
            hi, label = (lo.replace(day=28) + timedelta(days=4)).replace(day=1), lo.strftime("%Y-%m")
        out.append((lo.timestamp(), hi.timestamp(), label))
        lo = hi
    return out


def agent_period_kpis(
    log, period: str = "day", *, utc_offset_h: float | None = None, short_abandon_s: float = 5.0
) -> pd.DataFrame:
    """``agent_kpis`` per agent and calendar day, ISO week or month (``AGENT_PERIOD_COLUMNS``): the log is
    analysed once and every period is ``agent_kpis`` over it, so state times are clipped at midnight and
    the rows of the days of a week add up to the week's. Agents with nothing in a period (no logged-in time,
    no counted record) get no row for it."""
    a = _Analysis(log, short_abandon_s)
    columns = list(AGENT_PERIOD_COLUMNS)
    if a.frame.empty:
        return _empty_kpis(columns)
    counts = ["calls", "transfers", "callbacks", "ring_no_answers"]
    tables = []
    for lo, hi, label in period_bounds(float(a.ix.time[0]), float(a.ix.time[-1]), period, utc_offset_h):
        table = _agent_kpis(a, (lo, hi))
        table = table.loc[(table["logged_in_s"] > 0) | (table[counts].sum(axis=1) > 0)]
        tables.append(table.assign(period=label, period_start=lo, period_end=hi))
    table = pd.concat(tables, ignore_index=True) if tables else _empty_kpis(columns)
    return table[columns].astype({"period": TEXT_DTYPE, "period_start": "float64", "period_end": "float64"})


def agent_not_ready(log, period: tuple[float | None, float | None] | None = None) -> pd.DataFrame:
    """Paused time per agent and reason (PAUSE reason): columns agent, reason, not_ready_s, pauses
    (number of not-ready stretches, a stretch cut by the period counted once)."""
    timeline = agent_timeline(log)
    if period is not None:
        timeline = clip_timeline(timeline, *period)
    paused = timeline.loc[timeline["state"] == NOT_READY]
    if paused.empty:
        return pd.DataFrame(
            {
                "agent": pd.Series([], dtype=TEXT_DTYPE),
                "reason": pd.Series([], dtype=TEXT_DTYPE),
                "not_ready_s": pd.Series([], dtype="float64"),
                "pauses": pd.Series([], dtype="int64"),
            }
        )
    grouped = paused.groupby(["agent", "reason"], sort=True)["duration"]
    return pd.DataFrame({"not_ready_s": grouped.sum(), "pauses": grouped.size().astype("int64")}).reset_index()


# --- conservation ----------------------------------------------------------------------------------


def _examples(ids, limit: int = 8) -> str:
    ids = list(ids)
    shown = ", ".join(map(str, ids[:limit]))
    return shown + (f", ... ({len(ids)} in all)" if len(ids) > limit else "")


def check_conservation(log, *, allow_in_progress: bool = False, agent_time_tol: float = 1e-3) -> list[str]:
    """Problems found in the log's call and agent accounting; an empty list means it balances.

    Checks: every call has exactly one terminal verb (calls without one are allowed with
    ``allow_in_progress``); rejected calls have no ENTERQUEUE and the others exactly one, before their
    terminal record; answered calls have exactly one CONNECT, before their terminal record, and calls
    that ended otherwise have none; the totals satisfy
    ``calls == answered + abandoned + to_callback + rejected + in_progress`` and
    ``offered == calls - rejected``; per-interval rows add up to the totals; and every closed login
    session's state times add up to the logged-in seconds its AGENTLOGOFF reports (logintime), within
    ``agent_time_tol`` seconds.
    """
    a = _Analysis(log, 5.0)
    problems: list[str] = []
    if a.frame.empty:
        return problems
    ix = a.ix
    ids = a.lives["call_id"].to_numpy(dtype=object)
    codes = a.codes
    terminal_rows = ix.call_rows(*TERMINAL_VERBS)
    enter_rows = ix.call_rows(Verb.ENTERQUEUE)
    connect_rows = ix.call_rows(Verb.CONNECT)
    n_term = ix.count_per_call(terminal_rows)[codes]
    n_enter = ix.count_per_call(enter_rows)[codes]
    n_connect = ix.count_per_call(connect_rows)[codes]
    outcome = a.lives["outcome"].to_numpy(dtype=object)
    rejected = outcome == "rejected"
    answered = outcome == "answered"

    def report(mask, text: str) -> None:
        hit = ids[np.asarray(mask, dtype=bool)]
        if len(hit):
            problems.append(f"{len(hit)} call(s) {text}: {_examples(hit)}")

    report(n_term > 1, "have more than one terminal verb")
    if not allow_in_progress:
        report(n_term == 0, "have no terminal verb (still in progress at the end of the log?)")
    report(rejected & (n_enter > 0), "were rejected after an ENTERQUEUE")
    report(~rejected & (n_term > 0) & (n_enter == 0), "have a terminal verb but no ENTERQUEUE")
    report(n_enter > 1, "have more than one ENTERQUEUE (call id reused?)")
    report(answered & (n_connect == 0), "were answered without a CONNECT")
    report(~answered & (outcome != IN_PROGRESS) & (n_connect > 0), "have a CONNECT but were not answered")
    report(n_connect > 1, "have more than one CONNECT")
    first_term = ix.row_per_call(terminal_rows)[codes]
    last_connect = ix.row_per_call(connect_rows, last=True)[codes]
    first_enter = ix.row_per_call(enter_rows)[codes]
    report((first_term >= 0) & (last_connect > first_term), "have a CONNECT after their terminal record")
    report((first_term >= 0) & (first_enter > first_term), "end before their ENTERQUEUE")

    total = _summary_kpis(a, 20, False).iloc[0]
    parts = total["answered"] + total["abandoned"] + total["to_callback"] + total["rejected"] + total["in_progress"]
    if total["calls"] != parts:
        problems.append(
            f"calls {total['calls']} != answered + abandoned + to_callback + rejected + in_progress {parts}"
        )
    if total["offered"] != total["calls"] - total["rejected"]:
        problems.append(f"offered {total['offered']} != calls - rejected {total['calls'] - total['rejected']}")
    intervals = _interval_kpis(a, 900.0, 20, True)
    for name in _COUNT_COLUMNS:
        if int(intervals[name].sum()) != int(total[name]):
            problems.append(f"interval rows sum {name} to {int(intervals[name].sum())}, totals say {int(total[name])}")

    # agent time: each closed session's states add up to what AGENTLOGOFF reports
    logoff_rows = np.flatnonzero(ix.is_verb(Verb.AGENTLOGOFF) & ix.has_agent)
    if logoff_rows.size:
        login_rows = np.flatnonzero(ix.is_verb(Verb.AGENTLOGIN, Verb.AGENTLOGOFF) & ix.has_agent)
        is_login = (ix.text_at("verb", login_rows) == Verb.AGENTLOGIN).astype("int64")
        session = pd.Series(is_login).groupby(ix.agent_codes[login_rows]).cumsum().to_numpy()
        session_of_row = dict(zip(login_rows.tolist(), session.tolist()))
        agents = ix.text_at("agent", logoff_rows)
        sessions = np.array([session_of_row[r] for r in logoff_rows.tolist()], dtype="int64")
        reported = _num(ix.text_at(data_column(Verb.AGENTLOGOFF, "logintime"), logoff_rows))
        summed = a.timeline.groupby(["agent", "session"])["duration"].sum()
        measured = summed.reindex(pd.MultiIndex.from_arrays([agents, sessions])).fillna(0.0).to_numpy()
        bad = (np.abs(measured - reported) > agent_time_tol) & ~np.isnan(reported) & (sessions > 0)
        if bad.any():
            where = [
                f"{agent} at {time:.3f} (states {m:.3f} s, AGENTLOGOFF says {r:.3f} s)"
                for agent, time, m, r in zip(agents[bad], ix.time[logoff_rows][bad], measured[bad], reported[bad])
            ]
            problems.append(f"{len(where)} login session(s) whose state times do not add up: {_examples(where, 4)}")
    return problems
