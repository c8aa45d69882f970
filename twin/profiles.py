"""How viewers respond to an airing over time: the shape of the surge, per kind of broadcast.

Each profile is a density over seconds since the airing started (it integrates to 1); the airing's
expected number of calls scales it. Shapes follow DESIGN.md: a live home-shopping program has three
surges (about 5-6 minutes after the product is presented, about 20-22 minutes in, and the highest in the
final 15-minute countdown); a short spot peaks within minutes; a special sale is one long surge.
"""

from __future__ import annotations

import numpy as np

MIN = 60.0


def _gauss(t: np.ndarray, centre: float, sd: float) -> np.ndarray:
    return np.exp(-0.5 * ((t - centre) / sd) ** 2)


def _normalised(shape: np.ndarray, step: float) -> np.ndarray:
    total = shape.sum() * step
    return shape / total if total > 0 else shape


def live_density(t: np.ndarray, length: float, step: float) -> np.ndarray:
    first = _gauss(t, 5.5 * MIN, 1.5 * MIN)
    second = _gauss(t, 21 * MIN, 1.5 * MIN) if length >= 26 * MIN else 0 * t
    countdown_start = max(length - 15 * MIN, 0.0)
    countdown = np.where((t >= countdown_start) & (t < length), _gauss(t, length - 4 * MIN, 3 * MIN), 0)
    tail = np.where(t >= length, np.exp(-(t - length) / (2 * MIN)), 0)
    parts = [(0.18, first), (0.22, second), (0.50, countdown), (0.10, tail)]
    return _normalised(sum(w * _normalised(p, step) for w, p in parts if p.any()), step)


def spot_density(t: np.ndarray, length: float, step: float) -> np.ndarray:
    # gamma(2) response: peaks 90 s after the spot starts, most calls within ten minutes
    scale = 90.0 + length / 2
    return _normalised(np.where(t >= 0, t / scale * np.exp(-t / scale), 0), step)


def sale_density(t: np.ndarray, length: float, step: float) -> np.ndarray:
    ramp = np.clip(t / (2 * MIN), 0, 1)
    body = np.where((t >= 0) & (t < length), ramp, 0)
    tail = np.where(t >= length, np.exp(-(t - length) / (3 * MIN)), 0)
    return _normalised(0.9 * _normalised(body, step) + 0.1 * _normalised(tail, step), step)


DENSITIES = {"live": live_density, "spot": spot_density, "sale": sale_density}


def response_rate(
    kind: str, start: float, length: float, expected_calls: float, horizon: float, bin_s: float
) -> np.ndarray:
    """Calls per second in each bin of the horizon caused by one airing; response past the horizon is cut."""
    n_bins = int(np.ceil(horizon / bin_s))
    step = bin_s / 10  # sub-samples per bin, so short spikes are not missed
    since_start = np.arange(0.0, length + 3 * 3600, step) + step / 2
    calls = DENSITIES[kind](since_start, length, step) * step * expected_calls
    bins = ((start + since_start) // bin_s).astype(int)
    inside = bins < n_bins
    return np.bincount(bins[inside], weights=calls[inside], minlength=n_bins) / bin_s
