"""One QA check: something measured against what was expected. Suites, golden days, journal and trace
replays all report as checks, which the JUnit XML and the HTML report show."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Check:
    case: str  # the suite's case (scenario file stem, golden day, journal)
    name: str  # the KPI or decision checked
    expected: str
    measured: str
    ok: bool
    detail: str = ""  # why it failed, for the CI log


@dataclass
class CaseResult:
    name: str
    kind: str  # scenario | golden | journal | trace
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0
    # per-interval KPIs to chart: columns interval_start plus series; "source" says which run (recorded, twin)
    intervals: pd.DataFrame | None = None

    @property
    def failures(self) -> int:
        return sum(not c.ok for c in self.checks)


def band_check(case: str, metric: str, low: float, high: float, value: float) -> Check:
    ok = low <= value <= high
    return Check(
        case,
        metric,
        f"[{low:g}, {high:g}]",
        f"{value:.4g}",
        ok,
        "" if ok else f"{metric} = {value:.4g} is outside [{low:g}, {high:g}]",
    )


def tolerance_check(case: str, metric: str, recorded: float, measured: float, tolerance: float) -> Check:
    """``measured`` within ``tolerance`` (relative) of ``recorded``."""
    off = (measured - recorded) / recorded if recorded else float("inf") if measured else 0.0
    ok = abs(off) <= tolerance
    return Check(
        case,
        metric,
        f"{recorded:g} ±{tolerance:.1%}",
        f"{measured:.1f} ({off:+.2%})",
        ok,
        ""
        if ok
        else f"{metric}: {measured:.1f} is {off:+.2%} off the recorded {recorded:g} (tolerance ±{tolerance:.1%})",
    )
