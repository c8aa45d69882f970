"""What many tests share: waiting for a condition (never a fixed sleep) and racing threads against each other."""

from __future__ import annotations

import threading
import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    what: str | Callable[[], str] = "the condition",
    detail: Callable[[], str] | None = None,
    interval: float = 0.05,
) -> T:
    """Poll ``predicate`` until it returns something truthy, and return that; fail after ``timeout`` seconds
    naming ``what`` (and ``detail()``, what the test saw, if given). Deadlines are generous: a loaded machine
    only makes the wait longer, never the test wrong."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what if isinstance(what, str) else what()}"
                + (f": {detail()}" if detail else "")
            )
        time.sleep(interval)


def race(n: int, work: Callable[[int], T], timeout: float = 300.0) -> list[T | Exception]:
    """Run ``work(i)`` for i in range(n) in n threads released together by a barrier; the results in order,
    or the exception a call raised in its place."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def runner(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 - the test inspects it
            results[i] = error

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), f"racing threads still running after {timeout} s"
    return results


def open_connections(engine, n: int) -> None:
    """Open ``n`` pooled connections and give them back, so that racing threads do not queue on connecting."""
    held = [engine.connect() for _ in range(n)]
    for connection in held:
        connection.close()


# scenarios/ folders whose YAML is not a plain scenario: outbound campaigns (twin/outbound.py), QA golden cases
# (qa/suite.py) and trace what-ifs, whose agents come from the recorded day (qa/trace.py)
NOT_PLAIN_SCENARIOS = frozenset({"outbound", "qa-golden", "trace"})


def shipped_scenarios(root) -> list:
    """The plain scenario files under ``root/scenarios``, sorted."""
    folder = root / "scenarios"
    return sorted(p for p in folder.rglob("*.yaml") if p.relative_to(folder).parts[0] not in NOT_PLAIN_SCENARIOS)
