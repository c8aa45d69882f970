"""The dashboards' two heavy pages, timed as the page runs them (its data module, then its figures).

* plan: a run of the shipped live program (10 replications by default) -- the plan page's background callback,
  ``plan_data.run_plan`` and the comparison figures. Anchor: the same replications through ``twin.run`` as
  ``hotline simulate`` runs them, in the same process just before (so the ratio is the page's own cost).
* live: one day of 40,000 calls (``benchmarks.eventlog_speed.synthetic_log``, 3 records a call) in a fresh
  SQLite store, rendered against a saved plan -- the live page's refresh callback (``live_data.day_view`` and
  its four figures): first with nothing kept in the process (``live_render_seconds``, the goal), then a refresh
  after 100 more calls arrived (read and merged incrementally) and a refresh with nothing new. Anchor:
  ``reports.kpi.interval_kpis`` of the same day already in memory.

Prints one JSON object; the machine is shared, so read the ratios beside the seconds. Goals: plan < 5 s on two
cores, live < 1 s.

    python -m benchmarks.dash_pages [--replications 10] [--calls 40000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from adapters.store.eventlog import SqlEventLog
from adapters.store.migrate import open_store
from adapters.store.plans import SqlPlans
from adapters.store.settings import StoreSettings
from benchmarks.eventlog_speed import T0, best_of, synthetic_log
from core.config import SITE_ZONE
from dashboards import figures, live_data, log_cache, plan_data, services
from reports.eventlog import frame_to_records
from reports.kpi import interval_kpis
from twin.run import per_replication_kpis, run_replications, summarise

LIVE_PROGRAM = Path(__file__).resolve().parents[1] / "scenarios" / "live_program.yaml"
DAY = date(2023, 11, 15)


def plan_page(replications: int, repeats: int) -> dict:
    text = LIVE_PROGRAM.read_text(encoding="utf-8")
    scenario = plan_data.read_scenario(text, LIVE_PROGRAM.name).model_copy(update={"replications": replications})

    def simulate() -> None:
        per_interval, _ = per_replication_kpis(run_replications(scenario), scenario)
        summarise(per_interval, ["interval_start"])

    def page() -> list:
        plan = plan_data.run_plan(text, "A", replications=replications)
        return [figures.plan_comparison([plan], metric) for metric in figures.METRICS]

    anchor, _ = best_of(repeats, simulate)
    seconds, _ = best_of(repeats, page)
    return {
        "replications": replications,
        "plan_run_seconds": round(seconds, 3),
        "anchor_simulate_seconds": round(anchor, 3),
        "ratio_plan_to_simulate": round(seconds / anchor, 2),
        "goal_seconds": 5.0,
    }


def live_page(calls: int, repeats: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        settings = StoreSettings(database_url=f"sqlite:///{folder}/hotline.db")
        engine = open_store(settings)
        services.configure(settings, engine)
        frame = synthetic_log(calls)
        midnight = datetime.combine(DAY, datetime.min.time(), SITE_ZONE).timestamp()
        frame["time"] = frame["time"] - T0 + midnight + 1.0  # the whole synthetic day inside one local day
        SqlEventLog(engine).append(frame_to_records(frame), source="bench")
        text = LIVE_PROGRAM.read_text(encoding="utf-8")
        results = plan_data.run_plan(text, "plan", replications=2)
        plan = SqlPlans(engine).save("plan", text, results, replications=2, seed=7, by="bench", now=time.time())

        def page() -> list:
            view = live_data.day_view(DAY.isoformat(), plan.id)
            return [
                figures.live_against_plan(view.intervals, view.plan, metric, view.shift)
                for metric in ("offered", "sl_offered", "abandon_rate", "asa")
            ]

        def cold() -> list:
            log_cache.forget()
            return page()

        seconds, _ = best_of(repeats, cold)
        more = synthetic_log(100, seed=11).iloc[50:]  # 100 calls more, without the agents' logins
        more = more.assign(time=more["time"] - T0 + midnight + 1.0)
        events, batches = SqlEventLog(engine), iter(range(repeats))

        def arrived() -> None:
            batch = more.assign(call_id=f"late{next(batches)}-" + more["call_id"])
            events.append(frame_to_records(batch), source="bench-2")

        new_records = best_of_after(repeats, arrived, page)
        unchanged, _ = best_of(repeats, page)
        day = live_data.day_view(DAY.isoformat(), plan.id)
        expected = calls + 100 * repeats
        if day.totals["offered"] != expected:
            raise SystemExit(f"the page saw {day.totals['offered']} calls, not {expected}")
        anchor, _ = best_of(repeats, lambda: interval_kpis(frame, interval_s=900, target_s=20, by_queue=False))
        engine.dispose()
    return {
        "calls": calls,
        "records": len(frame),
        "live_render_seconds": round(seconds, 3),
        "refresh_after_100_new_calls_seconds": round(new_records, 3),
        "refresh_unchanged_seconds": round(unchanged, 3),
        "anchor_interval_kpis_seconds": round(anchor, 3),
        "ratio_live_to_anchor": round(seconds / anchor, 2),
        "goal_seconds": 1.0,
    }


def best_of_after(repeats: int, prepare, work) -> float:
    """The best time of ``work`` over ``repeats`` runs, each after an untimed ``prepare``."""
    best = float("inf")
    for _ in range(repeats):
        prepare()
        best = min(best, best_of(1, work)[0])
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replications", type=int, default=10, help="replications of the plan run")
    parser.add_argument("--calls", type=int, default=40_000, help="calls in the live page's day")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs of each")
    args = parser.parse_args()
    print(
        json.dumps(
            {
                "cpus": os.cpu_count(),
                "plan": plan_page(args.replications, args.repeats),
                "live": live_page(args.calls, args.repeats),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
