"""Trace-driven what-if: a recorded day's calls, run through the twin under another staffing or policy.

The trace is what the event log knows of each call of the day (``reports.call_lives.call_lives``): arrival,
queue, hotline, caller, outcome, wait, talk time, agent. The twin gets

* the **calls as they came**: arrival times, caller numbers and talk times as recorded (an abandoned call's
  talk time, needed only if a what-if answers it, is drawn from its queue's answered calls);
* **patience from the abandoned calls, censored for the others**: an abandoned caller's patience is their
  recorded wait; a caller who was answered (or left for the callback prompt) after waiting ``w`` only tells us
  that their patience exceeded ``w``, so it is drawn from the Kaplan-Meier estimate of the patience of that
  queue's callers, conditioned on exceeding ``w`` (beyond the estimate's last abandonment: never gives up);
* the **recorded agents' availability and pace**: each agent who answered calls that day is logged in
  (paused) all day, with the skills of the queues they served, and is granted one call at each moment they
  answered one (``take_one``: ready, paused again after the call taken; a grant that finds nobody waiting
  stays until a caller comes), and that call lasts as long as their recorded one did: the day's capacity,
  agent by agent, whichever caller they get (a call answered by an unnamed agent gets an agent of its own).
  A what-if's own agents talk for the callers' recorded talk times. (Tried and dropped: the talk time of the
  caller instead of the agent's pace -- fast agents fall behind, -1.4% answered; a higher skill level for an
  agent's main queue -- the counts stay, but fewer calls keep their own outcome: 91% instead of 95%);
* the **scenario's** hotlines, policy and groups: the policy replaces the day's, the groups' agents come on
  top of the recorded ones ("yesterday with 20 more agents"). The scenario's start and horizon are the day's.

The unchanged day (a scenario with the day's routing and no extra agents) gives back the recorded counts as
long as every grant finds a caller; which callers are served differs where the twin's first-come order is not
the day's (and censoring lets a caller served later than recorded give up). ``TraceResult`` says how close:
the counts, and the share of calls whose outcome is the recorded one.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

import numpy as np
import pandas as pd

from adapters.sim.model import AgentOrder, TracedCalls
from core.config import AgentProfile
from core.log import NONE
from inputs.problems import InputFileError, Problem
from reports.call_lives import call_lives
from reports.eventlog import records_to_frame
from reports.kpi import interval_kpis, summary_kpis
from twin.build import build_model, replication_seeds, sim_setup
from twin.run import Replication
from twin.scenario import Scenario
from twin.site import center_config, config_problems, validated
from twin.yamlfile import load_yaml

COUNTS = ("offered", "answered", "abandoned")
UNNAMED = NONE  # the agent of a call answered by nobody the log names


@dataclass(frozen=True)
class Trace:
    day: date
    start: float  # the day's first second, epoch
    end: float
    where: str  # what the trace was read from, for messages
    lives: pd.DataFrame  # one row per call of the day (call_lives), in arrival order
    log: pd.DataFrame  # the day's records

    @property
    def queues(self) -> list[str]:
        return sorted(set(self.lives["queue"]))


def day_bounds(day: date, zone: tzinfo) -> tuple[float, float]:
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    return start.timestamp(), (start + timedelta(days=1)).timestamp()


def trace_of_day(log: pd.DataFrame, day: date, zone: tzinfo, where: str) -> Trace:
    """The calls that arrived on ``day`` (in ``zone``) with all their records; refused if there are none."""
    start, end = day_bounds(day, zone)
    lives = call_lives(log)
    lives = lives[(lives["arrived"] >= start) & (lives["arrived"] < end)]
    if lives.empty:
        raise InputFileError(
            [Problem(where, None, "day", f"no calls arrived on {day.isoformat()} ({zone}); nothing to replay")]
        )
    lives = lives.sort_values(["arrived", "call_id"], kind="stable").reset_index(drop=True)
    day_log = log[log["call_id"].isin(set(lives["call_id"]))]
    return Trace(day, start, end, where, lives, day_log)


def check_queues(trace: Trace, scenario: Scenario, scenario_file: str) -> dict[str, str]:
    """queue -> the scenario's hotline number for it; every queue of the trace must be one of the scenario's."""
    numbers: dict[str, str] = {}
    for hotline in scenario.hotlines:
        numbers.setdefault(hotline.queue, hotline.number)
    unknown = [q for q in trace.queues if q not in numbers]
    if unknown:
        counts = trace.lives["queue"].value_counts()
        raise InputFileError(
            [
                Problem(
                    scenario_file,
                    None,
                    "hotlines",
                    f"the trace of {trace.day} ({trace.where}) has calls in queue {q!r} "
                    f"({counts[q]} calls), which no hotline of the scenario serves",
                )
                for q in unknown
            ]
        )
    return numbers


def kaplan_meier(waits: np.ndarray, gave_up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Event times and the survival just after each (patience > t), from right-censored waits."""
    times = np.unique(waits[gave_up])
    if len(times) == 0:
        return times, times
    at_risk = np.array([(waits >= t).sum() for t in times], dtype=float)
    events = np.array([((waits == t) & gave_up).sum() for t in times], dtype=float)
    return times, np.cumprod(1.0 - events / at_risk)


def censored_patience(censor: float, times: np.ndarray, survival: np.ndarray, u: float) -> float:
    """A patience drawn from the estimate conditioned on exceeding ``censor`` (``u`` uniform in (0, 1))."""
    before = np.searchsorted(times, censor, side="right")
    s_censor = 1.0 if before == 0 else float(survival[before - 1])
    if s_censor <= 0:
        return censor + 1.0  # the estimate ends here; this caller waited at least this long
    target = u * s_censor
    later = np.flatnonzero(survival[before:] <= target)
    return math.inf if len(later) == 0 else float(times[before + later[0]])


def _talk_fill(lives: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    talk = lives["talk"].to_numpy(dtype=float).copy()
    answered = lives["outcome"].to_numpy() == "answered"
    everyone = talk[answered & ~np.isnan(talk)]
    for rows in lives.groupby("queue").indices.values():
        pool = talk[rows][answered[rows] & ~np.isnan(talk[rows])]
        # a queue nobody was answered in borrows the day's talk times (no answer at all that day: 3 minutes)
        pool = pool if len(pool) else everyone if len(everyone) else np.array([180.0])
        missing = rows[np.isnan(talk[rows]) | ~answered[rows]]
        talk[missing] = rng.choice(pool, len(missing))
    return talk


def traced_calls(trace: Trace, numbers: dict[str, str], epoch: float, rng: np.random.Generator) -> TracedCalls:
    lives = trace.lives
    wait = lives["wait"].fillna(0.0).to_numpy(dtype=float)
    gave_up = lives["outcome"].to_numpy() == "abandoned"
    draws = rng.random(len(lives))
    patience = wait.copy()
    for rows in lives.groupby("queue").indices.values():  # each queue's callers have their own patience
        times, survival = kaplan_meier(wait[rows], gave_up[rows])
        for i in rows[~gave_up[rows]]:
            patience[i] = censored_patience(float(wait[i]), times, survival, float(draws[i]))
    return TracedCalls(
        call_ids=tuple(lives["call_id"]),
        offsets=tuple((lives["arrived"].to_numpy(dtype=float) - epoch).tolist()),
        hotlines=tuple(numbers[q] for q in lives["queue"]),
        callers=tuple(lives["caller"]),
        patience=tuple(patience.tolist()),
        handle=tuple(_talk_fill(lives, rng).tolist()),
    )


def recorded_agents(trace: Trace, epoch: float) -> tuple[tuple[AgentProfile, ...], tuple[AgentOrder, ...]]:
    """The day's answering agents: their skills (the queues they served) and their recorded availability."""
    start, end = trace.start, trace.end
    served = trace.lives[trace.lives["outcome"] == "answered"].copy()
    unnamed = served["agent"] == UNNAMED
    served.loc[unnamed, "agent"] = "unnamed-" + served.loc[unnamed, "call_id"]
    profiles, orders = [], []
    for agent, calls in served.sort_values("answered_at", kind="stable").groupby("agent", sort=True):
        profiles.append(AgentProfile(str(agent), {str(q): 1 for q in sorted(set(calls["queue"]))}))
        answers = calls["answered_at"].to_numpy(dtype=float) - epoch
        ends = calls["ended_at"].fillna(calls["answered_at"]).to_numpy(dtype=float) - epoch
        # on the roster all day, paused until granted (a queue with nobody logged in would send callers to
        # the callback prompt at once, which the day did not do)
        orders.append(AgentOrder(start - epoch, str(agent), "login"))
        orders.append(AgentOrder(start - epoch, str(agent), "not_ready"))
        talks = calls["talk"].fillna(0.0).to_numpy(dtype=float)
        orders.extend(
            AgentOrder(answer, str(agent), "take_one", talk) for answer, talk in zip(answers.tolist(), talks.tolist())
        )
        # calls still owed at the end of the shift are taken late rather than lost: log out at the day's end
        orders.append(AgentOrder(float(max(ends[-1], answers[-1], end - epoch)), str(agent), "logout"))
    return tuple(profiles), tuple(orders)


def load_trace_scenario(path, trace: Trace) -> Scenario:
    """A scenario file for a what-if on ``trace``. As ``twin.site.load_scenario``, except that the recorded
    agents count as agents of the configuration: a scenario that adds nobody (staffing 0) is valid."""

    def problems_with_recorded_agents(spec: Scenario) -> list:
        profiles, _ = recorded_agents(trace, trace.start)
        try:
            base = center_config(spec)
            with_recorded = {p.message for p in dataclasses.replace(base, agents=profiles + base.agents).problems()}
        except Exception:  # the configuration cannot be built: config_problems says why
            return config_problems(spec)
        return [p for p in config_problems(spec) if p.message in with_recorded]

    scenario = validated(load_yaml(path), Scenario, problems_with_recorded_agents)
    assert isinstance(scenario, Scenario)
    return scenario


def day_scenario(trace: Trace, scenario: Scenario, scenario_file: str) -> Scenario:
    """The scenario moved onto the trace's day: its start and horizon become the day's."""
    horizon = trace.end - trace.start
    n = int(math.ceil(horizon / scenario.interval))
    for i, group in enumerate(scenario.groups):
        if isinstance(group.staffing, tuple) and len(group.staffing) != n:
            raise InputFileError(
                [
                    Problem(
                        scenario_file,
                        None,
                        f"groups.{i}.staffing",
                        f"{len(group.staffing)} entries; the traced day has {n} intervals of "
                        f"{scenario.interval:g} s (give one number for the whole day)",
                    )
                ]
            )
    start = datetime.fromtimestamp(trace.start, scenario.start.tzinfo)
    return scenario.model_copy(update={"start": start, "horizon": horizon, "warmup": 0.0, "airings": ()})


@dataclass(frozen=True)
class TraceResult:
    trace: Trace
    scenario: Scenario
    recorded: pd.Series  # summary KPIs of the recorded day
    replications: list[Replication]
    twin: pd.DataFrame  # summary KPIs, one row per replication
    recorded_intervals: pd.DataFrame
    twin_intervals: pd.DataFrame  # interval KPIs, mean over replications

    def agreement(self) -> float:
        """The share of the day's calls whose twin outcome is the recorded one (mean over replications)."""
        recorded = self.trace.lives.set_index("call_id")["outcome"]
        shares = [
            float((call_lives(r.log).set_index("call_id")["outcome"].reindex(recorded.index) == recorded).mean())
            for r in self.replications
        ]
        return float(np.mean(shares))

    def closeness(self) -> dict[str, tuple[float, float, float]]:
        """count -> (recorded, twin mean, relative difference)."""
        out = {}
        for name in COUNTS:
            recorded = float(self.recorded[name])
            twin = float(self.twin[name].mean())
            out[name] = (recorded, twin, (twin - recorded) / recorded if recorded else math.nan)
        return out


def run_trace(
    trace: Trace,
    scenario: Scenario,
    scenario_file: str,
    *,
    replications: int | None = None,
    seed: int | None = None,
    on_done=None,
) -> TraceResult:
    numbers = check_queues(trace, scenario, scenario_file)
    day = day_scenario(trace, scenario, scenario_file)
    if replications is not None:
        day = day.model_copy(update={"replications": replications})
    profiles, orders = recorded_agents(trace, day.epoch)
    base = center_config(day)
    config = dataclasses.replace(base, agents=profiles + base.agents)
    reps = []
    for index, rep_seed in enumerate(replication_seeds(day, seed)):
        rng = np.random.default_rng(np.random.SeedSequence(rep_seed.entropy, spawn_key=(*rep_seed.spawn_key, 99)))
        setup = dataclasses.replace(
            sim_setup(day), trace=traced_calls(trace, numbers, day.epoch, rng), agent_orders=orders
        )
        model = build_model(day, rep_seed, config=config, setup=setup)
        result = model.run()
        reps.append(Replication(index, records_to_frame(model.center.log), result.calls, result.callbacks_dialled))
        if on_done:
            on_done(reps[-1])
    target = day.targets.within
    recorded = summary_kpis(trace.log, target_s=target).iloc[0]
    twin = pd.concat(
        [summary_kpis(r.log, target_s=target).assign(replication=r.index) for r in reps], ignore_index=True
    )
    recorded_iv = interval_kpis(trace.log, interval_s=day.interval, target_s=target, by_queue=False)
    twin_iv = pd.concat(
        [interval_kpis(r.log, interval_s=day.interval, target_s=target, by_queue=False) for r in reps],
        ignore_index=True,
    )
    twin_iv = twin_iv.groupby("interval_start", as_index=False).mean(numeric_only=True)
    return TraceResult(trace, day, recorded, reps, twin, recorded_iv, twin_iv)
