"""Surge mode: while an airing is in its response window, its kind's ``SurgePolicy`` changes the policy.

An airing of a kind with a surge policy is *surging* from its start until start + length + the base
policy's ``response_window``. The policy in force is the base policy overlaid with the non-None values of
every surging airing's surge policy, in order of airing start (a later airing wins where two disagree).
Surge overflow steps replace the base steps of the same home queue only; other queues keep theirs.

Pure functions over the configuration; ``CallCenter`` arms the timers and logs SURGE_ON / SURGE_OFF.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable

from core.config import CenterConfig, Policy, SurgePolicy

SURGE_ON, SURGE_OFF = "surge_on", "surge_off"  # timer kinds, keyed by airing id


@dataclass(frozen=True, slots=True)
class SurgeWindow:
    airing_id: str
    kind: str
    start: float
    end: float

    def holds(self, now: float) -> bool:
        return self.start <= now < self.end


def surge_windows(config: CenterConfig) -> dict[str, SurgeWindow]:
    """airing id -> window, for the airings whose kind has a surge policy, in order of start."""
    window = config.policy.response_window
    found = [
        SurgeWindow(a.airing_id, a.kind, a.start, a.start + a.length + window)
        for a in config.airings
        if a.kind in config.surge and a.length + window > 0
    ]
    return {w.airing_id: w for w in sorted(found, key=lambda w: (w.start, w.airing_id))}


def policy_during(base: Policy, surge: dict[str, SurgePolicy], active: Iterable[SurgeWindow]) -> Policy:
    """The base policy with the changes of every active window's surge policy (later start wins)."""
    changes: dict[str, Any] = {}
    for window in sorted(active, key=lambda w: (w.start, w.airing_id)):
        changes_of_kind = surge.get(window.kind)
        if changes_of_kind is None:
            continue
        for spec in dataclasses.fields(SurgePolicy):
            value = getattr(changes_of_kind, spec.name)
            if value is None:
                continue
            if spec.name == "overflow":
                value = {**changes.get("overflow", base.overflow), **value}
            changes[spec.name] = value
    return dataclasses.replace(base, **changes) if changes else base


def surge_overflow_groups(config: CenterConfig) -> set[str]:
    """Skill groups that surge overflow steps may send calls to."""
    return {step.group for p in config.surge.values() for steps in (p.overflow or {}).values() for step in steps}
