"""The console's server CPU per request: one ``hotline serve`` worker, one agent, no pauses, each workflow step
``--requests`` times in a row (lookup, order, claim, complete; ``/api/health`` as the anchor), and the CPU
seconds the server's processes spent on them (user + system, from /proc), per request. CPU time is what a
shared, noisy machine does not blur: wall-clock figures here would be mostly other sessions' load.

    python -m benchmarks.api_cpu [--requests 200] [--backend postgresql --backend sqlite]

To see where the time goes, attach a sampling profiler to the worker while it runs (``py-spy record --pid``).
Prints one JSON object: per backend and step, server CPU ms per request, and the ratio to health's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

from benchmarks.backends import add_backend_option, benchmark_store, measure_backends
from benchmarks.orders_api import PASSWORD, SKUS, Server, _phone, _progress, process_tree_cpu, seed

STEPS = ("health", "lookup", "order", "claim", "complete")


def _requests(step: str, n: int):
    for i in range(n):
        number = _phone(0, i)
        ticket = f"T000-{i:03d}"
        if step == "health":
            yield "GET", "/api/health", {}
        elif step == "lookup":
            yield "GET", "/api/customers", {"params": {"phone": f"{number[:3]}-{number[3:7]}-{number[7:]}"}}
        elif step == "order":
            yield (
                "POST",
                "/api/orders",
                {
                    "json": {
                        "customer_id": f"C{i + 1:08d}",
                        "payment": "cod",
                        "hotline": "4008001234",
                        "lines": [{"sku": SKUS[0], "quantity": 1}, {"sku": SKUS[1], "quantity": 2}],
                    }
                },
            )
        elif step == "claim":
            yield "POST", f"/api/callbacks/{ticket}/claim", {}
        else:
            yield "POST", f"/api/callbacks/{ticket}/complete", {"json": {"outcome": "ordered"}}


async def _measure(server: Server, token: str, n: int) -> dict:
    import httpx

    out: dict = {}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.url, timeout=60, headers=headers) as client:
        for step in STEPS:
            await client.get("/api/health")  # the connection is open before the clock starts
            started_cpu, started = process_tree_cpu(server.process.pid), time.perf_counter()
            failed = 0
            for method, path, kwargs in _requests(step, n):
                response = await client.request(method, path, **kwargs)
                if response.status_code >= 400:
                    failed += 1
                    if failed == 1:
                        _progress(f"{step}: {response.status_code} {response.text[:200]}")
            cpu = process_tree_cpu(server.process.pid) - started_cpu
            out[step] = {
                "cpu_ms_per_request": round(cpu * 1000 / n, 2),
                "wall_ms_per_request": round((time.perf_counter() - started) * 1000 / n, 2),
                "errors": failed,
            }
    anchor = out["health"]["cpu_ms_per_request"] or None
    for step in STEPS:
        out[step]["ratio_cpu_vs_health"] = round(out[step]["cpu_ms_per_request"] / anchor, 1) if anchor else None
    return out


def _customer_ids_in_order(url: str) -> None:
    """The orders name customers by id: the seed registers them in round order, C00000001 first (checked)."""
    from sqlalchemy import text

    from adapters.store.settings import StoreSettings, make_engine

    engine = make_engine(StoreSettings(database_url=url))
    with engine.connect() as connection:
        first = connection.execute(text("SELECT min(id) FROM customer")).scalar_one()
    engine.dispose()
    if first != "C00000001":
        raise SystemExit(f"expected the first customer to be C000001, found {first}")


def run_backend(backend: str, args, workdir: Path) -> dict:
    env = dict(os.environ, HOTLINE_LOOKUP_LIMIT=str(args.requests * 10), HOTLINE_SERVE_DASHBOARDS="0")
    with benchmark_store(backend, workdir, env) as url:
        _progress(f"{backend}: seeding {args.requests} customers and tickets")
        seed(url, 1, args.requests)
        _customer_ids_in_order(url)
        server = Server(env, workdir, workers=1)
        try:
            import httpx

            login = httpx.post(server.url + "/api/login", json={"username": "agent000", "password": PASSWORD})
            login.raise_for_status()
            _progress(f"{backend}: {args.requests} requests per step")
            return asyncio.run(_measure(server, login.json()["access_token"], args.requests))
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per step (default 200, at most 999)")
    add_backend_option(parser)
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 999:
        parser.error("--requests: 1 to 999")
    report: dict = {"requests_per_step": args.requests, "server": "hotline serve --workers 1", "cpu": "user + system"}
    return measure_backends(report, args, run_backend)


if __name__ == "__main__":
    main()
