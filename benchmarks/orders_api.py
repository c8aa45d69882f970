"""The console's API under a surge: simulated agents against one ``hotline serve`` process, on PostgreSQL and
on SQLite, with ``/api/health`` under the same concurrency as the anchor measured in the same run.

Each agent, ``--rounds`` times: look the caller up by phone (typed with dashes) -> place an order of two
lines -> claim a callback ticket -> complete it. Agents pause between steps (exponential think time, mean
``--think`` seconds), as people at a console do. The default, 5 s, is already ten times faster than agents
on calls (a call takes minutes); ``--think 1`` offers more than one server process can take on a 2-core
machine and shows its capacity, ``--think 0`` hammers it back to back. Prints one JSON object: per backend,
throughput and p50/p99 latency per step and overall (and apart: the requests sent in the opening two seconds,
when every agent starts at once on cold workers, and those after), the anchor's figures, and the ratio of the
two, the host's speed before and after the workload (a fixed Python loop), and the CPU milliseconds per request
of each phase (user + system, from /proc: the figure that depends least on the machine's other load) of the
server's processes, of the database's (PostgreSQL) and of the simulated agents themselves, with the cores they
kept busy together: on a small machine the agents and the database share the cores with the server. Not a
test: the machine is shared and noisy, so compare the ratio.

    python -m benchmarks.orders_api [--agents 200] [--rounds 5] [--think 5] [--backend postgresql --backend sqlite]
Over 400 lines: the seeding, the simulated agents, the server's CPU reading and the report are one benchmark run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from benchmarks.backends import add_backend_option, benchmark_store, measure_backends
from benchmarks.percentiles import percentile

PASSWORD = "bench-password-1"
SKUS = ("PAN-1", "KNIFE-2")
OPENING = 2.0  # seconds: the report gives the latency of the requests sent in them apart


def _ms(values: list[float], q: float) -> float | None:
    value = percentile(values, q)
    return None if value is None else round(value * 1000, 2)


def _latency(values: list[float]) -> dict:
    return {
        "requests": len(values),
        "p50_ms": _ms(values, 0.50),
        "p99_ms": _ms(values, 0.99),
        "max_ms": _ms(values, 1.0),
    }


def _progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _phone(agent: int, round_: int) -> str:
    return f"139{agent:04d}{round_:04d}"


def seed(url: str, agents: int, rounds: int) -> None:
    """Migrate, then store what the agents work on: users, one customer per call, two products with enough
    stock, one open callback ticket per round and agent."""
    from adapters.store.catalog import SqlCatalog
    from adapters.store.customers import SqlCustomers
    from adapters.store.ids import SqlIds
    from adapters.store.migrate import open_store
    from adapters.store.settings import StoreSettings
    from adapters.store.tickets import SqlTickets
    from console.accounts import SqlAccounts
    from core.catalog import Product, Warehouse
    from core.customers import register_customer
    from core.orders import Courier
    from core.phones import parse_phone
    from core.regions import Address, Division
    from core.tickets import Ticket

    engine = open_store(StoreSettings(database_url=url))
    now = time.time()
    accounts = SqlAccounts(engine)
    for agent in range(agents):
        accounts.create_user(f"agent{agent:03d}", PASSWORD, "agent", now)
    catalog = SqlCatalog(engine)
    catalog.add_warehouse(Warehouse("W-BJ", ("11",)))
    catalog.add_courier(Courier("SF", ("",)))
    for sku, price in zip(SKUS, ("199.00", "89.00")):
        catalog.add_product(Product(sku, sku, Decimal(price), frozenset({"A1"})))
        catalog.receive("W-BJ", sku, agents * rounds * 3)
    customers, ids, tickets = SqlCustomers(engine), SqlIds(engine), SqlTickets(engine)
    haidian = Division("110108", "北京市", "", "海淀区")
    for agent in range(agents):
        for round_ in range(rounds):
            number = _phone(agent, round_)
            address = Address(haidian, f"中关村大街{agent}号 {round_}室", recipient="顾客", phone=parse_phone(number))
            register_customer(customers, ids, name=f"顾客{agent}-{round_}", phones=[number], now=now, address=address)
            tickets.create(
                Ticket(
                    f"T{agent:03d}-{round_:03d}",
                    f"call-{agent}-{round_}",
                    f"138{agent:04d}{round_:04d}",
                    "normal",
                    "4008001234",
                    "A1",
                    now,
                    queue="sales",
                )
            )
    engine.dispose()


def python_loop_ms() -> float:
    """Milliseconds this process takes for a fixed pure-Python loop: the shared host's speed at that moment
    (it varied by a third between runs on an idle 2-core machine), to read a run's figures by."""
    started = time.perf_counter()
    total = 0
    for number in range(2_000_000):
        total += number
    return round((time.perf_counter() - started) * 1000, 1)


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its living descendants, from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:  # a process (a database backend) may end while it is read
            stat = Path(f"/proc/{current}/stat").read_text()
            children = [
                int(child)
                for task in Path(f"/proc/{current}/task").glob("*/children")
                for child in task.read_text().split()
            ]
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        pending.extend(children)
    return total


def database_pid(url: str) -> int | None:
    """The PostgreSQL postmaster's PID (the parent of the cluster's checkpointer), or None (SQLite: the
    database works inside the server's processes)."""
    if not url.startswith("postgresql"):
        return None
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            query = "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'"
            checkpointer = connection.execute(text(query)).scalar_one()
    finally:
        engine.dispose()
    return int(Path(f"/proc/{checkpointer}/stat").read_text().rsplit(")", 1)[1].split()[1])  # ppid


class CpuMeter:
    """CPU seconds spent so far by the server's processes, the database's (PostgreSQL) and this benchmark's
    own (the simulated agents share the machine's cores with what they measure)."""

    def __init__(self, server_pid: int, database: int | None) -> None:
        self.server_pid, self.database = server_pid, database

    def read(self) -> dict[str, float]:
        return {
            "server": process_tree_cpu(self.server_pid),
            "database": process_tree_cpu(self.database) if self.database else 0.0,
            "client": time.process_time(),
        }

    def since(self, before: dict[str, float]) -> dict[str, float]:
        now = self.read()
        return {part: now[part] - before[part] for part in now}


class Server:
    """``hotline serve`` in a child process, on a free port."""

    def __init__(self, env: dict[str, str], workdir: Path, workers: int = 1) -> None:
        self.port = _free_port()
        self.log = open(workdir / "serve.log", "w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "entrypoints.cli",
                "serve",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--workers",
                str(workers),
            ],
            env=env,
            cwd=os.getcwd(),
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        deadline = time.monotonic() + 600  # a loaded machine starts two workers slowly
        for line in self.process.stdout:
            if line.startswith("Hotline listening on"):
                break
            if time.monotonic() > deadline:
                break
        else:
            raise RuntimeError(f"hotline serve did not start: see {workdir / 'serve.log'}")
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_ready(deadline)

    def _wait_ready(self, deadline: float) -> None:
        """Every worker loads its data at start-up: wait until readiness answers (the socket listens sooner)."""
        import httpx

        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/api/health/ready", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise RuntimeError("hotline serve did not become ready")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


async def _think(rng: random.Random, mean: float) -> None:
    if mean > 0:
        await asyncio.sleep(rng.expovariate(1 / mean))


async def _timed(client, timings: dict, errors: list, step: str, method: str, path: str, **kwargs):
    import aiohttp

    started = time.perf_counter()
    try:
        async with client.request(method, path, **kwargs) as response:
            body = await response.read()
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:  # counted: the report says how many failed
        errors.append(f"{step} {type(error).__name__} {error}")
        return None
    timings[step].append((started, time.perf_counter() - started))
    if response.status >= 400:
        errors.append(f"{step} {response.status} {body[:200].decode('utf-8', 'replace')}")
        return None
    return json.loads(body)


async def _agent_workflow(client, token: str, agent: int, args, timings, errors, rng) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for round_ in range(args.rounds):
        number = _phone(agent, round_)
        typed = f"{number[:3]}-{number[3:7]}-{number[7:]}"
        await _think(rng, args.think)
        found = await _timed(
            client, timings, errors, "lookup", "GET", "/api/customers", params={"phone": typed}, headers=headers
        )
        if not found:
            continue
        await _think(rng, args.think)
        await _timed(
            client,
            timings,
            errors,
            "order",
            "POST",
            "/api/orders",
            headers=headers,
            json={
                "customer_id": found[0]["id"],
                "payment": "cod",
                "hotline": "4008001234",
                "lines": [{"sku": SKUS[0], "quantity": 1}, {"sku": SKUS[1], "quantity": 2}],
            },
        )
        ticket = f"T{agent:03d}-{round_:03d}"
        await _think(rng, args.think)
        if await _timed(client, timings, errors, "claim", "POST", f"/api/callbacks/{ticket}/claim", headers=headers):
            await _think(rng, args.think)
            await _timed(
                client,
                timings,
                errors,
                "complete",
                "POST",
                f"/api/callbacks/{ticket}/complete",
                headers=headers,
                json={"outcome": "ordered"},
            )


async def _agent_health(client, agent: int, args, timings, errors, rng) -> None:
    for _ in range(args.rounds * 4):
        await _think(rng, args.think)
        await _timed(client, timings, errors, "health", "GET", "/api/health")


async def _phase(server_url: str, args, work) -> tuple[dict, float, list[str]]:
    """The agents, on aiohttp: its C parser costs the shared cores a fraction of httpx's CPU per request (which
    took as much as the server's), so the figures are the server's rather than the load generator's."""
    import aiohttp

    timings: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    # idle connections are dropped before uvicorn's 5 s keep-alive ends them, or a request can race the close
    connector = aiohttp.TCPConnector(limit=args.agents, keepalive_timeout=2.0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(server_url, connector=connector, timeout=timeout) as client:
        started = time.perf_counter()
        await asyncio.gather(
            *(work(client, agent, timings, errors, random.Random(agent)) for agent in range(args.agents))
        )
        wall = time.perf_counter() - started
    return timings, wall, errors


async def _login_all(server_url: str, agents: int) -> list[str]:
    import httpx

    async with httpx.AsyncClient(base_url=server_url, timeout=120) as client:
        semaphore = asyncio.Semaphore(8)  # argon2 is slow on purpose: log in a few at a time

        async def login(agent: int) -> str:
            async with semaphore:
                response = await client.post("/api/login", json={"username": f"agent{agent:03d}", "password": PASSWORD})
                response.raise_for_status()
                return response.json()["access_token"]

        return await asyncio.gather(*(login(agent) for agent in range(agents)))


def _summary(timings: dict, wall: float, errors: list[str], cpu: dict, workflows: int | None = None) -> dict:
    """``timings``: per step, (start, seconds) of each answered request."""
    every = [t for values in timings.values() for _, t in values]
    first = min((started for values in timings.values() for started, _ in values), default=0.0)
    per_request = {
        f"{part}_cpu_ms_per_request": round(seconds * 1000 / len(every), 2) if every else None
        for part, seconds in cpu.items()
    }
    out = {
        "wall_s": round(wall, 3),
        "requests_per_s": round(len(every) / wall, 1),
        **per_request,
        # of the machine's cores: what the server, the database and the agents used together
        "cores_busy": round(sum(cpu.values()) / wall, 2),
        "errors": len(errors),
        "error_examples": errors[:3],
        "all": _latency(every),
        # the requests sent in the first OPENING seconds (every agent starts at once, on cold server workers:
        # statement caches, prepared statements, token caches) and the rest
        "opening": _latency([t for values in timings.values() for started, t in values if started - first < OPENING]),
        "after_opening": _latency(
            [t for values in timings.values() for started, t in values if started - first >= OPENING]
        ),
    }
    if workflows is not None:
        out["workflows_per_s"] = round(workflows / wall, 2)
    out.update({step: _latency([t for _, t in values]) for step, values in sorted(timings.items())})
    return out


def _stored(url: str) -> dict:
    """What the database holds afterwards: every accepted order and every completed ticket must be there."""
    from sqlalchemy import text

    from adapters.store.settings import StoreSettings, make_engine

    engine = make_engine(StoreSettings(database_url=url))
    with engine.connect() as connection:
        orders = connection.execute(text("SELECT count(*) FROM customer_order")).scalar_one()
        done = connection.execute(text("SELECT count(*) FROM callback_ticket WHERE status = 'done'")).scalar_one()
    engine.dispose()
    return {"orders_stored": orders, "tickets_done": done}


def run_backend(backend: str, args, workdir: Path) -> dict:
    env = dict(os.environ)
    with benchmark_store(backend, workdir, env) as url:
        _progress(f"{backend}: seeding {args.agents} agents, {args.agents * args.rounds} customers and tickets")
        seed(url, args.agents, args.rounds)
        server = Server(env, workdir, args.workers)
        try:
            _progress(f"{backend}: logging {args.agents} agents in")
            tokens = asyncio.run(_login_all(server.url, args.agents))
            # the agents' own pauses are not the server's: what seeding loaded (the project's modules, the
            # store's objects) out of this process's collector, whose full collections took 70 ms and more
            # and counted in the latency of every request then in flight, the anchor's as the workload's
            gc.collect()
            gc.freeze()
            _progress(f"{backend}: anchor, GET /api/health")
            meter = CpuMeter(server.process.pid, database_pid(url))
            cpu = meter.read()
            anchor = asyncio.run(
                _phase(
                    server.url,
                    args,
                    lambda client, agent, timings, errors, rng: _agent_health(
                        client, agent, args, timings, errors, rng
                    ),
                )
            )
            anchor_cpu = meter.since(cpu)
            speed = [python_loop_ms()]
            cpu = meter.read()
            _progress(f"{backend}: lookup -> order -> claim -> complete")
            workload = asyncio.run(
                _phase(
                    server.url,
                    args,
                    lambda client, agent, timings, errors, rng: _agent_workflow(
                        client, tokens[agent], agent, args, timings, errors, rng
                    ),
                )
            )
            workload_cpu = meter.since(cpu)
            speed.append(python_loop_ms())
        finally:
            server.stop()
        stored = _stored(url)
    workflows = args.agents * args.rounds
    result = {
        "workload": _summary(*workload, workload_cpu, workflows=workflows),
        "anchor_health": _summary(*anchor, anchor_cpu),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python_loop_ms_before_after": speed,
        "workflows_expected": workflows,
        **stored,
    }
    w, a = result["workload"]["all"], result["anchor_health"]["all"]
    result["ratio_p99_vs_health"] = round(w["p99_ms"] / a["p99_ms"], 2) if a["p99_ms"] else None
    result["ratio_p50_vs_health"] = round(w["p50_ms"] / a["p50_ms"], 2) if a["p50_ms"] else None
    wc, ac = result["workload"]["server_cpu_ms_per_request"], result["anchor_health"]["server_cpu_ms_per_request"]
    result["ratio_cpu_vs_health"] = round(wc / ac, 2) if wc and ac else None
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200, help="concurrent simulated agents (default 200)")
    parser.add_argument("--rounds", type=int, default=5, help="workflows per agent (default 5)")
    parser.add_argument(
        "--think",
        type=float,
        default=5.0,
        help="mean pause between an agent's steps, seconds (default 5; 0 = back to back)",
    )
    parser.add_argument("--workers", type=int, default=2, help="hotline serve --workers (default 2)")
    add_backend_option(parser)
    args = parser.parse_args(argv)
    report = {
        "agents": args.agents,
        "rounds": args.rounds,
        "think_mean_s": args.think,
        "steps": "lookup -> order (2 lines) -> claim -> complete",
        "server": f"hotline serve --workers {args.workers}",
    }
    return measure_backends(report, args, run_backend)


if __name__ == "__main__":
    main()
