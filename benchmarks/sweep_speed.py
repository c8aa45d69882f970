"""Sweep scaling on Dask: the same sweep (replications of a scenario as tasks) on a local cluster of 1 worker
and of 2 workers, in the same run. Prints one JSON object with the ratio (goal: >= 1.8 on two cores).

Not a test: the machine is shared, so the load average at the start and end is printed beside the figures.

    python -m benchmarks.sweep_speed [--tasks 16] [--scenario scenarios/live_program.yaml]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from twin.site import load_scenario
from twin.sweep import Sweep, replication_kpis

ROOT = Path(__file__).resolve().parent.parent


def timed_sweep(scenario, workers: int, tasks: int) -> float:
    with Sweep(workers=workers) as sweep:
        sweep.run(replication_kpis, [(scenario, i) for i in range(workers)])  # warm: imports done in every worker
        started = time.perf_counter()
        sweep.run(replication_kpis, [(scenario, i) for i in range(tasks)])
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=16, help="replications in the sweep")
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "live_program.yaml")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    scenario = scenario.model_copy(update={"replications": max(args.tasks, scenario.replications)})
    load_before = os.getloadavg()[0]
    one = timed_sweep(scenario, 1, args.tasks)
    two = timed_sweep(scenario, 2, args.tasks)
    print(
        json.dumps(
            {
                "scenario": args.scenario.name,
                "tasks": args.tasks,
                "cpus": os.cpu_count(),
                "one_worker_seconds": round(one, 2),
                "two_workers_seconds": round(two, 2),
                "ratio_two_to_one": round(one / two, 3),
                "target_ratio": 1.8,
                "load_average_before": round(load_before, 1),
                "load_average_after": round(os.getloadavg()[0], 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
