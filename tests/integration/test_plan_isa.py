"""``hotline plan --method isa``: the iterative staffing algorithm of Feldman, Mandelbaum, Massey and Whitt on a
small time-varying slot converges in a few iterations, meets its delay-probability target per interval, and
is compared with the search's staffing (both meet the targets; the ISA, aiming at no wait rather than at the
service level within T, costs more, by a bound measured here)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.helpers import ROOT, hotline
from twin.isa import IsaSettings, plan_isa
from twin.optimise import Settings, plan, with_staffing
from twin.run import mean_ci, per_replication_kpis, run_replications
from twin.site import load_scenario
from twin.sweep import Sweep

SPOT = ROOT / "tests" / "data" / "plan" / "spot.yaml"
CHECK_REPLICATIONS = 40


def _per_interval(scenario, staffing) -> pd.DataFrame:
    run = with_staffing(scenario, staffing, CHECK_REPLICATIONS)
    per_interval, _ = per_replication_kpis(run_replications(run, workers=2), run)
    return per_interval


@pytest.mark.slow
@pytest.mark.timeout(3600)  # many replications; a loaded machine only makes it longer
def test_isa_converges_meets_its_delay_target_and_is_compared_with_the_search():
    scenario = load_scenario(SPOT)
    alpha = 1 - scenario.targets.service_level
    settings = Settings(replications=8, batch=8, max_replications=24)
    with Sweep(workers=2) as sweep:
        isa = plan_isa(scenario, sweep, settings, IsaSettings(replications=20))
        search = plan(scenario, sweep, settings)
    iterations = [it.change for it in isa.iterations]
    print(f"ISA iterations' largest changes {iterations}; staffing {isa.staffing} vs search {search.staffing}")
    print(f"agent-hours: ISA {isa.agent_hours():.2f}, search {search.agent_hours():.2f}")
    assert len(isa.iterations) <= 6, iterations
    assert isa.iterations[-1].change <= 1
    assert isa.staffing == isa.iterations[-1].next_staffing and isa.method == "isa"
    # the delay probability (share of offered calls that waited) per interval, with fresh replications
    per_interval = _per_interval(scenario, isa.staffing)
    for k in range(scenario.n_intervals):
        rows = per_interval[per_interval["interval_start"] == scenario.epoch + k * scenario.interval]
        mean, low, high = mean_ci(rows["queued_share"])
        assert low <= alpha, f"interval {k}: delay probability {mean:.3f} [{low:.3f}, {high:.3f}] > {alpha}"
    # both meet the service-level and abandon targets with 95% confidence
    assert isa.evaluation.meets and search.evaluation.meets
    assert not isa.notes
    # the ISA aims at P(wait > 0) <= 1 - SL, stricter than P(wait <= 20 s) >= SL, and counts the agents still
    # finishing the surge's calls as demand: never cheaper than the search's certified minimum, and (measured:
    # ISA (59, 26, 7) = 23.0, search (57, 14, 6) = 19.25 agent-hours on this slot) at most 30% more
    assert search.agent_hours() <= isa.agent_hours() <= 1.3 * search.agent_hours()


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_hotline_plan_compare_prints_the_isa_iterations_and_both_staffings(tmp_path):
    done = hotline(
        "plan",
        str(SPOT),
        "--compare",
        "--method",
        "isa",
        "--replications",
        "4",
        "--max-replications",
        "4",
        "--isa-replications",
        "8",
        "--workers",
        "2",
        "--out",
        str(tmp_path),
        timeout=3000,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ISA iteration 1:" in done.stdout
    assert "search vs ISA" in done.stdout
    planned = load_scenario(tmp_path / "spot" / "planned.yaml")
    assert "--method isa" in (tmp_path / "spot" / "planned.yaml").read_text().splitlines()[0]
    summary = next(line for line in done.stdout.splitlines() if line.startswith("search: "))
    assert "ISA: " in summary and "agent-hours after" in summary
    isa_hours = float(summary.split("ISA: ")[1].split(" agent-hours")[0])
    assert isa_hours == pytest.approx(sum(planned.groups[0].staffing) * planned.interval / 3600, abs=0.05)
