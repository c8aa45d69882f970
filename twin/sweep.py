"""Sweeps on Dask: many replications of many staffing candidates as tasks of a ``dask.distributed`` cluster.

A local cluster (one single-threaded worker process per CPU) by default, or a running scheduler given by
its address (``tcp://HOST:PORT``); its workers need this project installed. A task is one replication of
one scenario and returns only its KPIs per interval, so little travels back.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable, Sequence

import pandas as pd

from reports.kpi import interval_kpis
from twin.run import after_warmup, run_replication
from twin.scenario import Scenario

log = logging.getLogger("hotline.sweep")


def replication_kpis(scenario: Scenario, index: int, seed: int | None = None) -> pd.DataFrame:
    """One replication's KPIs per interval (the task a sweep runs)."""
    log = after_warmup(run_replication(scenario, index, seed).log, scenario)
    return interval_kpis(log, interval_s=scenario.interval, target_s=scenario.targets.within, by_queue=False)


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
