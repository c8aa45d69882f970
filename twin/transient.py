"""The exact time-varying estimate of a Markovian surge (Mt/M/st+M), beside MOL.

The number of calls in the system is a birth-death chain: births at the arrival rate lam(t) (piecewise
constant in the demand's bins), deaths at min(n, s) mu + (n - s)+ theta with s(t) agents logged in.
Its distribution p(t) follows the forward (Chapman-Kolmogorov) equations dp/dt = p Q(t), solved exactly by
uniformization bin by bin (Q is constant within a bin), the state carried from one bin and one interval to
the next; the chain is truncated where its mass is below 1e-12.

What an arrival at t experiences follows from the state it sees (PASTA): with j = n - s calls ahead it waits
for j + 1 service completions among s agents while those ahead may abandon, and abandons itself at rate
theta; the probabilities of being answered, and answered within T, are those of a small pure-death chain,
for the staffing at its arrival. Agents whose shift ends while they talk finish the call first (as in the
twin): their number decays at rate mu and they take no new call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import special

_TAIL = 1e-13  # Poisson weights below this are dropped


def _share(part: float, offered: float) -> float:
    """A probability over the offered calls, in [0, 1]: with next to no arrivals (1e-46) the ratio of two sums of
    floats can stray by an ulp past 1 (NaN when none are offered)."""
    return min(1.0, max(0.0, part / offered)) if offered > 0 else math.nan


@dataclass(frozen=True)
class TransientInterval:
    """The forward-equation estimate for one reporting interval [start, end)."""

    start: float
    end: float
    arrivals: float  # expected offered calls
    agents: float  # agents logged in (mean over the interval)
    p_abandon: float  # abandoned / offered
    sl_offered: float  # answered within the target / offered
    mean_in_system: float  # at the interval's end


@dataclass(frozen=True)
class ChainState:
    """Where one interval leaves the chain: the distribution of calls in system and the busy agents whose
    shift has ended (they finish their call, then leave)."""

    p: np.ndarray
    leaving: float = 0.0
    agents: int | None = None  # logged in at the end (None: the start of the run)


def _poisson_weights(x: float) -> tuple[int, np.ndarray]:
    """Poisson(x) probabilities of 0..k_max (beyond them less than _TAIL), and the first k that matters."""
    spread = 10.0 * math.sqrt(x) + 20.0
    k = np.arange(int(x + spread) + 1)
    log_pmf = k * math.log(x) - x - special.gammaln(k + 1) if x > 0 else np.where(k == 0, 0.0, -np.inf)
    weights = np.exp(log_pmf)
    k_min = max(0, int(x - spread))
    return k_min, weights


def _uniformized(p: np.ndarray, births: np.ndarray, deaths: np.ndarray, h: float) -> tuple[np.ndarray, np.ndarray]:
    """p exp(Q h / 2) and p exp(Q h) for the tridiagonal generator with the given birth and death rates per
    state: one sequence of uniformized steps, weighted twice."""
    out_rate = births + deaths
    lam_u = float(out_rate.max()) * 1.0001 + 1e-12
    stay = 1.0 - out_rate / lam_u
    up, down = births[:-1] / lam_u, deaths[1:] / lam_u
    _, w_mid = _poisson_weights(lam_u * h / 2)
    k_min, w_end = _poisson_weights(lam_u * h)
    term = p.copy()
    mid, end = w_mid[0] * term, w_end[0] * term
    nxt = np.empty_like(p)
    for k in range(1, len(w_end)):
        np.multiply(term, stay, out=nxt)
        nxt[1:] += term[:-1] * up
        nxt[:-1] += term[1:] * down
        term, nxt = nxt, term
        if k < len(w_mid):
            mid += w_mid[k] * term
        if k >= k_min:
            end += w_end[k] * term
    return mid / mid.sum(), end / end.sum()


class ArrivalOutcomes:
    """For an arrival that finds n calls in the system with s agents: P(abandon) and P(answered within T)."""

    def __init__(self, states: int, handle: float, patience: float, target_T: float) -> None:
        self.states, self.mu, self.theta, self.T = states, 1.0 / handle, 1.0 / patience, target_T
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, s: int) -> tuple[np.ndarray, np.ndarray]:
        if s not in self._cache:
            self._cache[s] = self._compute(s)
        return self._cache[s]

    def _compute(self, s: int) -> tuple[np.ndarray, np.ndarray]:
        n = np.arange(self.states)
        abandon, within = np.zeros(self.states), np.ones(self.states)
        if s <= 0:
            return np.ones(self.states), np.zeros(self.states)
        ahead = n[s:] - s  # j calls ahead: j + 1 completions needed; phase i (i ahead) runs at r_i
        q = len(ahead)
        if q == 0:
            return abandon, within
        r = s * self.mu + np.arange(q) * self.theta
        answered = np.cumprod(r / (r + self.theta))  # P(answered | j ahead) = prod_{i<=j} r_i / (r_i + theta)
        abandon[s:] = 1.0 - answered
        # P(answered within T | j ahead): backward equation of the pure-death chain, u_{-1} = 1 (answered)
        u = np.zeros(q)
        rates = r + self.theta
        lam_u = float(rates.max()) * 1.0001
        _, weights = _poisson_weights(lam_u * self.T)
        k_max = len(weights) - 1
        stay, move = 1.0 - rates / lam_u, r / lam_u
        acc = weights[0] * u
        for k in range(1, k_max + 1):
            shifted = np.concatenate(([1.0], u[:-1]))
            u = stay * u + move * shifted
            acc = acc + weights[k] * u
        within[s:] = np.minimum(acc, answered)
        return abandon, within


def _answered_before_change(
    s: int, s_next: int, q: int, mu: float, theta: float, h: float, bins: int
) -> list[np.ndarray]:
    """P(answered | j = 0..q-1 calls ahead) at the last ``bins`` bin boundaries before the staffing changes
    from s to s_next (first: ``bins`` bins before the change, last: at it), by the backward equation of the
    tagged caller's pure-death chain. At the change, agents who log in take the first s_next - s calls."""
    j = np.arange(q)
    r_next = s_next * mu + j * theta
    after = np.concatenate(([1.0], np.cumprod(r_next / (r_next + theta)))) if s_next > 0 else np.zeros(q + 1)
    if s_next <= 0:
        after[0] = 1.0
    gain = max(0, s_next - s)
    u = np.where(j < gain, 1.0, after[np.clip(j - gain + 1, 0, q)])
    r = s * mu + j * theta
    rates = r + theta
    lam_u = float(rates.max()) * 1.0001
    _, weights = _poisson_weights(lam_u * h)
    stay, move = 1.0 - rates / lam_u, r / lam_u
    settled = np.cumprod(r / rates)  # as if the staffing never changed
    out = [u]
    shifted, term = np.empty(q), np.empty(q)
    for _ in range(bins):
        if np.abs(u - settled).max() < 1e-9:
            break  # the change no longer reaches callers who arrive this early
        acc = weights[0] * u
        term[:] = u
        for k in range(1, len(weights)):
            shifted[0] = 1.0
            shifted[1:] = term[:-1]
            term *= stay
            shifted *= move
            term += shifted
            acc += weights[k] * term
        u = acc
        out.append(u)
    return out[::-1]


def _states_needed(lam_max: float, agents_max: int, handle: float, patience: float) -> int:
    # a queue of lam / theta (all waiting, all abandoning) plus a wide margin for its spread
    load = lam_max * max(handle, patience)
    return int(agents_max + load + 10 * math.sqrt(load + 1) + 50)


def transient_estimate(
    rate_bins: Sequence[float] | np.ndarray,
    bin_s: float,
    handle: float,
    patience: float,
    staffing: Sequence[int],
    interval: float,
    target_T: float = 20.0,
    start: float = 0.0,
    state: ChainState | None = None,
    states: int | None = None,
    following: int | None = None,
) -> tuple[list[TransientInterval], ChainState]:
    """Per reporting interval of ``staffing`` (agents per interval), from ``state`` (empty by default);
    ``following``: the agents after the last interval (default: as many as in it), which calls still waiting
    at its end meet.

    ``rate_bins``: arrivals per second in consecutive bins of ``bin_s`` from the first interval's start
    (a bin must not straddle an interval boundary). Returns the intervals and the state after the last one."""
    rates = np.asarray(rate_bins, dtype=float)
    per_interval = interval / bin_s
    if abs(per_interval - round(per_interval)) > 1e-9:
        raise ValueError("the interval must be a whole number of rate bins")
    per_interval = int(round(per_interval))
    mu, theta = 1.0 / handle, 1.0 / patience
    n_states = states or _states_needed(float(rates.max(initial=0.0)), int(max(staffing, default=0)), handle, patience)
    if state is not None:  # the carried-over chain: as large as it was, or as this demand needs
        n_states = max(n_states, int(np.flatnonzero(state.p)[-1]) + 1) if states is None else n_states
        p = np.zeros(n_states)
        p[: min(n_states, len(state.p))] = state.p[:n_states]
    else:
        p = np.eye(1, n_states).ravel()
    leaving = state.leaving if state is not None else 0.0
    n = np.arange(n_states, dtype=float)
    outcomes = ArrivalOutcomes(n_states, handle, patience, target_T)
    births_all = np.ones(n_states)
    births_all[-1] = 0.0
    out: list[TransientInterval] = []
    prev_s = state.agents if state is not None else None
    for i, s in enumerate(staffing):
        s = int(s)
        if prev_s is not None and s < prev_s:  # shift ends: busy agents beyond s finish their call first
            busy = float(p @ np.minimum(n, prev_s + leaving))
            leaving = max(0.0, busy - s)
        abandon_n, within_n = outcomes(s)
        s_next = int(staffing[i + 1]) if i + 1 < len(staffing) else (s if following is None else int(following))
        first, last = i * per_interval, min((i + 1) * per_interval, len(rates))
        # callers who arrive shortly before the staffing changes wait into the next interval's agents
        window = min(last - first, int(math.ceil(10 * patience / bin_s))) if s_next != s and s > 0 else 0
        near_change = _answered_before_change(s, s_next, n_states - s, mu, theta, bin_s, window) if window else []
        window = max(0, len(near_change) - 1)
        arrivals = abandoned = in_target = 0.0
        for b in range(first, last):
            lam = rates[b]
            # agents finishing a last call: they serve only the calls they hold (the first `leaving`)
            in_service = np.minimum(n, s + leaving * math.exp(-mu * bin_s / 2))
            deaths = in_service * mu + np.maximum(n - in_service, 0.0) * theta
            seen_before, seen_mid = p, p
            if lam > 0 or leaving > 0 or p[0] < 1.0:
                # the chain's reach within the bin: where p has mass, plus what the bin's arrivals can add
                top = int(np.flatnonzero(p > _TAIL * 1e-3)[-1])
                hi = min(n_states, top + int(lam * bin_s + 10 * math.sqrt(lam * bin_s) + 10) + 1)
                births = lam * births_all[:hi]
                births[-1] = 0.0
                p, seen_mid = p.copy(), p.copy()
                seen_mid[:hi], p[:hi] = _uniformized(p[:hi], births, deaths[:hi], bin_s)
            # arrivals see the state over the bin: Simpson's rule on its start, middle and end
            seen = (seen_before + 4.0 * seen_mid + p) / 6.0
            if leaving > 0:  # the calls of agents who are leaving are not ahead of anyone: interpolate
                held = leaving * math.exp(-mu * bin_s / 2)
                k, f = int(held), held - int(held)
                seen = (1 - f) * np.concatenate((seen[k:], np.zeros(k))) + f * np.concatenate(
                    (seen[k + 1 :], np.zeros(k + 1))
                )
            calls = lam * bin_s
            arrivals += calls
            k = b - (last - window)
            if k >= 0:
                abandon_n = np.concatenate((np.zeros(s), 1.0 - 0.5 * (near_change[k] + near_change[k + 1])))
            abandoned += calls * float(seen @ abandon_n)
            in_target += calls * float(seen @ within_n)
            leaving *= math.exp(-mu * bin_s)
        t0 = start + i * interval
        out.append(
            TransientInterval(
                t0,
                t0 + interval,
                arrivals,
                float(s),
                _share(abandoned, arrivals),
                _share(in_target, arrivals),
                float(p @ n),
            )
        )
        prev_s = s
    if p[-1] > 1e-9:
        raise ValueError("the truncated chain lost mass at its top state; give more states")
    return out, ChainState(p, leaving, prev_s)
