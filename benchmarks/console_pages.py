"""The web console's pages with 200 agents logged in: one ``hotline serve`` process on SQLite, every agent
with its desk's WebSocket (``/api/stream``, the login cookie) open, loading pages with think time; and the
screen pop: the live driver's ringing event is written to the store (as its publisher does), the agent's
socket receives it and its page fetches the pop (``/agent/pop``). ``/api/health`` under the same concurrency
and think time is the anchor measured in the same run (and ``/api/me``: what checking a login costs alone).

Prints one JSON object: p50/p95/p99 of page loads (the desk, the callback worklist, complaints) and of the
anchor, their ratio, and the screen pop latency from the event's write to the pop's HTML in hand. The pop
latency does not include the driver's publisher buffer (it writes every 100 ms: add up to 0.1 s for the
time from the phone ringing). Not a test: the machine is shared, compare the ratio.

    python -m benchmarks.console_pages [--agents 200] [--rounds 3] [--think 10] [--pops 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from benchmarks.backends import benchmark_store
from benchmarks.orders_api import Server, _latency, _login_all, _ms, _phone, _progress, seed
from benchmarks.percentiles import percentile

PAGES = ("/agent", "/callbacks", "/complaints")
ANCHORS = ("/api/health", "/api/health", "/api/me")  # as many requests as PAGES; /api/me: a login's cost alone
HOTLINE = "4008001234"


def _figures(values: list[float]) -> dict:
    return {**_latency(values), "p95_ms": _ms(values, 0.95)}


async def _think(rng: random.Random, mean: float) -> None:
    if mean > 0:
        await asyncio.sleep(rng.expovariate(1 / mean))


async def _browse(client, cookie: str, paths: tuple[str, ...], args, rng, timings, errors) -> None:
    import httpx

    for _ in range(args.rounds):
        for path in paths:
            await _think(rng, args.think)
            started = time.perf_counter()
            try:
                response = await client.get(path, headers={"Cookie": cookie})
            except httpx.TransportError as error:  # counted, not fatal: the figures say how many
                errors.append(f"{path}: {error!r}")
                continue
            timings[path].append(time.perf_counter() - started)
            if response.status_code != 200:
                errors.append(f"{path}: {response.status_code}")


async def _desk_socket(
    url: str, cookie: str, client, pops: dict, latencies: list, errors: list, opened: asyncio.Event, streamed: list
) -> None:
    """The agent's page: on a ringing event, fetch the pop; the latency runs from the event's write. Runs
    until cancelled."""
    import websockets

    async with websockets.connect(
        url.replace("http", "ws") + "/api/stream", additional_headers={"Cookie": cookie}
    ) as socket:
        opened.set()
        async for message in socket:
            event = json.loads(message)
            if event["kind"] != "ringing":
                continue
            streamed.append(time.perf_counter() - pops[event["call_id"]])
            response = await client.get(f"/agent/pop?seq={event['seq']}", headers={"Cookie": cookie})
            if response.status_code != 200 or "customer-name" not in response.text:
                errors.append(f"pop {event['seq']}: {response.status_code}")
            latencies.append(time.perf_counter() - pops.pop(event["call_id"]))


async def _ring(engine, agents: int, count: int, rate: float, pops: dict) -> None:
    """Ringing events for random agents, ``rate`` a second, each for a caller the store knows."""
    from adapters.store.live_channel import SqlLiveEvents

    events, rng = SqlLiveEvents(engine), random.Random(7)
    for n in range(count):
        agent = rng.randrange(agents)
        call_id = f"bench-{n}"
        pops[call_id] = time.perf_counter()
        await asyncio.to_thread(
            events.publish,
            [
                dict(
                    at=time.time(),
                    kind="ringing",
                    agent_id=f"agent{agent:03d}",
                    call_id=call_id,
                    payload={"caller": _phone(agent, 0), "hotline": HOTLINE, "queue": "sales"},
                )
            ],
        )
        await asyncio.sleep(1 / rate)


async def _run(server: Server, engine, tokens: list[str], args) -> dict:
    import httpx

    cookies = [f"hotline_token={token}" for token in tokens]
    limits = httpx.Limits(max_connections=args.agents * 2, max_keepalive_connections=args.agents, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=120) as client:
        pops: dict[str, float] = {}
        pop_latency: list[float] = []
        streamed: list[float] = []  # the event's write -> the socket has it (the rest is the pop's page)
        errors: list[str] = []
        opened = [asyncio.Event() for _ in tokens]
        sockets = [
            asyncio.create_task(_desk_socket(server.url, cookie, client, pops, pop_latency, errors, o, streamed))
            for cookie, o in zip(cookies, opened)
        ]
        await asyncio.wait_for(asyncio.gather(*(o.wait() for o in opened)), 120)
        _progress(f"{len(sockets)} desks connected to /api/stream")

        anchor: dict[str, list[float]] = defaultdict(list)
        await asyncio.gather(
            *(
                _browse(client, cookie, ANCHORS, args, random.Random(i), anchor, errors)
                for i, cookie in enumerate(cookies)
            )
        )
        _progress("anchor done; pages and pops")
        pages: dict[str, list[float]] = defaultdict(list)
        await asyncio.gather(
            _ring(engine, args.agents, args.pops, args.pop_rate, pops),
            *(
                _browse(client, cookie, PAGES, args, random.Random(i), pages, errors)
                for i, cookie in enumerate(cookies)
            ),
        )
        deadline = time.monotonic() + 30
        while pops and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        for socket in sockets:
            socket.cancel()
        await asyncio.gather(*sockets, return_exceptions=True)

    every_page = [t for values in pages.values() for t in values]
    health = anchor["/api/health"]
    page_p95, health_p95 = percentile(every_page, 0.95), percentile(health, 0.95)
    return {
        "pages": {"all": _figures(every_page), **{path: _figures(values) for path, values in pages.items()}},
        "anchor_health": _figures(health),
        "anchor_api_me": _figures(anchor["/api/me"]),
        "page_p95_over_health_p95": round(page_p95 / health_p95, 2) if page_p95 and health_p95 else None,
        "screen_pop": {**_figures(pop_latency), "missed": len(pops)},
        "screen_pop_event_on_socket": _figures(streamed),
        "errors": len(errors),
        "error_examples": errors[:3],
    }


def _cheap_password_hashing() -> None:
    """The seeded users' hashes with argon2's cheapest parameters: logging 200 agents in is not what is
    measured (pages check tokens, by SHA-256), and full-cost hashes took minutes on a loaded machine."""
    from argon2 import PasswordHasher

    import console.accounts

    console.accounts._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="times each agent loads each page")
    parser.add_argument(
        "--think",
        type=float,
        default=10.0,
        help="mean seconds between an agent's page loads (an agent on calls opens a page a minute)",
    )
    parser.add_argument("--pops", type=int, default=100, help="ringing events during the page phase")
    parser.add_argument("--pop-rate", type=float, default=4.0, help="ringing events a second")
    args = parser.parse_args(argv)

    from adapters.store.settings import StoreSettings, make_engine

    workdir = Path(tempfile.mkdtemp(prefix="hotline-bench-pages-"))
    env = dict(os.environ)
    with benchmark_store("sqlite", workdir, env) as url:
        _progress(f"seeding {args.agents} agents")
        _cheap_password_hashing()
        seed(url, args.agents, 1)
        server = Server(env, workdir)
        engine = make_engine(StoreSettings(database_url=url))
        try:
            tokens = asyncio.run(_login_all(server.url, args.agents))
            result = asyncio.run(_run(server, engine, tokens, args))
        finally:
            server.stop()
            engine.dispose()
    out = {
        "benchmark": "console_pages",
        "agents_logged_in": args.agents,
        "rounds": args.rounds,
        "think_s": args.think,
        "pops": args.pops,
        "backend": "sqlite",
        "server": "one hotline serve process",
        **result,
    }
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
