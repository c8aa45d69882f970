"""The planner's per-replication cost: the simulation (the anchor), the full ``interval_kpis`` the sweep task
used to compute, and ``plan_kpis`` (only the columns the planner reads, the same values), in CPU seconds
of this process on the same replications. Prints one JSON object.

    python -m benchmarks.plan_kpis [--replications 6] [--scenario scenarios/live_program.yaml]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from reports.kpi import interval_kpis
from twin.run import after_warmup, run_replication
from twin.site import load_scenario
from twin.sweep import plan_kpis

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=6)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "live_program.yaml")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    scenario = scenario.model_copy(update={"replications": max(args.replications, scenario.replications)})
    sim = full = fast = 0.0
    for i in range(args.replications):
        t0 = time.process_time()
        log = after_warmup(run_replication(scenario, i).log, scenario)
        t1 = time.process_time()
        interval_kpis(log, interval_s=scenario.interval, target_s=scenario.targets.within, by_queue=False)
        t2 = time.process_time()
        plan_kpis(log, scenario.interval, scenario.targets.within)
        t3 = time.process_time()
        sim, full, fast = sim + t1 - t0, full + t2 - t1, fast + t3 - t2
    n = args.replications
    print(
        json.dumps(
            {
                "scenario": args.scenario.name,
                "replications": n,
                "simulation_cpu_s": round(sim / n, 4),
                "interval_kpis_cpu_s": round(full / n, 4),
                "plan_kpis_cpu_s": round(fast / n, 4),
                "interval_kpis_to_simulation": round(full / sim, 3),
                "plan_kpis_to_simulation": round(fast / sim, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
