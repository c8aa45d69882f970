"""Outbound reports from the event log alone (twin or live): per campaign, per agent and per day the
attempts, contacts (callee connected to an agent), contact rate, answers, drops and drop rate, sales (the
result code ``sale``) and talk time; and the after-call survey per agent and queue."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Iterable

import pandas as pd

from core.config import SITE_ZONE
from core.log import NONE, LogRecord, Verb

SALE = "sale"
COLUMNS = ["attempts", "answered", "contacts", "contact_rate", "drops", "drop_rate", "sales", "talk_s"]


def _day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, SITE_ZONE).date().isoformat()


def attempt_rows(log: Iterable[LogRecord]) -> pd.DataFrame:
    """One row per outbound attempt: campaign, day (site time, of the dial), agent, and what happened."""
    attempts: dict[str, dict] = {}
    for r in log:
        if r.verb == Verb.OUTBOUND_DIAL:
            attempts[r.call_id] = dict(
                campaign=r.queue,
                day=_day(float(r.time)),
                agent="" if r.agent == NONE else r.agent,
                answered=0,
                contacts=0,
                drops=0,
                sales=0,
                talk_s=0.0,
            )
            continue
        row = attempts.get(r.call_id)
        if row is None:
            continue
        if r.verb == Verb.OUTBOUND_ANSWER:
            row["answered"] = 1
        elif r.verb == Verb.OUTBOUND_CONNECT:
            row["contacts"], row["agent"] = 1, r.agent
        elif r.verb == Verb.OUTBOUND_DROP:
            row["drops"] = 1
        elif r.verb == Verb.OUTBOUND_COMPLETE:
            row["talk_s"] = float(r.field("talk"))
        elif r.verb == Verb.OUTBOUND_RESULT and r.field("code") == SALE:
            row["sales"] = 1
    frame = pd.DataFrame(
        list(attempts.values()),
        columns=["campaign", "day", "agent", "answered", "contacts", "drops", "sales", "talk_s"],
    )
    frame["attempts"] = 1
    return frame


def _totals(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=keys + COLUMNS)
    out = frame.groupby(keys, sort=True)[["attempts", "answered", "contacts", "drops", "sales", "talk_s"]].sum()
    out = out.reset_index()
    out["contact_rate"] = (out["contacts"] / out["attempts"]).round(4)
    out["drop_rate"] = (out["drops"] / out["answered"].where(out["answered"] > 0)).fillna(0.0).round(4)
    out["talk_s"] = out["talk_s"].round(1)
    return out[keys + COLUMNS]


def outbound_tables(log: Iterable[LogRecord]) -> dict[str, pd.DataFrame]:
    """The outbound report list: by campaign, by campaign and day, by agent and day (agents' rows only count
    the attempts they were connected to or dialled themselves), and the survey."""
    records = list(log)
    frame = attempt_rows(records)
    return {
        "outbound_campaigns": _totals(frame, ["campaign"]),
        "outbound_campaign_days": _totals(frame, ["campaign", "day"]),
        "outbound_agent_days": _totals(frame[frame["agent"] != ""], ["agent", "day"]),
        "survey": survey_table(records),
    }


def survey_table(log: Iterable[LogRecord]) -> pd.DataFrame:
    """After-call survey answers (SURVEY records: the digit pressed) per queue and agent: count and mean score."""
    scores: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in log:
        if r.verb == Verb.SURVEY and str(r.field("digit")) in ("1", "2", "3"):
            scores[(r.queue, r.agent)].append(int(r.field("digit")))
    rows = [
        dict(
            queue=q,
            agent=a,
            answers=len(v),
            mean_score=round(sum(v) / len(v), 3),
            **{f"pressed_{d}": v.count(d) for d in (1, 2, 3)},
        )
        for (q, a), v in sorted(scores.items())
    ]
    return pd.DataFrame(
        rows, columns=["queue", "agent", "answers", "mean_score", "pressed_1", "pressed_2", "pressed_3"]
    )
