"""The simulation-based iterative staffing algorithm (ISA) of Feldman, Mandelbaum, Massey and Whitt,
"Staffing of time-varying queues to achieve time-stable performance", Management Science 54(2), 2008.

Start with ample staffing s_0; simulate with s_i (replications with common random numbers); estimate the
distribution of the number in system N_i(t); set s_{i+1}(t) = the least c with P(N_i(t) >= c) <= alpha;
repeat until the staffing stops changing. Here, as in the planner, staffing is constant over an interval
and kept per skill group (the group that serves a queue first), so per group and interval:

* N is the number in the group's part of the system that each arriving call finds (busy agents of the
  group: talk, callback or wrap-up; plus calls waiting in the queues it serves first). By PASTA the share
  of the interval's arrivals that find N >= c is the interval's delay probability with c agents, which is
  the paper's target averaged over the interval as the service-level KPI averages it.
* The delay-probability target is alpha (default 1 - the service-level target: a call that waits not at
  all is answered within any T, so meeting it meets the service level). The abandonment target is the
  paper's variant for Mt/GI/st+M: with c agents, a call finding n >= c in system waits at position
  j = n - c + 1 and reaches an agent with probability prod_{k=1..j} (c mu + (k-1) theta) / (c mu + k theta)
  (service rate mu = 1 / (handle + wrap-up), abandonment rate theta = 1 / mean patience); the least c whose
  mean abandonment probability over the interval's arrivals is <= the maximum abandon rate.
* It stops when s_{i+1} = s_i, or when the change is at most one agent everywhere in two iterations in a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from core.log import NONE, TERMINAL_VERBS, Verb
from reports.timeline import CALLBACK, TALK, WRAPUP, agent_timeline
from twin.build import distribution
from twin.optimise import Evaluator, Plan, Settings, Staffing, mol_guess, queue_groups, transient_guess, with_staffing
from twin.run import run_replication
from twin.scenario import Scenario
from twin.sweep import Sweep

Seen = list[list[np.ndarray]]  # per group, per interval: arrivals that found n in system, n = 0, 1, ...


@dataclass(frozen=True)
class IsaSettings:
    replications: int = 20  # per iteration, the same seeds in every iteration
    max_iterations: int = 15
    delay_probability: float | None = None  # alpha; None: 1 - the service-level target


@dataclass(frozen=True)
class Iteration:
    staffing: Staffing  # the staffing simulated
    next_staffing: Staffing  # what its N says
    change: int  # max |next - staffing| over groups and intervals


def abandon_probability(n: np.ndarray, c: int, mu: float, theta: float) -> np.ndarray:
    """Probability that a call finding ``n`` in system with ``c`` agents abandons (Markovian service and
    patience): it waits at position n - c + 1 and moves up at c mu + (k - 1) theta, abandons at theta."""
    n = np.asarray(n, dtype="int64")
    position = np.maximum(n - c + 1, 0)
    if theta <= 0:
        return np.zeros(len(n))
    k = np.arange(1, int(position.max(initial=0)) + 1, dtype="float64")
    served = np.concatenate([[1.0], np.cumprod((c * mu + (k - 1) * theta) / (c * mu + k * theta))])
    return 1.0 - served[position]


def least_agents(
    seen: np.ndarray,
    alpha: float,
    *,
    max_abandon: float | None = None,
    mu: float = 0.0,
    theta: float = 0.0,
) -> int:
    """The ISA's step for one interval: from ``seen[n]`` = arrivals that found n in system, the least c with
    P(N >= c) <= alpha, and (with ``max_abandon``) mean abandonment probability <= max_abandon."""
    seen = np.asarray(seen, dtype="float64")
    total = seen.sum()
    if total <= 0:
        return 0
    tail = np.cumsum(seen[::-1])[::-1] / total  # tail[c] = P(N >= c), c = 0 .. len - 1
    below = np.flatnonzero(tail <= alpha)
    c = int(below[0]) if below.size else len(seen)
    if max_abandon is not None:
        n = np.arange(len(seen))
        while c < len(seen) and float(seen @ abandon_probability(n, c, mu, theta)) / total > max_abandon:
            c += 1
    return c


def next_staffing(
    seen: Seen, alpha: float, *, max_abandon: float | None = None, mu: float = 0.0, theta: float = 0.0
) -> Staffing:
    return tuple(
        tuple(least_agents(h, alpha, max_abandon=max_abandon, mu=mu, theta=theta) for h in group) for group in seen
    )


def number_found(log, scenario: Scenario, group_of_queue: dict[str, int]) -> Seen:
    """Per group and interval, a histogram of the number in system each arriving call found (busy agents of
    the group and calls waiting in its queues, the arriving call not counted); arrivals in the warm-up and
    past the horizon are left out, but the calls they leave behind are counted."""
    n_groups, n_intervals = len(scenario.groups), scenario.n_intervals
    out: Seen = [[np.zeros(1, dtype="int64") for _ in range(n_intervals)] for _ in range(n_groups)]
    if log.empty:
        return out
    verb = log["verb"].to_numpy(dtype=object)
    call = log["call_id"].to_numpy(dtype=object)
    time = log["time"].to_numpy(dtype="float64")
    queue = log["queue"].to_numpy(dtype=object)
    enter = np.flatnonzero((verb == Verb.ENTERQUEUE) & (call != NONE))
    first_enter = {}
    for row in enter[::-1]:
        first_enter[call[row]] = row
    left: dict[str, float] = {}  # call -> when it stopped waiting (answered or gone)
    leaving = np.isin(verb, [Verb.CONNECT, *TERMINAL_VERBS]) & (call != NONE)
    for row in np.flatnonzero(leaving)[::-1]:
        left[call[row]] = time[row]
    rows = np.fromiter(first_enter.values(), dtype="int64", count=len(first_enter))
    arrived = time[rows]
    gone = np.array([left.get(call[r], np.inf) for r in rows])
    groups = np.array([group_of_queue.get(queue[r], -1) for r in rows])

    timeline = agent_timeline(log)
    busy = timeline.loc[timeline["state"].isin([TALK, CALLBACK, WRAPUP])]
    group_of_agent = {name: g for g, spec in enumerate(scenario.groups) for name in scenario.agent_names(spec)}
    busy_group = busy["agent"].map(group_of_agent).fillna(-1).to_numpy(dtype="int64")
    cut = scenario.epoch + scenario.warmup
    for g in range(n_groups):
        mine = groups == g
        starts = np.concatenate([arrived[mine], busy["start"].to_numpy()[busy_group == g]])
        ends = np.concatenate([gone[mine], busy["end"].to_numpy()[busy_group == g]])
        lasting = ends > starts  # in system over a stretch of time (an at-once answer never is)
        starts, ends = np.sort(starts[lasting]), np.sort(ends[lasting])
        t = arrived[mine & (arrived >= cut)]
        found = np.searchsorted(starts, t, side="left") - np.searchsorted(ends, t, side="right")
        k = np.floor((t - scenario.epoch) / scenario.interval).astype("int64")
        inside = (k >= 0) & (k < n_intervals)
        for i in np.unique(k[inside]):
            out[g][i] = np.bincount(found[inside & (k == i)])
    return out


def isa_replication(scenario: Scenario, index: int, seed: int | None, group_of_queue: dict[str, int]) -> Seen:
    """One replication's histograms of the number found by arrivals (the task an ISA iteration runs)."""
    return number_found(run_replication(scenario, index, seed).log, scenario, group_of_queue)


def pooled(runs: Sequence[Seen]) -> Seen:
    """The histograms of all replications added up."""
    out: Seen = []
    for g in range(len(runs[0])):
        row = []
        for i in range(len(runs[0][g])):
            size = max(len(r[g][i]) for r in runs)
            row.append(sum((np.pad(r[g][i], (0, size - len(r[g][i]))) for r in runs), np.zeros(size, dtype="int64")))
        out.append(row)
    return out


def iterate(
    scenario: Scenario,
    simulate: Callable[[Staffing], Sequence[Seen]],
    start: Staffing,
    primary: Sequence[int],
    settings: IsaSettings,
    on_iteration: Callable[[Iteration], None] | None = None,
) -> list[Iteration]:
    """The ISA's iterations from ``start`` until the staffing stops changing (or nearly, twice); ``simulate``
    runs the replications of a staffing. Groups not in ``primary`` serve no queue first and get no agents."""
    t = scenario.targets
    alpha = 1.0 - t.service_level if settings.delay_probability is None else settings.delay_probability
    mu = 1.0 / (distribution(scenario.calls.handle).mean + scenario.policy.wrapup)
    theta = 1.0 / distribution(scenario.calls.patience).mean
    current, done, small = start, [], 0
    for _ in range(settings.max_iterations):
        proposed = next_staffing(pooled(simulate(current)), alpha, max_abandon=t.max_abandon_rate, mu=mu, theta=theta)
        proposed = tuple(proposed[g] if g in primary else (0,) * scenario.n_intervals for g in range(len(current)))
        change = max((abs(a - b) for x, y in zip(proposed, current) for a, b in zip(x, y)), default=0)
        done.append(Iteration(current, proposed, change))
        if on_iteration:
            on_iteration(done[-1])
        small = small + 1 if change <= 1 else 0
        current = proposed
        if change == 0 or small >= 2:
            break
    return done


def ample(guess: Staffing, primary: Sequence[int]) -> Staffing:
    """The ISA's start: so many agents that hardly anyone waits (twice the first guess and ten more)."""
    return tuple(tuple(2 * n + 10 if g in primary else 0 for n in row) for g, row in enumerate(guess))


def plan_isa(
    scenario: Scenario,
    sweep: Sweep,
    settings: Settings = Settings(),
    isa: IsaSettings = IsaSettings(),
    seed: int | None = None,
    on_task: Callable[[], None] | None = None,
    on_iteration: Callable[[Iteration], None] | None = None,
) -> Plan:
    """The ISA's staffing, its KPIs evaluated as the search evaluates a candidate (same seeds, same CIs), in
    the search's result format (no one-fewer certificate: ``neighbours`` is empty)."""
    groups = queue_groups(scenario)
    if not groups:
        raise ValueError("no group serves any hotline's queue")
    queues = {h.number: h.queue for h in scenario.hotlines}
    group_of_queue = {queues[number]: g for g, numbers in groups.items() for number in numbers}
    primary = sorted(groups)
    first, mol = transient_guess(scenario), mol_guess(scenario)
    simulated: set[Staffing] = set()

    def simulate(staffing: Staffing) -> list[Seen]:
        simulated.add(staffing)
        run = with_staffing(scenario, staffing, isa.replications)
        jobs = [(run, i, seed, group_of_queue) for i in range(isa.replications)]
        return sweep.run(isa_replication, jobs, on_task)

    iterations = iterate(scenario, simulate, ample(first, primary), primary, isa, on_iteration)
    final = iterations[-1].next_staffing
    ev = Evaluator(scenario, sweep, settings, seed, on_task)
    evaluation = ev.evaluate([final])[final]
    notes = []
    if iterations[-1].change > 1:
        notes.append(f"the ISA had not converged after {len(iterations)} iterations")
    if not evaluation.meets:
        notes.append(
            f"the ISA's staffing does not meet the targets with 95% confidence in intervals {evaluation.missing()}"
        )
    return Plan(
        with_staffing(scenario, final),
        final,
        evaluation,
        first,
        mol,
        {},
        len(simulated | ev.candidates),
        len(iterations) * isa.replications + ev.replications_run,
        notes,
        method="isa",
        iterations=tuple(iterations),
    )
