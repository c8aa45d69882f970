"""Running a scenario: seeded replications in parallel processes, their event logs and KPIs with CIs."""

from __future__ import annotations

import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing import get_context
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from core.log import NONE, Verb
from reports.eventlog import records_to_frame
from reports.kpi import interval_and_summary_kpis
from twin.build import build_model, replication_seeds
from twin.scenario import Scenario

# KPIs shown with a confidence interval across replications
CI_METRICS = (
    "offered",
    "answered",
    "abandoned",
    "to_callback",
    "sl_offered",
    "sl_answered",
    "asa",
    "abandon_rate",
    "occupancy",
    "callbacks_created",
)
SHARES = ("sl_offered", "sl_answered", "abandon_rate", "occupancy")  # their intervals are clipped to [0, 1]


@dataclass(frozen=True)
class Replication:
    index: int
    log: pd.DataFrame  # the event log, text columns as written to Parquet
    calls: int
    callbacks_dialled: int


def run_replication(scenario: Scenario, index: int, seed: int | None = None) -> Replication:
    model = build_model(scenario, replication_seeds(scenario, seed)[index])
    result = model.run()
    return Replication(index, records_to_frame(model.center.log), result.calls, result.callbacks_dialled)


def _worker(args: tuple[Scenario, int, int | None]) -> Replication:
    return run_replication(*args)


def run_replications(
    scenario: Scenario,
    *,
    workers: int | None = None,
    seed: int | None = None,
    on_done: Callable[[Replication], None] | None = None,
) -> list[Replication]:
    """All replications of a scenario, in parallel processes; the result is in replication order."""
    jobs = [(scenario, i, seed) for i in range(scenario.replications)]
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    results: list[Replication] = []
    if workers <= 1:
        for job in jobs:
            results.append(_worker(job))
            if on_done:
                on_done(results[-1])
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            for replication in pool.map(_worker, jobs):
                results.append(replication)
                if on_done:
                    on_done(replication)
    return sorted(results, key=lambda r: r.index)


def combined_log(replications: list[Replication]) -> pd.DataFrame:
    frames = [r.log.assign(replication=r.index) for r in replications]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def after_warmup(log: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Drop the records of calls that arrived during the warm-up (the system started empty)."""
    if scenario.warmup <= 0 or log.empty:
        return log
    cut = scenario.epoch + scenario.warmup
    early = log.loc[(log["verb"] == Verb.ENTERQUEUE) & (log["time"] < cut), "call_id"]
    early_calls = set(early) - {NONE}
    keep = ~log["call_id"].isin(early_calls) & ~((log["call_id"] == NONE) & (log["time"] < cut))
    return log.loc[keep]


def mean_ci(values: pd.Series, level: float = 0.95) -> tuple[float, float, float]:
    """Mean across replications and its Student-t confidence interval (NaNs ignored)."""
    x = values.dropna().to_numpy(dtype=float)
    if len(x) == 0:
        return (float("nan"),) * 3
    mean = float(x.mean())
    if len(x) < 2:
        return mean, float("nan"), float("nan")
    half = float(_t_quantile(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return mean, mean - half, mean + half


@lru_cache(maxsize=256)
def _t_quantile(q: float, df: int) -> float:
    """Student-t quantile, remembered: the planner asks for the same few thousands of times."""
    return float(stats.t.ppf(q, df))


def per_replication_kpis(replications: list[Replication], scenario: Scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Interval and whole-slot KPIs of every replication, with a ``replication`` column."""
    target = scenario.targets.within
    intervals, totals = [], []
    end = scenario.epoch + scenario.horizon
    for replication in replications:
        log = after_warmup(replication.log, scenario)
        rows, total = interval_and_summary_kpis(
            log, interval_s=scenario.interval, target_s=target, utc_offset_h=scenario.utc_offset_h
        )
        rows = rows.loc[rows["interval_start"] < end]  # calls still talking past the horizon open no interval
        intervals.append(rows.assign(replication=replication.index))
        totals.append(total.assign(replication=replication.index))
    return pd.concat(intervals, ignore_index=True), pd.concat(totals, ignore_index=True)


def summarise(per_rep: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean, CI low, CI high of each KPI across replications, one row per group of ``by``."""
    rows = []
    groups = per_rep.groupby(by, sort=True) if by else [((), per_rep)]
    for key, group in groups:
        row = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        for metric in CI_METRICS:
            if metric in group:
                mean, low, high = mean_ci(group[metric])
                low = max(low, 0.0)  # every KPI here is >= 0 (max and min keep a NaN)
                if metric in SHARES:
                    high = min(high, 1.0)
                row[metric] = mean
                row[f"{metric}_ci_low"] = low
                row[f"{metric}_ci_high"] = high
        rows.append(row)
    return pd.DataFrame(rows)


def target_verdict(mean: float, low: float, high: float, target: float, *, at_least: bool) -> str:
    """A KPI against its target, honest about the confidence interval: "met" / "missed" when the interval
    lies wholly on one side; when it holds the target, "met, not shown" (the mean meets it) or "not shown to
    miss" (e.g. 79.9% +- 1.4% against an 80% service level). ``at_least``: the target is a floor (service
    level), else a ceiling (abandon rate)."""
    if any(map(math.isnan, (mean, low, high))):
        if math.isnan(mean):
            return "unknown"
        low = high = mean
    good, bad = (low >= target, high < target) if at_least else (high <= target, low > target)
    if good:
        return "met"
    if bad:
        return "missed"
    return "met, not shown" if (mean >= target if at_least else mean <= target) else "not shown to miss"
