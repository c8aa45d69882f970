"""Analytic companion of the twin: exact Erlang-A (M/M/c+M), Erlang C, staffing, and the MOL estimate.

Service level comes in two definitions: ``sl_offered(T)`` = P(answered and waited <= T) over all offered
calls, ``sl_answered(T)`` = P(waited <= T | answered). DESIGN.md's reference figures are ``sl_offered``:
with the offered load 98 Erlang (0.544/s is 98/180 rounded) it gives P(abandon) 0.0347, service level 0.913
(``sl_answered`` would be 0.946), ASA of answered 4.0 s, and 94 agents for 80/20 (``sl_answered``: 92);
at exactly 0.544/s the figures are 0.0344, 0.914 and 3.96 s, still 94 agents.

Method: birth-death stationary distribution (death rate c*mu + (n-c)*theta above c) in normalised form,
pi_n / pi_c. The lower part is an incomplete-gamma ratio; the queue part and the waiting-time distribution
use the integral representation (Palm; Mandelbaum & Zeltyn) with V, the offered wait (time to reach a
server), having density proportional to exp(g(v)), g(v) = (lam/theta)(1 - exp(-theta v)) - c mu v,
and an arrival being answered iff V < its own patience. Integrals are done with scipy's adaptive quadrature
on exp(g - max g), so nothing overflows for thousands of agents.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Literal, Sequence

import numpy as np
from scipy import integrate, optimize, special

_L = 60.0  # integrands are cut where they fall below exp(-_L) times their peak
_QUAD = dict(epsabs=0.0, epsrel=1e-11, limit=200)


def _log_s_low(c: int, a: float) -> float:
    """log of sum_{j<c} a^j/j! divided by a^c/c!, i.e. log(1/ErlangB(c, a) - 1)."""
    if c == 0:
        return -math.inf
    q = special.gammaincc(c, a)  # sum_{j<c} a^j/j! = e^a Q(c, a)
    if q > 1e-250:
        return a + math.log(q) + special.gammaln(c + 1) - c * math.log(a)
    log_r = 0.0  # log(1/B(n, a)) by the recursion 1/B(n) = 1 + n/a * 1/B(n-1)
    for n in range(1, c):
        x = math.log(n / a) + log_r
        log_r = x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))
    return math.log(c / a) + log_r


@dataclass(frozen=True)
class ErlangA:
    """Stationary M/M/c+M measures. Times in seconds; ``patience`` may be ``math.inf`` (Erlang C)."""

    lam: float
    handle: float
    patience: float
    agents: int
    p_wait: float
    p_abandon: float
    p_answered: float
    asa_answered: float  # mean wait of answered calls
    mean_wait_all: float  # mean time in queue over all offered calls (answered or abandoned)
    _mode: str = field(default="a", repr=False, compare=False)
    _aux: tuple = field(default=(), repr=False, compare=False)

    def sl_offered(self, T: float) -> float:
        """P(answered and waited <= T), over all offered calls."""
        if T < 0:
            return 0.0
        mode = self._mode
        if mode == "empty":
            return 1.0
        if mode in ("none", "unstable"):
            return 0.0
        if mode == "c":
            (delta,) = self._aux
            return 1.0 - self.p_wait * math.exp(-delta * T)
        return (1.0 - self.p_wait) + self._served_by(T)

    def sl_answered(self, T: float) -> float:
        """P(waited <= T | answered); NaN when no call is ever answered."""
        if self.p_answered <= 0.0:
            return math.nan
        return min(1.0, self.sl_offered(T) / self.p_answered)

    def _served_by(self, T: float) -> float:  # P(0 < V <= T, V < patience)
        k, shape, v_lo, v_hi2, points = self._aux
        upper = min(T, v_hi2)
        if upper <= v_lo:
            return 0.0
        theta = shape[2]
        return k * _quad(lambda v: math.exp(_h(v, *shape) - theta * v), v_lo, upper, points)


def _h(v: float, lam_p: float, cmu: float, theta: float, v_star: float) -> float:
    """g(v) - max g, written without cancellation: with d = v - v_star and lam_p = min(lam, c mu),
    (lam_p - c mu) d + (lam_p / theta) (1 - exp(-theta d) - theta d); both terms are <= 0."""
    d = v - v_star
    return (lam_p - cmu) * d + lam_p / theta * (-math.expm1(-theta * d) - theta * d)


def _quad(f: Callable[[float], float], lo: float, hi: float, points: Sequence[float]) -> float:
    if hi - lo <= 1e-12 * max(
        1.0, abs(hi)
    ):  # a sliver (e.g. T = 1e-305): quadrature only warns, the midpoint is exact enough
        return f((lo + hi) / 2) * (hi - lo)
    inner = [p for p in points if lo < p < hi] or None
    return integrate.quad(f, lo, hi, points=inner, **_QUAD)[0]


def erlang_a(lam: float, handle: float, patience: float, agents: int) -> ErlangA:
    """Exact stationary Erlang-A; ``patience=math.inf`` gives Erlang C (unstable when lam*handle >= agents)."""
    if lam < 0 or handle <= 0 or patience <= 0 or agents < 0:
        raise ValueError("need lam >= 0, handle > 0, patience > 0, agents >= 0")
    c = int(agents)
    mu = 1.0 / handle
    theta = 0.0 if math.isinf(patience) else 1.0 / patience
    args = (lam, handle, patience, c)
    if lam == 0:
        return ErlangA(*args, 0.0, 0.0, 1.0, 0.0, 0.0, "empty")
    if c == 0:
        if theta == 0:
            return ErlangA(*args, 1.0, 0.0, 0.0, math.nan, math.inf, "unstable")
        return ErlangA(*args, 1.0, 1.0, 0.0, math.nan, patience, "none")
    a = lam / mu
    log_s_low = _log_s_low(c, a)
    if theta == 0:
        delta = c * mu - lam
        if delta <= 0:
            return ErlangA(*args, 1.0, 0.0, 1.0, math.inf, math.inf, "unstable")
        # queue part relative to pi_c: c mu / (c mu - lam)
        p_wait = float(special.expit(math.log(c * mu / delta) - log_s_low))
        asa = p_wait / delta
        return ErlangA(*args, p_wait, 0.0, 1.0, asa, asa, "c", (delta,))

    cmu = c * mu
    if lam > cmu:  # offered-wait density exp(g) peaks inside: v_star, g(v_star) = gmax
        eps = (lam - cmu) / cmu
        v_star, gmax = math.log1p(eps) / theta, cmu / theta * (eps - math.log1p(eps))
    else:
        v_star, gmax = 0.0, 0.0
    shape = (min(lam, cmu), cmu, theta, v_star)

    def cut(v: float) -> float:
        return _h(v, *shape) + _L

    step = 1.0 / cmu
    while cut(v_star + step) > 0:
        step *= 2.0
    v_hi = optimize.brentq(cut, v_star + step / 2 if step > 1.0 / cmu else v_star, v_star + step, xtol=1e-12)
    v_lo = optimize.brentq(cut, 0.0, v_star, xtol=1e-12) if v_star > 0 and cut(0.0) < 0 else 0.0

    # integrands with the factor exp(-theta v) peak at v2 and are negligible beyond _L / theta
    v2 = max(0.0, math.log(lam / (cmu + theta)) / theta)
    v_hi2 = min(v_hi, _L / theta) if _L / theta > v_lo else v_hi
    points = (v_star, v2) + tuple(k / theta for k in (1, 4, 16, 64))  # peaks, and the patience scale

    def e(v: float) -> float:
        return math.exp(_h(v, *shape))

    i_all = _quad(e, v_lo, v_hi, points)  # offered-wait density mass (unnormalised)
    i_ab = _quad(lambda v: e(v) * -math.expm1(-theta * v), v_lo, v_hi, points)  # .. times P(patience < V)
    i_ans = _quad(lambda v: e(v) * math.exp(-theta * v), v_lo, v_hi2, points)  # .. times P(patience > V)
    i_w = _quad(lambda v: v * e(v) * math.exp(-theta * v), v_lo, v_hi2, points)

    # sum_{n>=c} pi_n / pi_c = c mu exp(gmax) i_all; P(V in dv) is proportional to exp(g(v)) dv
    p_wait = float(special.expit(math.log(cmu) + gmax + math.log(i_all) - log_s_low))
    k = p_wait / i_all
    p_abandon = k * i_ab
    p_answered = (1.0 - p_wait) + k * i_ans
    asa = k * i_w / p_answered if p_answered > 0 else math.nan
    aux = (k, shape, v_lo, v_hi2, points)
    # by Little's law and exponential patience: abandonment rate theta * E[queue] = lam * p_abandon
    return ErlangA(*args, p_wait, p_abandon, p_answered, asa, p_abandon * patience, "a", aux)


@dataclass(frozen=True)
class ErlangC:
    """Stationary M/M/c (no abandonment). ``asa`` is the mean wait of all calls (all are answered)."""

    lam: float
    handle: float
    agents: int
    p_wait: float
    asa: float

    def service_level(self, T: float) -> float:
        """P(wait <= T) = 1 - C exp(-(c mu - lam) T); 0 when unstable."""
        if T < 0:
            return 0.0
        delta = self.agents / self.handle - self.lam
        if delta <= 0:
            return 0.0
        return 1.0 - self.p_wait * math.exp(-delta * T)

    sl_offered = service_level
    sl_answered = service_level


def erlang_c(lam: float, handle: float, agents: int) -> ErlangC:
    """Erlang C closed forms: C = P(wait), ASA = C / (c mu - lam)."""
    r = erlang_a(lam, handle, math.inf, agents)
    return ErlangC(lam, handle, int(agents), r.p_wait, r.asa_answered)


def agents_required(
    lam: float,
    handle: float,
    patience: float,
    target_sl: float,
    target_T: float,
    max_abandon: float | None = None,
    definition: Literal["offered", "answered"] = "offered",
    max_agents: int = 100_000,
) -> int:
    """Smallest number of agents (>= 1) whose Erlang-A service level at ``target_T`` is at least
    ``target_sl`` (in the given definition) and, if given, whose P(abandon) is at most ``max_abandon``."""
    if definition not in ("offered", "answered"):
        raise ValueError("definition must be 'offered' or 'answered'")

    def meets(c: int) -> bool:
        r = erlang_a(lam, handle, patience, c)
        sl = r.sl_offered(target_T) if definition == "offered" else r.sl_answered(target_T)
        return sl >= target_sl and (max_abandon is None or r.p_abandon <= max_abandon)

    lo, hi = 0, max(1, math.ceil(lam * handle))  # lo fails (or is 0), hi is a candidate
    while not meets(hi):
        lo, hi = hi, 2 * hi
        if hi > max_agents:
            raise ValueError(f"targets not met with up to {max_agents} agents")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if meets(mid) else (mid, hi)
    while hi > 1 and meets(hi - 1):  # guard against any non-monotonicity near the answer
        hi -= 1
    return hi


# ---------------------------------------------------------------- modified offered load (time-varying)

Rates = Sequence[tuple[float, float, float]]


def arrival_rate(rates: Rates, t: np.ndarray | float) -> np.ndarray:
    """lam(t) of a piecewise-constant rate given as (start_s, end_s, rate_per_s) pieces (overlaps add)."""
    t = np.asarray(t, dtype=float)
    out = np.zeros_like(t)
    for s, e, r in rates:
        out += np.where((t >= s) & (t < e), r, 0.0)
    return out


def expected_arrivals(rates: Rates, t0: float, t1: float) -> float:
    """Integral of lam over [t0, t1]."""
    return float(sum(r * max(0.0, min(t1, e) - max(t0, s)) for s, e, r in rates))


def modified_offered_load(rates: Rates, handle: float, t: np.ndarray | float) -> np.ndarray:
    """m(t) = integral of lam(u) P(S > t - u) du with exponential S of mean ``handle`` (zero load before
    the first piece: prepend a long piece to start in steady state)."""
    t = np.asarray(t, dtype=float)
    out = np.zeros_like(t)
    for s, e, r in rates:
        a = np.minimum(t, e)
        inside = a > s
        gap = np.where(inside, t - a, 0.0)
        span = np.where(inside, a - s, 0.0)
        out += np.where(inside, r * handle * np.exp(-gap / handle) * -np.expm1(-span / handle), 0.0)
    return out


@dataclass(frozen=True)
class MolInterval:
    """MOL estimate for one reporting interval [start, end)."""

    start: float
    end: float
    arrivals: float  # expected offered calls
    agents: float  # mean staffed agents over the interval
    p_abandon: float
    sl_offered: float
    sl_answered: float
    asa_answered: float


Staffing = Callable[[float], int] | Sequence[int] | Sequence[tuple[float, float, int]]


def _staffing_fn(staffing: Staffing, start: float, interval: float) -> Callable[[float], int]:
    if callable(staffing):
        return staffing
    items = list(staffing)
    if items and isinstance(items[0], (tuple, list)):

        def pieces(t: float) -> int:
            return int(sum(n for s, e, n in items if s <= t < e))

        return pieces

    def per_interval(t: float) -> int:
        i = int((t - start) // interval)
        return int(items[i]) if 0 <= i < len(items) else 0

    return per_interval


def mol_estimate(
    rates: Rates,
    handle: float,
    patience: float,
    staffing: Staffing,
    target_T: float = 20.0,
    interval: float = 900.0,
    start: float | None = None,
    end: float | None = None,
    samples: int = 15,
) -> list[MolInterval]:
    """Per reporting interval, Erlang-A at the modified offered load: effective arrival rate m(t)/handle and
    the agents staffed at t, sampled at ``samples`` midpoints per interval. P(abandon) and sl_offered are
    averaged with the offered calls of each sub-step as weights; sl_answered and ASA with answered calls.

    ``staffing``: a function t -> agents, a list of agents per reporting interval (from ``start``), or
    (start_s, end_s, agents) pieces."""
    start = min(s for s, _, _ in rates) if start is None else start
    end = max(e for _, e, _ in rates) if end is None else end
    agents_at = _staffing_fn(staffing, start, interval)
    cache: dict[tuple[float, int], tuple[float, float, float, float, float]] = {}

    def measures(lam_eff: float, c: int) -> tuple[float, float, float, float, float]:
        key = (lam_eff, c)
        if key not in cache:
            r = erlang_a(lam_eff, handle, patience, c)
            cache[key] = (r.p_abandon, r.p_answered, r.sl_offered(target_T), r.sl_answered(target_T), r.asa_answered)
        return cache[key]

    out: list[MolInterval] = []
    n_int = max(0, math.ceil((end - start) / interval - 1e-9))
    for i in range(n_int):
        t0, t1 = start + i * interval, min(start + (i + 1) * interval, end)
        edges = np.linspace(t0, t1, samples + 1)
        mids = (edges[:-1] + edges[1:]) / 2
        lam_eff = modified_offered_load(rates, handle, mids) / handle
        w = np.array([expected_arrivals(rates, u0, u1) for u0, u1 in zip(edges[:-1], edges[1:])])
        cs = [agents_at(float(t)) for t in mids]
        m = np.array([measures(float(x), c) for x, c in zip(lam_eff, cs)])
        wa = w * m[:, 1]
        if w.sum() > 0:
            p_ab, slo = (w @ m[:, 0]) / w.sum(), (w @ m[:, 2]) / w.sum()
        else:
            p_ab = slo = math.nan
        if wa.sum() > 0:
            ok = wa > 0
            sla = (wa[ok] @ m[ok, 3]) / wa[ok].sum()
            asa = (wa[ok] @ m[ok, 4]) / wa[ok].sum()
        else:
            sla = asa = math.nan
        out.append(
            MolInterval(t0, t1, float(w.sum()), float(np.mean(cs)), float(p_ab), float(slo), float(sla), float(asa))
        )
    return out
