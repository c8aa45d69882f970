"""Twin speed against a bare SimPy M/M/c+M model of the same calls, in the same run; and a surge case.

Prints one JSON object. Not a test: the machine is shared and noisy, so the figure that matters is the
ratio to the bare-SimPy anchor measured in the same run.

    python -m benchmarks.sim_speed [--calls 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import simpy

from twin.build import build_model, replication_seeds
from twin.scenario import Scenario
from twin.site import load_scenario

ROOT = Path(__file__).resolve().parent.parent
RATE = 0.544


def bare_simpy(arrivals: list[float], patience: list[float], handle: list[float], agents: int) -> dict:
    """SimPy's bank-renege pattern: one process per call, ``yield request | timeout(patience)``."""
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=agents)
    counts = {"answered": 0, "abandoned": 0}

    def call(i):
        with servers.request() as request:
            result = yield request | env.timeout(patience[i])
            if request in result:
                counts["answered"] += 1
                yield env.timeout(handle[i])
            else:
                counts["abandoned"] += 1

    def source():
        for i, t in enumerate(arrivals):
            yield env.timeout(t - env.now)
            env.process(call(i))

    env.process(source())
    env.run()
    return counts


def stationary(calls: int, repeats: int) -> dict:
    base = load_scenario(ROOT / "scenarios" / "stationary.yaml")
    horizon = calls / RATE
    scenario = base.model_copy(update={"horizon": horizon, "warmup": 0.0, "replications": 1})
    best_twin = best_bare = cpu_twin = cpu_bare = float("inf")
    twin_calls = 0
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        model = build_model(scenario, replication_seeds(scenario)[0])
        model.run()
        best_twin = min(best_twin, time.perf_counter() - started)
        cpu_twin = min(cpu_twin, time.process_time() - cpu)
        twin_calls = model.stats.calls
        arrivals = list(model.arrival_offsets)
        started, cpu = time.perf_counter(), time.process_time()
        bare = bare_simpy(arrivals, model.patience, model.handle, 100)
        best_bare = min(best_bare, time.perf_counter() - started)
        cpu_bare = min(cpu_bare, time.process_time() - cpu)
    twin_rate = twin_calls / best_twin
    bare_rate = twin_calls / best_bare
    return {
        "calls": twin_calls,
        "twin_seconds": round(best_twin, 3),
        "bare_simpy_seconds": round(best_bare, 3),
        "twin_calls_per_s": round(twin_rate),
        "bare_simpy_calls_per_s": round(bare_rate),
        "ratio_twin_to_bare": round(twin_rate / bare_rate, 3),
        "twin_cpu_seconds": round(cpu_twin, 3),
        "bare_simpy_cpu_seconds": round(cpu_bare, 3),
        "ratio_twin_to_bare_cpu": round(cpu_bare / cpu_twin, 3),  # the figure to trust on a loaded machine
        "bare_abandoned_share": round(bare["abandoned"] / twin_calls, 4),
        "target_ratio": 0.8,
    }


def surge_scenario() -> Scenario:
    """The live program's first airing at 20,000 calls, 300 agents at the peak."""
    base = load_scenario(ROOT / "scenarios" / "live_program.yaml")
    airing = base.airings[0].model_copy(update={"expected_calls": 20000.0})
    staffing = {"order-line": (150, 200, 150, 270, 270, 100), "back-office": (0, 0, 0, 30, 30, 0)}  # 300 at most
    groups = tuple(g.model_copy(update={"staffing": staffing[g.name]}) for g in base.groups)
    scenario = base.model_copy(
        update={
            "airings": (airing,),
            "groups": groups,
            "replications": 1,
            "baseline": {k: v for k, v in base.baseline.items()},
        }
    )
    return scenario


def peak_rss_kib() -> int:
    """This process's own peak memory. ``ru_maxrss`` is not: Linux carries the parent's peak over fork and
    exec, so the surge child reported the stationary runs' peak (232 MiB) instead of its own."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def surge_child(repeats: int) -> None:
    """Run in its own process so that its peak memory is its own; best of ``repeats`` runs."""
    scenario = surge_scenario()
    wall = cpu = float("inf")
    for _ in range(repeats):
        model = None  # the previous run's model goes before the next is built (its cycles: collected now)
        gc.collect()
        started, cpu_started = time.perf_counter(), time.process_time()
        model = build_model(scenario, replication_seeds(scenario)[0])
        model.run()
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - cpu_started)
    peak_kib = peak_rss_kib()
    agents = len({s.agent_id for s in model.setup.shifts})
    print(
        json.dumps(
            {
                "calls": model.stats.calls,
                "agents": agents,
                "wall_seconds": round(wall, 3),
                "cpu_seconds": round(cpu, 3),  # the figure to trust on a loaded machine
                "target_seconds": 1.0,
                "calls_per_s": round(model.stats.calls / wall),
                "peak_rss_mib": round(peak_kib / 1024, 1),
                "log_records": len(model.center.log),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100_000, help="calls in the stationary case")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs of each case")
    parser.add_argument("--surge-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.surge_child:
        surge_child(args.repeats)
        return
    result = {"stationary": stationary(args.calls, args.repeats)}
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.sim_speed", "--surge-child", "--repeats", str(args.repeats)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result["surge"] = json.loads(child.stdout.strip().splitlines()[-1])
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
