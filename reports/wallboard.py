"""The supervisor's wallboard as flat records.

Per queue: who waits now and the longest wait (the live driver's published queue states), service level and
abandon rate today and in the current interval (the stored event log, through ``reports.kpi``), and the
callback backlog (open tickets). Per agent: the state and how long it has been in it. The day is the site's
local day; intervals are aligned as in every report (multiples of ``interval_s`` in epoch seconds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Iterable, Mapping, Protocol

import pandas as pd

from core.config import SITE_ZONE
from reports.kpi import interval_kpis, summary_kpis


class WaitingNow(Protocol):
    queue: str
    waiting: int
    oldest_since: float | None


class AgentNow(Protocol):
    agent_id: str
    state: str
    reason: str
    call_id: str
    caller: str
    since: float


@dataclass(frozen=True)
class QueueLine:
    queue: str
    waiting: int
    longest_wait_s: float | None  # how long the oldest waiting caller has waited
    offered_today: int
    service_level_today: float | None  # answered within the target / offered
    abandon_rate_today: float | None
    offered_interval: int
    service_level_interval: float | None
    abandon_rate_interval: float | None
    callback_backlog: int  # open tickets of the queue


@dataclass(frozen=True)
class AgentLine:
    agent_id: str
    state: str
    reason: str
    call_id: str
    caller: str
    in_state_s: float


def day_start(now: float, zone: tzinfo = SITE_ZONE) -> float:
    """Local midnight of ``now``'s day, epoch seconds."""
    local = datetime.fromtimestamp(now, zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def _ratio(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _by_queue(table: pd.DataFrame) -> dict[str, dict]:
    return {str(row["queue"]): row for row in table.to_dict("records")}


def queue_lines(
    log_today: pd.DataFrame,
    waiting: Iterable[WaitingNow],
    backlog: Mapping[str, int],
    *,
    now: float,
    interval_s: float = 900,
    target_s: float = 20,
) -> list[QueueLine]:
    """One line per queue seen today, waiting now or with a backlog, in queue order."""
    today = _by_queue(summary_kpis(log_today, target_s, by_queue=True))
    current = math.floor(now / interval_s) * interval_s
    per_interval = interval_kpis(log_today, interval_s, target_s, by_queue=True)
    this_interval = _by_queue(per_interval[per_interval["interval_start"] == current])
    live = {q.queue: q for q in waiting}
    names = sorted((set(today) | set(this_interval) | set(live) | {q for q, n in backlog.items() if n}) - {""})
    lines = []
    for name in names:
        day, now_row, queue = today.get(name, {}), this_interval.get(name, {}), live.get(name)
        oldest = queue.oldest_since if queue is not None else None
        lines.append(
            QueueLine(
                queue=name,
                waiting=queue.waiting if queue is not None else 0,
                longest_wait_s=max(0.0, now - oldest) if oldest is not None and queue.waiting else None,
                offered_today=int(day.get("offered", 0)),
                service_level_today=_ratio(day.get("sl_offered")),
                abandon_rate_today=_ratio(day.get("abandon_rate")),
                offered_interval=int(now_row.get("offered", 0)),
                service_level_interval=_ratio(now_row.get("sl_offered")),
                abandon_rate_interval=_ratio(now_row.get("abandon_rate")),
                callback_backlog=int(backlog.get(name, 0)),
            )
        )
    return lines


def agent_lines(agents: Iterable[AgentNow], now: float) -> list[AgentLine]:
    """Every agent the live driver knows, logged-out ones last, each with its time in state."""
    ordered = sorted(agents, key=lambda a: (a.state == "out", a.agent_id))
    return [AgentLine(a.agent_id, a.state, a.reason, a.call_id, a.caller, max(0.0, now - a.since)) for a in ordered]
