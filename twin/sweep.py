"""Sweeps on Dask: many replications of many staffing candidates as tasks of a ``dask.distributed`` cluster.

A local cluster (one single-threaded worker process per CPU) by default, or a running scheduler given by
its address (``tcp://HOST:PORT``); its workers need this project installed. A task is one replication of
one scenario and returns only its KPIs per interval, so little travels back.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from core.log import OUTCOME_OF_VERB, TERMINAL_VERBS, Verb
from reports.call_lives import IndexedLog
from reports.kpi import interval_kpis, local_shift
from twin.run import after_warmup, run_replication
from twin.scenario import Scenario

log = logging.getLogger("hotline.sweep")

PLAN_COLUMNS = ["interval_start", "offered", "abandoned", "answered_in_target", "sl_offered", "abandon_rate"]


def replication_kpis(scenario: Scenario, index: int, seed: int | None = None) -> pd.DataFrame:
    """One replication's KPIs per interval (the task a sweep runs): the columns the planner reads."""
    log = after_warmup(run_replication(scenario, index, seed).log, scenario)
    return plan_kpis(log, scenario.interval, scenario.targets.within)


def plan_kpis(log: pd.DataFrame, interval_s: float, target_s: float) -> pd.DataFrame:
    """``PLAN_COLUMNS`` of ``reports.kpi.interval_kpis(log, interval_s, target_s, by_queue=False)`` with the
    same values, for every interval in which a call arrived: the planner needs only these, and the full
    analysis (agent timeline, every call's life) cost twice the simulation. Logs the shortcut does not cover
    (an offered call without ENTERQUEUE, an answered one without CONNECT: imported records) take the full
    path."""
    ix = IndexedLog(log)
    if ix.n == 0:
        return pd.DataFrame({c: pd.Series([], dtype="float64") for c in PLAN_COLUMNS})
    enter = ix.row_per_call(ix.call_rows(Verb.ENTERQUEUE))
    terminal = ix.row_per_call(ix.call_rows(*TERMINAL_VERBS))
    codes = np.flatnonzero((enter >= 0) | (terminal >= 0))
    e, t = enter[codes], terminal[codes]
    outcome = np.array([OUTCOME_OF_VERB.get(v, "") for v in ix.text_at("verb", t)], dtype=object)
    rejected = outcome == "rejected"
    answered = outcome == "answered"
    connect = ix.row_per_call(ix.call_rows(Verb.CONNECT), last=True)[codes]
    if ((e < 0) & ~rejected).any() or (answered & (connect < 0)).any():
        full = interval_kpis(log, interval_s=interval_s, target_s=target_s, by_queue=False)
        return full[PLAN_COLUMNS]
    arrived = np.where(e >= 0, ix.time_at(e), ix.time_at(t))
    shift = local_shift(float(ix.time[0]))
    frame = pd.DataFrame(
        {
            "interval_start": np.floor((arrived + shift) / interval_s) * interval_s - shift,
            "offered": (~rejected).astype("int64"),
            "abandoned": (outcome == "abandoned").astype("int64"),
            "answered_in_target": (answered & (ix.time_at(connect) - arrived <= target_s)).astype("int64"),
        }
    )
    table = frame.groupby("interval_start", sort=True).sum().reset_index()
    offered = table["offered"].astype("float64")
    table["sl_offered"] = (table["answered_in_target"] / offered).where(offered > 0, np.nan)
    table["abandon_rate"] = (table["abandoned"] / offered).where(offered > 0, np.nan)
    return table[PLAN_COLUMNS]


class Sweep:
    """A connection to a Dask cluster for the length of a ``with`` block."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        self.scheduler, self.workers = scheduler, workers
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> Sweep:
        from distributed import Client, LocalCluster

        if self.scheduler:
            self._client = Client(self.scheduler)
        else:
            n = self.workers or os.cpu_count() or 1
            self._cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
            self._client = Client(self._cluster)
        log.info("sweep on %s: %d workers", self.address, self.worker_count)
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    @property
    def address(self) -> str:
        return str(self._client.scheduler.address)

    @property
    def worker_count(self) -> int:
        return len(self._client.scheduler_info(n_workers=-1)["workers"])

    def run(self, task: Callable[..., Any], jobs: Sequence[tuple], on_done: Callable[[], None] | None = None) -> list:
        """``task(*job)`` for every job on the cluster's workers; the results in the order of ``jobs``."""
        from distributed import as_completed

        if not jobs:
            return []
        futures = [self._client.submit(task, *job, pure=False) for job in jobs]
        position = {future.key: i for i, future in enumerate(futures)}
        results: list = [None] * len(futures)
        for future in as_completed(futures):
            results[position[future.key]] = future.result()
            if on_done:
                on_done()
        return results
