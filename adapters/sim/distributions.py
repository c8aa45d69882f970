"""Random durations for the twin, sampled in bulk from a numpy Generator (one per stream).

``draw`` takes one value as ``sample(rng, 1)[0]`` would (the same numbers from the stream), without the
array: the twin draws ring and callback times one at a time on its hot path."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Fixed:
    value: float

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, float(self.value))

    def draw(self, rng: np.random.Generator) -> float:
        return float(self.value)

    @property
    def mean(self) -> float:
        return float(self.value)


@dataclass(frozen=True)
class Exponential:
    mean: float

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean, n)

    def draw(self, rng: np.random.Generator) -> float:
        return rng.exponential(self.mean)


@dataclass(frozen=True)
class LogNormal:
    """Parameterised by the mean and standard deviation of the duration itself, as planners state them."""

    mean: float
    sd: float

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(*self._parameters(), n)

    def draw(self, rng: np.random.Generator) -> float:
        return rng.lognormal(*self._parameters())

    def _parameters(self) -> tuple[float, float]:
        """The underlying normal's mean and standard deviation."""
        sigma2 = np.log1p((self.sd / self.mean) ** 2)
        return np.log(self.mean) - sigma2 / 2, np.sqrt(sigma2)


@dataclass(frozen=True)
class Empirical:
    """Resamples observed durations (e.g. from imported call records)."""

    values: tuple[float, ...]

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), n)

    def draw(self, rng: np.random.Generator) -> float:
        return float(self.sample(rng, 1)[0])  # choice without a size may take other numbers from the stream

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))


Distribution = Fixed | Exponential | LogNormal | Empirical
