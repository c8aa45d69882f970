"""The live driver's Prometheus metrics (``hotline live run``, ``HOTLINE_METRICS_PORT``).

``LiveMetrics(driver)`` has a registry of its own and fills it from the driver's own view:

* ``hotline_live_calls_waiting{queue}``, ``hotline_live_longest_wait_seconds{queue}`` -- callers queued now;
* ``hotline_live_agents{state}`` -- agents by state (out, ready, paused, ringing, talking, wrap-up, callback);
* ``hotline_live_tickets_open`` -- callback tickets open in the core;
* ``hotline_live_calls_total{outcome}`` -- calls ended, by outcome (answered, abandoned, callback, rejected),
  from the log's terminal records;
* ``hotline_live_ari_seconds{method,resource}`` -- ARI request round trips;
* ``hotline_live_stasis_to_originate_seconds`` -- a caller's StasisStart to the agent's originate sent.

The gauges are set in the event loop once a second (``refresh_every``), so the scrape thread never reads the
core while it changes; ``serve(host, port)`` starts prometheus-client's HTTP server for ``/metrics``.
"""

from __future__ import annotations

import asyncio
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from core.log import OUTCOME_OF_VERB
from core.state import CALLBACK, OUT, PAUSED, QUEUED, READY, RINGING, TALKING, WRAPUP

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
AGENT_STATES = (OUT, READY, PAUSED, RINGING, TALKING, WRAPUP, CALLBACK)


class LiveMetrics:
    def __init__(self, driver) -> None:
        self.driver = driver
        self.registry = CollectorRegistry()
        r = self.registry
        self.waiting = Gauge("hotline_live_calls_waiting", "Callers waiting, by queue", ("queue",), registry=r)
        self.longest = Gauge(
            "hotline_live_longest_wait_seconds", "Longest current wait, by queue", ("queue",), registry=r
        )
        self.agents = Gauge("hotline_live_agents", "Agents by state", ("state",), registry=r)
        self.tickets = Gauge("hotline_live_tickets_open", "Callback tickets open", registry=r)
        self.outcomes = Counter("hotline_live_calls", "Calls ended, by outcome", ("outcome",), registry=r)
        self.ari = Histogram(
            "hotline_live_ari_seconds",
            "ARI request round trip",
            ("method", "resource"),
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.to_originate = Histogram(
            "hotline_live_stasis_to_originate_seconds",
            "A caller's StasisStart to the agent's originate",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        for outcome in sorted(set(OUTCOME_OF_VERB.values())):
            self.outcomes.labels(outcome)  # present at 0 from the start
        self._originates_seen = 0
        self._queues: set[str] = set()
        driver.observers.append(self.observe)
        for client in (driver.ari, driver.ari_dial):
            client.on_round_trip = self.round_trip

    def observe(self, message, actions: list, records) -> None:
        """A driver observer: count the calls that ended (inside the core's turn: only counting)."""
        for record in records:
            outcome = OUTCOME_OF_VERB.get(record.verb)
            if outcome is not None:
                self.outcomes.labels(outcome).inc()

    def round_trip(self, method: str, path: str, seconds: float) -> None:
        self.ari.labels(method, path.strip("/").split("/", 1)[0] or "/").observe(seconds)

    def refresh(self, now: float | None = None) -> None:
        """Set the gauges from the core (call it in the event loop)."""
        now = time.time() if now is None else now
        core = self.driver.core
        waiting: dict[str, list[float]] = {queue: [] for queue in self._queues}
        for call in core.calls.values():
            if call.state == QUEUED:
                waiting.setdefault(call.queue, []).append(now - call.arrived)
        for queue, waits in waiting.items():
            self.waiting.labels(queue).set(len(waits))
            self.longest.labels(queue).set(max(waits, default=0.0))
        self._queues |= set(waiting)
        states = {state: 0 for state in AGENT_STATES}
        for agent in core.agents.values():
            states[agent.state] = states.get(agent.state, 0) + 1
        for state, count in states.items():
            self.agents.labels(state).set(count)
        self.tickets.set(sum(1 for ticket in core.tickets.tickets.values() if ticket.status == "open"))
        latencies = self.driver.stats.stasis_to_originate
        for seconds in latencies[self._originates_seen :]:
            self.to_originate.observe(seconds)
        self._originates_seen = len(latencies)

    async def refresh_every(self, interval: float = 1.0) -> None:
        while True:
            self.refresh()
            await asyncio.sleep(interval)

    def serve(self, host: str, port: int):
        """``/metrics`` on ``host:port`` in a daemon thread; returns (server, thread)."""
        return start_http_server(port, addr=host, registry=self.registry)
