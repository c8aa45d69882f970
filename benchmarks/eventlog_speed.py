"""Call analysis speed on a large log: ``call_lives`` + ``interval_kpis`` over a synthetic day.

Prints one JSON object. Not a test: the machine is shared and noisy, so the figure that matters is the ratio
to an anchor measured in the same run on the same frame (a plain pandas group-by over every record).

    python -m benchmarks.eventlog_speed [--calls 60000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from core.log import FIELDS, NONE, Verb
from reports.call_lives import call_lives
from reports.kpi import interval_kpis

T0 = 1_699_999_200.0


def synthetic_log(n_calls: int, n_agents: int = 50, seed: int = 7) -> pd.DataFrame:
    """A log built with numpy: every call answered by agent i % n_agents (three records per call)."""
    rng = np.random.default_rng(seed)
    arrive = T0 + np.sort(rng.uniform(0, 86400, n_calls))
    connect = arrive + rng.exponential(10, n_calls)
    end = connect + rng.exponential(120, n_calls)
    ids = np.char.add("c", np.arange(n_calls).astype(str)).astype(object)
    agents = np.char.add("a", (np.arange(n_calls) % n_agents).astype(str)).astype(object)
    columns = {"data1": "", "data2": "", "data3": "", "data4": "", "data5": ""}
    parts = [
        pd.DataFrame(
            {
                "time": t,
                "call_id": ids,
                "queue": "sales",
                "agent": agents if agent is None else agent,
                "verb": verb,
                **columns,
            }
        )
        for t, verb, agent in (
            (arrive, Verb.ENTERQUEUE, NONE),
            (connect, Verb.CONNECT, None),
            (end, Verb.COMPLETECALLER, None),
        )
    ]
    logins = pd.DataFrame(
        {
            "time": T0 - 1.0,
            "call_id": NONE,
            "queue": NONE,
            "agent": [f"a{i}" for i in range(n_agents)],
            "verb": Verb.AGENTLOGIN,
            **columns,
        }
    )
    frame = pd.concat([logins] + parts, ignore_index=True).sort_values("time", kind="stable")
    return frame.astype({name: "str" for name in FIELDS[1:]}).reset_index(drop=True)


def best_of(repeats: int, work) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=60_000, help="calls in the synthetic log (3 records each)")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs of each")
    args = parser.parse_args()
    frame = synthetic_log(args.calls)
    seconds, (lives, rows) = best_of(args.repeats, lambda: (call_lives(frame), interval_kpis(frame)))
    if len(lives) != args.calls or rows["answered"].sum() != args.calls:
        raise SystemExit(f"wrong analysis: {len(lives)} lives, {rows['answered'].sum()} answered")
    anchor, _ = best_of(args.repeats, lambda: frame.groupby(["call_id", "verb"])["time"].agg(["min", "max"]))
    print(
        json.dumps(
            {
                "records": len(frame),
                "analysis_seconds": round(seconds, 3),
                "anchor_groupby_seconds": round(anchor, 3),
                "ratio_analysis_to_anchor": round(seconds / anchor, 1),
                "records_per_s": round(len(frame) / seconds),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
