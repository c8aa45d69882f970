"""The percentile every benchmark reports: nearest rank on the sorted values (no interpolation), so a p99
is a latency that was really measured."""

from __future__ import annotations


def percentile(values: list[float], q: float) -> float | None:
    """The value at rank round(q * (n - 1)) of the sorted values (q in [0, 1]); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
