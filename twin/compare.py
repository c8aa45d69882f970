"""The analytic estimate of a scenario per interval, to print beside the simulation.

Erlang-A at the modified offered load, treating every hotline and every agent on shift as one pooled
queue with exponential patience and handle times of the scenario's means: a fast estimate for surges;
the simulation is the arbiter.
"""

from __future__ import annotations

import pandas as pd

from twin.analytic import mol_estimate
from twin.build import demand, distribution, shifts
from twin.scenario import Scenario


def analytic_by_interval(scenario: Scenario) -> pd.DataFrame:
    epoch = scenario.epoch
    pieces = []
    for rate in demand(scenario).values():
        for i, r in enumerate(rate.rates):
            pieces.append((epoch + i * rate.bin_s, epoch + (i + 1) * rate.bin_s, float(r)))
    staffing = [(epoch + s.start, epoch + s.end, 1) for s in shifts(scenario)]
    handle = distribution(scenario.calls.handle).mean
    patience = distribution(scenario.calls.patience).mean
    rows = mol_estimate(pieces, handle, patience, staffing, target_T=scenario.targets.within,
                        interval=scenario.interval, start=epoch, end=epoch + scenario.horizon)
    return pd.DataFrame(
        {"interval_start": r.start, "arrivals": r.arrivals, "agents": r.agents, "p_abandon": r.p_abandon,
         "sl_offered": r.sl_offered, "sl_answered": r.sl_answered, "asa": r.asa_answered}
        for r in rows
    )
