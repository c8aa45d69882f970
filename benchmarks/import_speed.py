"""Import speed end to end: ``hotline import anonymous-bank FOLDER`` on a folder of copies of the real day,
as a user runs it (a new process, opening the SQLite store, parsing, writing), in rows per second: into a
store that exists (the goal) and, for information, into a new one (its migrations run first).

Prints one JSON object. The goal is >= 5,000 rows/s end to end; beside it, the ratio to an anchor measured in
the same run on the same files (reading them with the csv module alone), and the CPU seconds the command
used, since on a shared machine (see load_average_1m) wall-clock time mostly measures the others.

    python -m benchmarks.import_speed [--files 10] [--repeats 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "anonymous-bank" / "calls_one_day.csv"
GOAL_ROWS_PER_S = 5000


def _read_all(folder: Path) -> int:
    rows = 0
    for path in sorted(folder.glob("*.csv")):
        with open(path, newline="") as handle:
            rows += sum(1 for _ in csv.reader(handle)) - 1
    return rows


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _import(folder: Path, env: dict) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one import command."""
    started, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "import", "anonymous-bank", str(folder)],
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed, used = time.perf_counter() - started, _cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"import failed: {done.stderr}")
    return elapsed, used


def _migrate(env: dict) -> None:
    code = "from adapters.store.migrate import open_store; open_store().dispose()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10, help="copies of the real day (one day each)")
    parser.add_argument("--repeats", type=int, default=2, help="best of this many imports")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "days"
        folder.mkdir()
        for day in range(args.files):
            shutil.copy(DATA, folder / f"calls_1999-08-{day + 1:02d}.csv")
        best = first = cpu = float("inf")
        for attempt in range(args.repeats):
            env = {k: v for k, v in os.environ.items() if k != "HOTLINE_DATABASE_URL"}
            env["HOTLINE_DATA_DIR"] = str(Path(tmp) / f"new{attempt}")
            first = min(first, _import(folder, env)[0])  # a new store: migrations, then the import
            env["HOTLINE_DATA_DIR"] = str(Path(tmp) / f"store{attempt}")
            _migrate(env)
            wall, used = _import(folder, env)  # a store that exists, empty
            best, cpu = min(best, wall), min(cpu, used)
        started = time.perf_counter()
        rows = _read_all(folder)
        anchor = time.perf_counter() - started
    print(
        json.dumps(
            {
                "benchmark": "import_speed",
                "files": args.files,
                "rows": rows,
                "seconds": round(best, 3),
                "rows_per_s": round(rows / best),
                "cpu_seconds": round(cpu, 3),
                "rows_per_cpu_s": round(rows / cpu),
                "load_average_1m": os.getloadavg()[0],
                "new_store_seconds": round(first, 3),
                "new_store_rows_per_s": round(rows / first),
                "goal_rows_per_s": GOAL_ROWS_PER_S,
                "meets_goal": rows / best >= GOAL_ROWS_PER_S,
                "anchor_csv_read_s": round(anchor, 4),
                "ratio_to_anchor": round(best / anchor, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
