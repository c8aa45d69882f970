"""The exact time-varying estimate (forward equations of the Mt/M/st+M chain) against the simulation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.analytic import erlang_a
from twin.compare import analytic_by_interval
from twin.run import per_replication_kpis, run_replications, summarise
from twin.site import load_scenario
from twin.transient import transient_estimate

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_a_long_constant_interval_reaches_stationary_erlang_a():
    """With constant demand and staffing the chain settles at the exact Erlang-A figures."""
    lam, handle, patience, agents = 0.544, 180.0, 120.0, 100
    rows, _ = transient_estimate(np.full(2160, lam), 10.0, handle, patience, [agents] * 6, 3600.0, 20.0)
    exact = erlang_a(lam, handle, patience, agents)
    assert rows[-1].p_abandon == pytest.approx(exact.p_abandon, rel=1e-4)
    assert rows[-1].sl_offered == pytest.approx(exact.sl_offered(20.0), rel=1e-4)
    assert rows[0].p_abandon < rows[-1].p_abandon  # it started empty


def test_the_carried_over_state_continues_the_run_interval_by_interval():
    rates = np.concatenate([np.full(90, 0.2), np.full(90, 1.2), np.full(90, 0.3)])
    whole, end = transient_estimate(rates, 10.0, 200.0, 90.0, [40, 150, 60], 900.0)
    state = None
    parts = []
    for i, s in enumerate([40, 150, 60]):
        following = [40, 150, 60][i + 1] if i < 2 else None
        rows, state = transient_estimate(
            rates[i * 90 : (i + 1) * 90],
            10.0,
            200.0,
            90.0,
            [s],
            900.0,
            state=state,
            states=len(end.p),
            following=following,
        )
        parts.extend(rows)
    assert [r.p_abandon for r in parts] == pytest.approx([r.p_abandon for r in whole], rel=1e-9)
    assert np.allclose(state.p, end.p)


@pytest.mark.slow
@pytest.mark.timeout(3600)  # many replications; a loaded machine only makes it longer
def test_forward_equations_fall_inside_the_simulations_ci_in_every_interval():
    """Live-program surges with exponential times, 200 replications: the forward-equation estimate is
    inside the 95% CI of abandonment and service level in every interval; MOL misses the surge."""
    scenario = load_scenario(SCENARIOS / "live_program_markov.yaml")
    assert scenario.replications >= 200
    per_interval, _ = per_replication_kpis(run_replications(scenario), scenario)
    estimate = analytic_by_interval(scenario).set_index("interval_start")
    sim = summarise(per_interval, ["interval_start"]).set_index("interval_start").loc[estimate.index]
    assert len(estimate) == scenario.n_intervals
    outside = []
    for start, row in estimate.iterrows():
        for metric, exact in (("abandon_rate", "transient_p_abandon"), ("sl_offered", "transient_sl_offered")):
            low, high = sim.loc[start, f"{metric}_ci_low"], sim.loc[start, f"{metric}_ci_high"]
            # 1e-6: in the lull no call of 200 replications abandons (a CI of width 0), the exact value is 5e-9
            if not low - 1e-6 <= row[exact] <= high + 1e-6:
                outside.append(f"{start:.0f} {metric}: {row[exact]:.5f} not in [{low:.5f}, {high:.5f}]")
    assert not outside, outside
    surge = sim["offered"].idxmax()
    mol = estimate.loc[surge, "p_abandon"]
    assert not sim.loc[surge, "abandon_rate_ci_low"] <= mol <= sim.loc[surge, "abandon_rate_ci_high"]
