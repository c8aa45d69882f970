"""Non-homogeneous Poisson arrivals from a piecewise-constant rate function."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RateFunction:
    """Calls per second in consecutive bins of ``bin_s`` seconds starting at offset 0."""

    bin_s: float
    rates: np.ndarray

    @property
    def horizon(self) -> float:
        return self.bin_s * len(self.rates)

    def expected_calls(self) -> float:
        return float(self.rates.sum() * self.bin_s)

    def at(self, offset: float) -> float:
        index = int(offset // self.bin_s)
        return float(self.rates[index]) if 0 <= index < len(self.rates) else 0.0


def sample_arrivals(rate: RateFunction, rng: np.random.Generator) -> np.ndarray:
    """Arrival offsets (sorted): a Poisson count per bin, placed uniformly within the bin.

    For a rate that is constant within each bin this is exactly the non-homogeneous Poisson process.
    """
    counts = rng.poisson(rate.rates * rate.bin_s)
    starts = np.repeat(np.arange(len(counts)) * rate.bin_s, counts)
    offsets = starts + rng.uniform(0.0, rate.bin_s, counts.sum())
    return np.sort(offsets)
