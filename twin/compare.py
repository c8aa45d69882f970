"""The analytic estimates of a scenario per interval, to print beside the simulation.

Both treat every hotline and every agent on shift as one pooled queue with exponential patience and handle
times of the scenario's means (an agent is busy for the handle time plus wrap-up and ring time): Erlang-A at
the modified offered load (MOL, fast, blind to queues carried over), and the exact forward equations of
the time-varying chain (``twin/transient.py``). The simulation is the arbiter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.analytic import mol_estimate
from twin.build import demand, distribution, shifts
from twin.scenario import Scenario
from twin.transient import transient_estimate


@dataclass(frozen=True)
class PooledQueue:
    """A scenario as one queue: arrival rate per bin from the epoch, means, agents per interval."""

    rate_bins: np.ndarray
    bin_s: float
    handle: float  # agent-busy time per call: handle + wrap-up + ring
    patience: float
    staffing: tuple[int, ...]


def pooled_queue(scenario: Scenario, staffing: tuple[int, ...] | None = None) -> PooledQueue:
    rates = list(demand(scenario).values())
    rate_bins = np.sum([r.rates for r in rates], axis=0)
    busy = distribution(scenario.calls.handle).mean + scenario.policy.wrapup
    if scenario.policy.ring_timeout is not None or scenario.calls.ring_time.distribution != "fixed":
        busy += distribution(scenario.calls.ring_time).mean
    if staffing is None:
        mids = (np.arange(scenario.n_intervals) + 0.5) * scenario.interval
        on = shifts(scenario)
        staffing = tuple(int(sum(s.start <= m < s.end for s in on)) for m in mids)
    return PooledQueue(rate_bins, rates[0].bin_s, busy, distribution(scenario.calls.patience).mean, staffing)


def analytic_by_interval(scenario: Scenario) -> pd.DataFrame:
    epoch = scenario.epoch
    queue = pooled_queue(scenario)
    pieces = [(epoch + i * queue.bin_s, epoch + (i + 1) * queue.bin_s, float(r)) for i, r in enumerate(queue.rate_bins)]
    staffing = [(epoch + s.start, epoch + s.end, 1) for s in shifts(scenario)]
    handle = distribution(scenario.calls.handle).mean
    rows = mol_estimate(
        pieces,
        handle,
        queue.patience,
        staffing,
        target_T=scenario.targets.within,
        interval=scenario.interval,
        start=epoch,
        end=epoch + scenario.horizon,
    )
    exact, _ = transient_estimate(
        queue.rate_bins,
        queue.bin_s,
        queue.handle,
        queue.patience,
        queue.staffing,
        scenario.interval,
        scenario.targets.within,
        start=epoch,
    )
    return pd.DataFrame(
        {
            "interval_start": r.start,
            "arrivals": r.arrivals,
            "agents": r.agents,
            "p_abandon": r.p_abandon,
            "sl_offered": r.sl_offered,
            "sl_answered": r.sl_answered,
            "asa": r.asa_answered,
            "transient_p_abandon": x.p_abandon,
            "transient_sl_offered": x.sl_offered,
        }
        for r, x in zip(rows, exact)
    )
