"""Per-agent KPIs from the event log: over a period (``AGENT_KPI_COLUMNS``), per calendar day, week or month
(``AGENT_PERIOD_COLUMNS``), and paused time by reason. Conventions as in ``reports.kpi``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.log import NONE, Verb
from reports.eventlog import TEXT_DTYPE
from reports.kpi import CALLBACK_OUTCOME_COLUMN, LogAnalysis, empty_kpis, ratio
from reports.periods import period_bounds
from reports.timeline import CALLBACK, IDLE, NOT_READY, TALK, WRAPUP, agent_timeline, clip_timeline

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

AGENT_PERIOD_COLUMNS: dict[str, str] = {
    "period": "the day (YYYY-MM-DD), ISO week (YYYY-Www, Monday to Sunday) or month (YYYY-MM), local time",
    "period_start": "start of the period, epoch seconds",
    "period_end": "end of the period (exclusive), epoch seconds",
    **AGENT_KPI_COLUMNS,
}


def agent_kpis(
    log, period: tuple[float | None, float | None] | None = None, *, short_abandon_s: float = 5.0
) -> pd.DataFrame:
    """Per agent over ``period`` = (start, end) epoch seconds, either end None = open (default: whole log):
    ``AGENT_KPI_COLUMNS``. State times are clipped to the period; counts use their record's time
    (calls: CONNECT time) in [start, end). Every agent named in the log gets a row."""
    return _agent_kpis(LogAnalysis(log, short_abandon_s), period)


def _agent_kpis(a: LogAnalysis, period: tuple[float | None, float | None] | None) -> pd.DataFrame:
    ix = a.ix
    columns = list(AGENT_KPI_COLUMNS)
    names = ix.agent_names
    named = (names != NONE) & (names != "")
    lives = a.lives
    unnamed_calls = (lives["outcome"] == "answered").to_numpy() & lives["agent"].isin(["", NONE]).to_numpy()
    if a.frame.empty or not (named.any() or unnamed_calls.any()):
        return empty_kpis(columns)
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
    final = done & (ix.frame[CALLBACK_OUTCOME_COLUMN] != "unreachable").to_numpy()
    table["calls"] = counted["agent"].value_counts().reindex(index).fillna(0).astype("int64")
    table["transfers"] = count(ix.is_verb(Verb.TRANSFER))
    table["callbacks"] = count(done)
    table["callbacks_completed"] = count(final)
    table["ring_no_answers"] = count(ix.is_verb(Verb.RINGNOANSWER))
    table["aht"] = counted.groupby("agent")["handle"].mean().reindex(index).astype("float64")
    busy = table["talk_s"] + table["wrapup_s"]
    table["occupancy"] = ratio(busy, busy + table["idle_s"])
    return table.reset_index()[columns]


def agent_period_kpis(
    log, period: str = "day", *, utc_offset_h: float | None = None, short_abandon_s: float = 5.0
) -> pd.DataFrame:
    """``agent_kpis`` per agent and calendar day, ISO week or month (``AGENT_PERIOD_COLUMNS``): the log is
    analysed once and every period is ``agent_kpis`` over it, so state times are clipped at midnight and
    the rows of the days of a week add up to the week's. Agents with nothing in a period (no logged-in time,
    no counted record) get no row for it."""
    a = LogAnalysis(log, short_abandon_s)
    columns = list(AGENT_PERIOD_COLUMNS)
    if a.frame.empty:
        return empty_kpis(columns)
    counts = ["calls", "transfers", "callbacks", "ring_no_answers"]
    tables = []
    for lo, hi, label in period_bounds(float(a.ix.time[0]), float(a.ix.time[-1]), period, utc_offset_h):
        table = _agent_kpis(a, (lo, hi))
        table = table.loc[(table["logged_in_s"] > 0) | (table[counts].sum(axis=1) > 0)]
        tables.append(table.assign(period=label, period_start=lo, period_end=hi))
    table = pd.concat(tables, ignore_index=True) if tables else empty_kpis(columns)
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
