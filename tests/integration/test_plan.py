"""``hotline plan``: the optimiser's staffing meets the targets with 95% confidence and one agent fewer in any
interval misses them; sweeps run on a real Dask scheduler and worker started as separate processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from reports.kpi import interval_kpis
from tests.helpers import ROOT, hotline, wait_until
from twin.optimise import Settings, plan, with_staffing
from twin.run import after_warmup, per_replication_kpis, run_replication, run_replications, summarise
from twin.site import load_scenario
from twin.sweep import PLAN_COLUMNS, Sweep, plan_kpis

SPOT = ROOT / "tests" / "data" / "plan" / "spot.yaml"
LIVE_PROGRAM = ROOT / "scenarios" / "live_program.yaml"


def _interval_cis(scenario, staffing, replications):
    """The KPIs per interval of a staffing as ``hotline simulate`` computes them (same seeds as the plan)."""
    run = with_staffing(scenario, staffing, replications)
    per_interval, _ = per_replication_kpis(run_replications(run, workers=2), run)
    summary = summarise(per_interval, ["interval_start"]).set_index("interval_start")
    return summary.loc[[scenario.epoch + k * scenario.interval for k in range(scenario.n_intervals)]]


def _meets(summary, targets) -> bool:
    return bool(
        (
            (summary["sl_offered_ci_low"] >= targets.service_level)
            & (summary["abandon_rate_ci_high"] <= targets.max_abandon_rate)
        ).all()
    )


@pytest.mark.parametrize("path", [SPOT, LIVE_PROGRAM])
def test_the_sweep_task_computes_the_planners_kpis_as_interval_kpis_does(path):
    """The shortcut (plan_kpis) on the twin's logs: rejected callers, callbacks, overflow, calls still in the
    system at the end; every interval with a call, the same values to the last bit."""
    scenario = load_scenario(path)
    for index in range(2):
        log = after_warmup(run_replication(scenario, index).log, scenario)
        full = interval_kpis(log, interval_s=scenario.interval, target_s=scenario.targets.within, by_queue=False)
        expected = full.loc[full["calls"] > 0, PLAN_COLUMNS].reset_index(drop=True)
        got = plan_kpis(log, scenario.interval, scenario.targets.within)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=True)
        assert expected["offered"].sum() > 100


@pytest.mark.slow
@pytest.mark.timeout(3600)  # many replications; a loaded machine only makes it longer
def test_planned_staffing_meets_the_targets_and_one_agent_fewer_anywhere_misses():
    scenario = load_scenario(SPOT)
    settings = Settings(replications=8, batch=8, max_replications=24)
    with Sweep(workers=2) as sweep:
        result = plan(scenario, sweep, settings)
    assert result.evaluation.meets
    # checked again by the simulate command's own KPI code, with the plan's replications
    assert _meets(_interval_cis(scenario, result.staffing, result.evaluation.replications), scenario.targets)
    staffed = [(g, k) for g, row in enumerate(result.staffing) for k, n in enumerate(row) if n > 0]
    assert sorted(result.neighbours) == staffed
    for (g, k), neighbour in result.neighbours.items():
        fewer = [list(row) for row in result.staffing]
        fewer[g][k] -= 1
        assert neighbour.staffing == tuple(map(tuple, fewer))
        assert not neighbour.meets, f"one fewer in group {g}, interval {k} still meets the targets"
        assert not _meets(_interval_cis(scenario, neighbour.staffing, neighbour.replications), scenario.targets)
    assert result.scenario.groups[0].staffing == result.staffing[0]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dask", *args],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        start_new_session=True,
    )


@pytest.mark.slow
@pytest.mark.timeout(3600)  # many replications; a loaded machine only makes it longer
def test_a_sweep_runs_on_a_dask_scheduler_and_worker_started_as_separate_processes(tmp_path):
    from distributed import Client

    info = tmp_path / "scheduler.json"
    scheduler = _start(
        ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(info)],
        tmp_path / "scheduler.log",
    )
    worker = None
    try:
        address = wait_until(
            lambda: info.exists() and json.loads(info.read_text() or "{}").get("address"),
            120,
            "the scheduler's address",
            lambda: (tmp_path / "scheduler.log").read_text(),
        )
        worker = _start(
            ["worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"], tmp_path / "worker.log"
        )
        with Client(address) as client:
            client.wait_for_workers(1, timeout=120)
        done = hotline(
            "plan",
            str(SPOT),
            "--scheduler",
            address,
            "--replications",
            "3",
            "--max-replications",
            "3",
            "--out",
            str(tmp_path / "out"),
            timeout=1800,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"sweep on {address} with 1 worker(s)" in done.stdout
        planned = load_scenario(tmp_path / "out" / "spot" / "planned.yaml")
        assert planned.groups[0].staffing and all(n > 0 for n in planned.groups[0].staffing)
        assert "agent-hours" in done.stdout
        with Client(address) as client:
            ran = client.run_on_scheduler(
                lambda dask_scheduler: {
                    name: prefix.states.get("memory", 0)
                    + prefix.states.get("released", 0)
                    + prefix.states.get("forgotten", 0)
                    for name, prefix in dask_scheduler.task_prefixes.items()
                }
            )
        assert "replication_kpis" in ran, ran
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                process.wait(timeout=60)


@pytest.mark.slow
@pytest.mark.timeout(3600)  # many replications; a loaded machine only makes it longer
def test_hotline_plan_on_the_live_program_prints_per_interval_staffing_and_writes_it_back(tmp_path):
    """The acceptance command on scenarios/live_program.yaml, with few replications per candidate so that it
    stays affordable (the certificate's strength grows with --replications; the logic is the same)."""
    done = hotline(
        "plan",
        str(LIVE_PROGRAM),
        "--replications",
        "4",
        "--max-replications",
        "4",
        "--workers",
        "2",
        "--conversion",
        "0.3",
        "--order-value",
        "399",
        "--out",
        str(tmp_path),
        env={"COLUMNS": "240"},
        timeout=3600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    planned = load_scenario(tmp_path / "live_program" / "planned.yaml")
    staffing = [g.staffing for g in planned.groups]
    rows = [line for line in done.stdout.splitlines() if line.strip().startswith("│")]
    assert len(rows) == planned.n_intervals
    for k, row in enumerate(rows):
        cells = [c.strip() for c in row.strip("│ ").split("│")]
        assert [int(c) for c in cells[1 : 1 + len(staffing)]] == [s[k] for s in staffing]
        assert "still meets" not in cells[-1]
    assert "agent-hours" in done.stdout and "yuan revenue lost to abandons" in done.stdout
