"""The staffing optimiser: the fewest agents per interval and skill group that meet the scenario's targets.

1. First guess per group, from its own queues' demand: the exact transient chain (``twin/transient.py``),
   interval by interval with the state carried over, each interval given the fewest agents whose service
   level and abandon rate meet the targets. MOL / Erlang-A is shown beside it.
2. The simulation decides. A candidate staffing is run for replications 0, 1, ... with the same seeds as
   every other candidate (common random numbers: the same callers, patience and handle times), all as
   Dask tasks (``twin/sweep.py``). An interval *meets* the targets when the 95% CI of its service level lies
   above the target and that of its abandon rate below the maximum. The stopping rule: while a candidate's
   means meet the targets but a CI still straddles one, add a batch of replications, up to the maximum.
3. Search: raise the intervals that miss until all meet; then a pattern search lowers every (group,
   interval) by a step (a tenth of its agents, halved down to one when the lower staffing misses) and
   evaluates all these neighbours at once; it ends when no single agent can be taken away anywhere, which
   is the certificate the plan prints: one agent fewer in any interval misses the targets.

Feldman, Mandelbaum, Massey and Whitt's iterative staffing algorithm (ISA; Management Science 54(2), 2008)
is the published reference, and the planner's other method (``twin/isa.py``, ``hotline plan --method isa``):
it iterates staffing from the simulated distribution of the number in system to a delay-probability
target. The search here works on the targets themselves (service level within T and abandon rate) and
certifies that one agent fewer anywhere misses them, which ISA does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from twin.analytic import agents_required, modified_offered_load
from twin.build import demand, distribution
from twin.compare import pooled_queue
from twin.run import mean_ci
from twin.scenario import Scenario
from twin.sweep import Sweep, replication_kpis
from twin.transient import ChainState, transient_estimate

Staffing = tuple[tuple[int, ...], ...]  # per group (in the scenario's order), agents per interval


@dataclass(frozen=True)
class Settings:
    replications: int = 10  # first batch of every candidate
    batch: int = 10  # added while a CI straddles a target
    max_replications: int = 40
    level: float = 0.95
    max_rounds: int = 60


@dataclass(frozen=True)
class IntervalResult:
    start: float
    offered: float
    abandoned: float
    sl: tuple[float, float, float]  # mean, CI low, CI high
    abandon: tuple[float, float, float]
    meets: bool
    clear_miss: bool  # a mean on the wrong side of a target: more replications would not help


@dataclass(frozen=True)
class Evaluation:
    staffing: Staffing
    replications: int
    intervals: tuple[IntervalResult, ...]

    @property
    def meets(self) -> bool:
        return all(i.meets for i in self.intervals)

    def missing(self) -> list[int]:
        return [k for k, i in enumerate(self.intervals) if not i.meets]


@dataclass(frozen=True)
class Plan:
    scenario: Scenario  # with the planned staffing
    staffing: Staffing
    evaluation: Evaluation
    first_guess: Staffing
    mol_guess: Staffing
    neighbours: dict[tuple[int, int], Evaluation]  # (group, interval) -> the staffing with one agent fewer
    candidates: int  # staffings simulated
    replications_run: int
    notes: list[str] = field(default_factory=list)
    method: str = "search"  # or "isa" (twin/isa.py)
    iterations: tuple = ()  # the ISA's iterations (twin.isa.Iteration), empty for the search

    def agent_hours(self, staffing: Staffing | None = None) -> float:
        s = self.staffing if staffing is None else staffing
        return sum(sum(g) for g in s) * self.scenario.interval / 3600.0


def with_staffing(scenario: Scenario, staffing: Staffing, replications: int | None = None) -> Scenario:
    """The scenario with agents per interval for every group (shifts replaced; listed agents kept if enough)."""
    groups = []
    for group, counts in zip(scenario.groups, staffing):
        keep = group.agents is not None and len(group.agents) >= max(counts, default=0)
        agents = group.agents if keep else None
        if max(counts, default=0) == 0 and agents is None:
            agents = (f"{group.name}-001",)  # never on duty, but its skills stay (overflow targets)
        groups.append(
            group.model_copy(update={"staffing": tuple(int(c) for c in counts), "shifts": None, "agents": agents})
        )
    update: dict = {"groups": tuple(groups)}
    if replications is not None:
        update["replications"] = replications
    return scenario.model_copy(update=update)


def queue_groups(scenario: Scenario) -> dict[int, list[str]]:
    """Group index -> the hotlines whose queue it serves first (highest skill level; first listed on a tie)."""
    out: dict[int, list[str]] = {}
    for hotline in scenario.hotlines:
        levels = [(g.skills.get(hotline.queue, 0), -i) for i, g in enumerate(scenario.groups)]
        best = max(levels)
        if best[0] > 0:
            out.setdefault(-best[1], []).append(hotline.number)
    return out


def _group_scenario(scenario: Scenario, numbers: list[str]) -> Scenario:
    hotlines = tuple(h for h in scenario.hotlines if h.number in numbers)
    return scenario.model_copy(
        update={
            "hotlines": hotlines,
            "airings": tuple(a for a in scenario.airings if a.hotline in numbers),
            "baseline": {k: v for k, v in scenario.baseline.items() if k in numbers},
        }
    )


def _fewest(meets: Callable[[int], bool], hi: int) -> int:
    lo = -1  # lo misses (or is -1), hi meets
    while not meets(hi):
        lo, hi = hi, max(1, 2 * hi)
        if hi > 50_000:
            raise ValueError("the targets cannot be met with up to 50,000 agents in an interval")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if meets(mid) else (mid, hi)
    return hi


def transient_guess(scenario: Scenario) -> Staffing:
    """Per group: interval by interval, the fewest agents the transient chain says meet the targets."""
    t = scenario.targets
    out = [[0] * scenario.n_intervals for _ in scenario.groups]
    for g, numbers in queue_groups(scenario).items():
        queue = pooled_queue(_group_scenario(scenario, numbers), staffing=(0,) * scenario.n_intervals)
        per = int(round(scenario.interval / queue.bin_s))
        state: ChainState | None = None
        for i in range(scenario.n_intervals):
            rates = queue.rate_bins[i * per : (i + 1) * per]

            def solve(s: int, rates: np.ndarray = rates, state: ChainState | None = state):
                return transient_estimate(
                    rates, queue.bin_s, queue.handle, queue.patience, [s], scenario.interval, t.within, state=state
                )

            def meets(s: int) -> bool:
                row = solve(s)[0][0]
                return math.isnan(row.p_abandon) or (
                    row.p_abandon <= t.max_abandon_rate and row.sl_offered >= t.service_level
                )

            load = float(rates.mean()) * queue.handle if len(rates) else 0.0
            s = _fewest(meets, max(1, math.ceil(load))) if rates.sum() > 0 else 0
            out[g][i] = s
            state = solve(s)[1]
    return tuple(tuple(g) for g in out)


def mol_guess(scenario: Scenario) -> Staffing:
    """Per group and interval: Erlang-A at the peak modified offered load within the interval."""
    t = scenario.targets
    out = [[0] * scenario.n_intervals for _ in scenario.groups]
    handle = distribution(scenario.calls.handle).mean + scenario.policy.wrapup
    patience = distribution(scenario.calls.patience).mean
    for g, numbers in queue_groups(scenario).items():
        rates = [r for n, r in demand(scenario).items() if n in numbers]
        pieces = [(i * r.bin_s, (i + 1) * r.bin_s, float(x)) for r in rates for i, x in enumerate(r.rates)]
        for i in range(scenario.n_intervals):
            mids = np.linspace(i * scenario.interval, (i + 1) * scenario.interval, 31)[1:] - scenario.interval / 60
            lam = float(modified_offered_load(pieces, handle, mids).max()) / handle
            out[g][i] = (
                agents_required(lam, handle, patience, t.service_level, t.within, t.max_abandon_rate)
                if lam > 1e-9
                else 0
            )
    return tuple(tuple(g) for g in out)


class Evaluator:
    """Simulates candidate staffings on a sweep with common random numbers; remembers every replication."""

    def __init__(
        self,
        scenario: Scenario,
        sweep: Sweep,
        settings: Settings,
        seed: int | None = None,
        on_task: Callable[[], None] | None = None,
    ) -> None:
        self.scenario, self.sweep, self.settings, self.seed, self.on_task = scenario, sweep, settings, seed, on_task
        self._kpis: dict[tuple[Staffing, int], pd.DataFrame] = {}
        self._arrays: dict[tuple[Staffing, int], np.ndarray] = {}
        self.candidates: set[Staffing] = set()

    @property
    def replications_run(self) -> int:
        return len(self._kpis)

    def evaluate(self, staffings: list[Staffing]) -> dict[Staffing, Evaluation]:
        """Every candidate, replications added by the stopping rule; the tasks of all candidates at once."""
        s = self.settings
        want = {c: s.replications for c in dict.fromkeys(staffings)}
        while True:
            jobs = [(c, i) for c, n in want.items() for i in range(n) if (c, i) not in self._kpis]
            scenarios = {c: with_staffing(self.scenario, c, s.max_replications) for c in {c for c, _ in jobs}}
            results = self.sweep.run(replication_kpis, [(scenarios[c], i, self.seed) for c, i in jobs], self.on_task)
            self._kpis.update(zip(jobs, results))
            self._arrays.update((job, self._per_interval(kpis)) for job, kpis in zip(jobs, results))
            self.candidates.update(want)
            verdicts = {c: self._verdict(c, n) for c, n in want.items()}
            more = [c for c, v in verdicts.items() if self._undecided(v) and want[c] < s.max_replications]
            if not more:
                return verdicts
            for c in more:
                want[c] = min(s.max_replications, want[c] + s.batch)

    @staticmethod
    def _undecided(e: Evaluation) -> bool:
        return not e.meets and not any(i.clear_miss for i in e.intervals)

    def _per_interval(self, kpis: pd.DataFrame) -> np.ndarray:
        """A replication's offered, abandoned, service level and abandon rate per interval (NaN: no row)."""
        sc = self.scenario
        k = np.round((kpis["interval_start"].to_numpy(dtype="float64") - sc.epoch) / sc.interval).astype("int64")
        inside = (k >= 0) & (k < sc.n_intervals) & (kpis["interval_start"].to_numpy() == sc.epoch + k * sc.interval)
        out = np.full((4, sc.n_intervals), np.nan)
        out[:2] = 0.0
        for row, column in enumerate(("offered", "abandoned", "sl_offered", "abandon_rate")):
            out[row, k[inside]] = kpis[column].to_numpy(dtype="float64")[inside]
        return out

    def _verdict(self, staffing: Staffing, n: int) -> Evaluation:
        t, sc = self.scenario.targets, self.scenario
        per_rep = np.stack([self._arrays[(staffing, i)] for i in range(n)])  # replication, KPI, interval
        rows = []
        for k in range(sc.n_intervals):
            start = sc.epoch + k * sc.interval
            offered = float(per_rep[:, 0, k].sum()) / n
            abandoned = float(per_rep[:, 1, k].sum()) / n
            if offered == 0:  # nobody called: nothing to miss
                rows.append(IntervalResult(start, 0.0, 0.0, (math.nan,) * 3, (math.nan,) * 3, True, False))
                continue
            sl = mean_ci(pd.Series(per_rep[:, 2, k]), self.settings.level)
            ab = mean_ci(pd.Series(per_rep[:, 3, k]), self.settings.level)
            meets = sl[1] >= t.service_level and ab[2] <= t.max_abandon_rate
            clear_miss = sl[0] < t.service_level or ab[0] > t.max_abandon_rate
            rows.append(IntervalResult(start, offered, abandoned, sl, ab, meets, clear_miss))
        return Evaluation(staffing, n, tuple(rows))


def _change(staffing: Staffing, g: int, i: int, delta: int) -> Staffing:
    rows = [list(r) for r in staffing]
    rows[g][i] = max(0, rows[g][i] + delta)
    return tuple(tuple(r) for r in rows)


def _slack(e: Evaluation, scenario: Scenario) -> float:
    t = scenario.targets
    return min(
        (
            min(i.sl[1] - t.service_level, t.max_abandon_rate - i.abandon[2])
            for i in e.intervals
            if not math.isnan(i.sl[1])
        ),
        default=0.0,
    )


def scenario_staffing(scenario: Scenario) -> Staffing:
    """Agents on duty per group and interval (at each interval's middle), however the scenario gives them."""
    from twin.build import shifts

    names = {g.name: set(scenario.agent_names(g)) for g in scenario.groups}
    on = shifts(scenario)
    mids = [(k + 0.5) * scenario.interval for k in range(scenario.n_intervals)]
    return tuple(
        tuple(sum(1 for s in on if s.agent_id in names[g.name] and s.start <= m < s.end) for m in mids)
        for g in scenario.groups
    )


def plan(
    scenario: Scenario,
    sweep: Sweep,
    settings: Settings = Settings(),
    seed: int | None = None,
    on_task: Callable[[], None] | None = None,
    on_round: Callable[[str], None] | None = None,
    start: Staffing | None = None,
) -> Plan:
    """The fewest agents per interval and group whose simulated KPIs meet the targets with 95% confidence.
    ``start``: search from this staffing in steps of one agent (re-checking a plan) instead of the first guess."""
    say = on_round or (lambda _: None)
    ev = Evaluator(scenario, sweep, settings, seed, on_task)
    first = transient_guess(scenario)
    mol = mol_guess(scenario)
    primary = sorted(queue_groups(scenario))
    if not primary:
        raise ValueError("no group serves any hotline's queue")
    say(f"first guess (transient chain): {first}")
    current = first if start is None else start
    # phase 1: raise the intervals that miss (every primary group by a twentieth, at least one agent)
    for _ in range(settings.max_rounds):
        e = ev.evaluate([current])[current]
        if e.meets:
            break
        for k in e.missing():
            for g in primary:
                current = _change(current, g, k, max(1, current[g][k] // 20))
        say(f"raised intervals {e.missing()}: {current}")
    else:
        raise ValueError(f"the targets are still missed after {settings.max_rounds} rounds of raising staffing")
    best = e
    # phase 2: pattern search downwards, all neighbours of a round evaluated together
    steps = {
        (g, k): 1 if start is not None else max(1, current[g][k] // 10)
        for g in range(len(current))
        for k in range(scenario.n_intervals)
    }
    for _ in range(settings.max_rounds):
        coords = [c for c in steps if current[c[0]][c[1]] > 0]
        trial = {c: _change(current, c[0], c[1], -steps[c]) for c in coords}
        results = ev.evaluate(list(trial.values()))
        feasible = [c for c in coords if results[trial[c]].meets]
        certified = all(steps[c] == 1 for c in coords if c not in feasible)
        for c in coords:
            if c not in feasible:
                steps[c] = max(1, steps[c] // 2)  # too far: a smaller step next round
        if not feasible:
            if certified:
                break  # no agent can be taken away anywhere: the certificate
            continue
        combined = current
        for c in feasible:
            combined = _change(combined, c[0], c[1], -steps[c])
        joint = ev.evaluate([combined])[combined] if len(feasible) > 1 else results[combined]
        if joint.meets:
            current, best = combined, joint
        else:
            c = max(feasible, key=lambda c: _slack(results[trial[c]], scenario))
            current, best = trial[c], results[trial[c]]
        say(f"lowered to {sum(map(sum, current))} agent-intervals: {current}")
    else:
        say(f"stopped after {settings.max_rounds} rounds before the search ended")
    neighbours = {
        c: ev.evaluate([_change(current, c[0], c[1], -1)])[_change(current, c[0], c[1], -1)]
        for c in steps
        if current[c[0]][c[1]] > 0
    }
    return Plan(
        with_staffing(scenario, current), current, best, first, mol, neighbours, len(ev.candidates), ev.replications_run
    )
