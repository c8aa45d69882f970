"""Conservation checks on an event log: every call accounted for once, the totals and the interval rows
agreeing, every login session's state times adding up to what its AGENTLOGOFF reports."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.log import TERMINAL_VERBS, Verb, data_column
from reports.call_lives import IN_PROGRESS, to_numbers
from reports.kpi import COUNT_COLUMNS, LogAnalysis, interval_kpis_of, summary_kpis_of


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
    a = LogAnalysis(log, 5.0)
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

    total = summary_kpis_of(a, 20, False).iloc[0]
    parts = total["answered"] + total["abandoned"] + total["to_callback"] + total["rejected"] + total["in_progress"]
    if total["calls"] != parts:
        problems.append(
            f"calls {total['calls']} != answered + abandoned + to_callback + rejected + in_progress {parts}"
        )
    if total["offered"] != total["calls"] - total["rejected"]:
        problems.append(f"offered {total['offered']} != calls - rejected {total['calls'] - total['rejected']}")
    intervals = interval_kpis_of(a, 900.0, 20, True)
    for name in COUNT_COLUMNS:
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
        reported = to_numbers(ix.text_at(data_column(Verb.AGENTLOGOFF, "logintime"), logoff_rows))
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
