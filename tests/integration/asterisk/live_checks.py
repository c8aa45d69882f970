"""Checks the live tests share: the driver's event log per call, each call once, waiting on a driver."""

from __future__ import annotations

from collections import defaultdict

from core.log import TERMINAL_VERBS
from devtools.harness import LiveProcess
from tests.helpers import wait_until


def by_call(records) -> dict[str, list[str]]:
    calls: dict[str, list[str]] = defaultdict(list)
    for r in records:
        if r.call_id != "NONE":
            calls[r.call_id].append(r.verb)
    return calls


def wait_for(predicate, timeout: float, what: str, proc: LiveProcess):
    return wait_until(
        predicate,
        timeout,
        what,
        lambda: "log:\n" + "\n".join("|".join(map(str, r)) for r in proc.records()) + "\n" + proc.tail(),
    )


def assert_each_call_once(records, expected_calls: int) -> None:
    calls = by_call(records)
    arrivals = [c for c, verbs in calls.items() if "ENTERQUEUE" in verbs]
    assert len(arrivals) == expected_calls, calls
    for call, verbs in calls.items():
        assert verbs.count("ENTERQUEUE") == 1, (call, verbs)
        assert sum(v in TERMINAL_VERBS for v in verbs) == 1, (call, verbs)
