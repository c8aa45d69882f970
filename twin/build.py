"""From a validated scenario to what the core and the SimPy driver need (the twin's composition root)."""

from __future__ import annotations

import random

import numpy as np

from adapters.sim.arrivals import RateFunction
from adapters.sim.distributions import Distribution, Empirical, Exponential, Fixed, LogNormal
from adapters.sim.model import AgentShift, CallbackBehaviour, CallBehaviour, CallCenterModel, CallerMix, SimSetup
from core.center import CallCenter
from core.config import CenterConfig
from twin.forecast import forecast_of, rates_per_bin, step_seconds
from twin.profiles import response_rate
from twin.scenario import DistributionSpec, Scenario
from twin.site import caller_numbers, center_config  # noqa: F401  (center_config: the twin's configuration)

RATE_BIN_S = 10.0


def distribution(spec: DistributionSpec) -> Distribution:
    if spec.distribution == "exponential":
        return Exponential(spec.mean)
    if spec.distribution == "lognormal":
        return LogNormal(spec.mean, spec.sd)
    if spec.distribution == "fixed":
        return Fixed(spec.mean)
    return Empirical(tuple(spec.values))


def shifts(scenario: Scenario) -> tuple[AgentShift, ...]:
    """Staffing per interval becomes shifts: the k-th agent works every interval staffed with k or more."""
    out = []
    for group in scenario.groups:
        names = scenario.agent_names(group)
        if group.shifts is not None:
            it = iter(names)
            for spec in group.shifts:
                for _ in range(spec.count):
                    out.append(AgentShift(next(it), spec.start, spec.end, spec.break_at, spec.break_length))
            continue
        staffing = group.staffing if group.staffing is not None else len(names)  # listed agents only: all on duty
        staffing = staffing if isinstance(staffing, tuple) else (staffing,) * scenario.n_intervals
        for k, name in enumerate(names):
            start = None
            for i, count in enumerate(staffing + (0,)):
                if count > k and start is None:
                    start = i
                elif count <= k and start is not None:
                    end = scenario.horizon if i == len(staffing) else i * scenario.interval
                    out.append(AgentShift(name, start * scenario.interval, end))
                    start = None
    return tuple(out)


def demand(scenario: Scenario) -> dict[str, RateFunction]:
    n_bins = int(np.ceil(scenario.horizon / RATE_BIN_S))
    rates = {h.number: np.zeros(n_bins) for h in scenario.hotlines}
    for number, per_hour in scenario.baseline.items():
        rates[number] += per_hour / 3600.0
    if scenario.forecast is not None:
        step = step_seconds(scenario.forecast.per, scenario.interval)
        for number, calls in forecast_of(scenario).items():
            rates[number] += rates_per_bin(calls, step, RATE_BIN_S, n_bins)
    for airing in scenario.airings:
        rates[airing.hotline] += response_rate(
            airing.kind,
            scenario.airing_start(airing) - scenario.epoch,
            airing.length,
            airing.expected_calls,
            scenario.horizon,
            RATE_BIN_S,
        )
    return {number: RateFunction(RATE_BIN_S, r) for number, r in rates.items()}


def sim_setup(scenario: Scenario) -> SimSetup:
    calls, cb, c = scenario.calls, scenario.callbacks, scenario.callers
    return SimSetup(
        epoch=scenario.epoch,
        demand=demand(scenario),
        behaviour=CallBehaviour(
            patience=distribution(calls.patience),
            handle=distribution(calls.handle),
            ring_time=distribution(calls.ring_time),
            no_answer_probability=calls.no_answer_probability,
            agent_hangup_share=calls.agent_hangup_share,
            prompt_time=calls.prompt_time,
            press_one_share=calls.press_one_share,
            ready_after_pause=calls.ready_after_pause,
        ),
        shifts=shifts(scenario),
        callers=CallerMix(
            repeat_share=c.repeat_share,
            vip=caller_numbers(c, "vip"),
            vip_share=c.vip_share,
            important=caller_numbers(c, "important"),
            important_share=c.important_share,
            blacklist=caller_numbers(c, "blacklist"),
            blacklist_share=c.blacklist_share,
        ),
        callbacks=CallbackBehaviour(
            reach_probability=cb.reach_probability,
            decay=cb.decay,
            dial_time=cb.dial_time,
            talk=distribution(cb.talk),
            outcomes=tuple(cb.outcomes.items()),
        ),
    )


def replication_seeds(scenario: Scenario, seed: int | None = None) -> list[np.random.SeedSequence]:
    root = np.random.SeedSequence(scenario.seed if seed is None else seed)
    return root.spawn(scenario.replications)


def build_model(
    scenario: Scenario, seed: np.random.SeedSequence, config: CenterConfig | None = None, setup: SimSetup | None = None
) -> CallCenterModel:
    """One replication: a fresh core (with its own seeded random source) inside a fresh SimPy model."""
    strategy_seed = int(seed.generate_state(1)[0])
    center = CallCenter(config or center_config(scenario), rng=random.Random(strategy_seed))
    return CallCenterModel(center, setup or sim_setup(scenario), seed)
