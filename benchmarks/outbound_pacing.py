"""Contacts per agent-hour of progressive against predictive dialing at the same drop cap, in the twin.

Prints one JSON object. Progressive (one call per waiting agent, never a drop) is the anchor measured in the
same run; the figure that matters is predictive's ratio to it, over several seeds, with its drop rate.

    python -m benchmarks.outbound_pacing [--scenario scenarios/outbound/predictive.yaml] [--seeds 5] [--cap 0.03]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from twin.outbound import load_outbound, simulate

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "outbound" / "predictive.yaml")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--cap", type=float, default=None, help="drop cap (default: the scenario's)")
    args = parser.parse_args()
    scenario = load_outbound(args.scenario)
    runs: dict[str, list[dict]] = {"progressive": [], "predictive": []}
    started = time.perf_counter()
    for seed in range(scenario.seed, scenario.seed + args.seeds):
        for mode in runs:
            runs[mode].append(simulate(scenario, mode=mode, drop_cap=args.cap, seed=seed))
    elapsed = time.perf_counter() - started

    def mean(mode: str, key: str) -> float:
        return round(statistics.fmean(r[key] for r in runs[mode]), 4)

    result = {
        "benchmark": "outbound_pacing",
        "scenario": scenario.name,
        "numbers": scenario.numbers,
        "agents": scenario.agents,
        "answer_rate": scenario.callees.answer_rate,
        "seeds": args.seeds,
        "drop_cap": runs["predictive"][0]["drop_cap"],
        "progressive_contacts_per_agent_hour": mean("progressive", "contacts_per_agent_hour"),
        "predictive_contacts_per_agent_hour": mean("predictive", "contacts_per_agent_hour"),
        "ratio_predictive_to_progressive": round(
            mean("predictive", "contacts_per_agent_hour") / mean("progressive", "contacts_per_agent_hour"), 3
        ),
        "progressive_drop_rate": mean("progressive", "drop_rate"),
        "predictive_drop_rate_mean": mean("predictive", "drop_rate"),
        "predictive_drop_rate_max": max(r["drop_rate"] for r in runs["predictive"]),
        "progressive_occupancy": mean("progressive", "occupancy"),
        "predictive_occupancy": mean("predictive", "occupancy"),
        "seconds": round(elapsed, 2),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
