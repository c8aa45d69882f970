"""The databases a server benchmark runs on: ``--backend`` (PostgreSQL, SQLite or both), a throwaway store for
each in a folder of its own, and the one JSON report with a section per backend."""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

POSTGRES_SH = Path(__file__).resolve().parent.parent / "scripts" / "postgres.sh"
BACKENDS = ("postgresql", "sqlite")


def add_backend_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", action="append", choices=BACKENDS, help="database(s) to measure (default both)")


def measure_backends(report: dict, args: argparse.Namespace, run_backend: Callable[..., dict]) -> dict:
    """``run_backend(backend, args, workdir)`` for each backend asked for, each in a temporary folder removed
    afterwards; its figures go into ``report`` under the backend's name, printed as JSON and returned."""
    for backend in args.backend or BACKENDS:
        workdir = Path(tempfile.mkdtemp(prefix=f"hotline-bench-{backend}-"))
        try:
            report[backend] = run_backend(backend, args, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, indent=2))
    return report


@contextlib.contextmanager
def benchmark_store(backend: str, workdir: Path, env: dict[str, str]):
    """The store of one run: a throwaway PostgreSQL cluster (stopped afterwards) or SQLite in ``workdir``;
    ``env`` is set for the server and the database URL is yielded for the seeding."""
    from adapters.store.settings import normalise_url

    env.pop("HOTLINE_DATABASE_URL", None)
    if backend != "postgresql":
        env["HOTLINE_DATA_DIR"] = str(workdir / "data")
        yield f"sqlite:///{workdir / 'data' / 'hotline.db'}"
        return
    # its own temporary directory: as root the cluster runs as `postgres`, who cannot enter workdir
    pg_dir = tempfile.mkdtemp(prefix="hotline-bench-pg-")
    try:
        for step in (["install"], ["start", pg_dir]):
            done = subprocess.run(["bash", str(POSTGRES_SH), *step], capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"scripts/postgres.sh {step[0]} failed:\n{done.stderr}")
        url = done.stdout.strip().splitlines()[-1]
        env["HOTLINE_DATABASE_URL"] = url
        yield normalise_url(url)
    finally:
        subprocess.run(["bash", str(POSTGRES_SH), "stop", pg_dir], capture_output=True)
        shutil.rmtree(pg_dir, ignore_errors=True)
