"""The ISA's pure step: s_{i+1} for an interval from a sample of the number in system that arrivals found; and
what an arrival finds, counted from a hand-made log."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from core.log import NONE, LogRecord, Verb
from reports.eventlog import records_to_frame
from twin.isa import abandon_probability, least_agents, next_staffing, number_found, pooled
from twin.site import load_scenario

samples = st.lists(st.integers(0, 60), min_size=1, max_size=300).map(lambda xs: np.bincount(xs))
alphas = st.floats(0.01, 0.99)


def _tail(seen: np.ndarray, c: int) -> float:
    return float(seen[c:].sum() / seen.sum())


@given(samples, alphas)
def test_the_step_gives_the_least_staffing_whose_delay_probability_is_at_most_alpha(seen, alpha):
    c = least_agents(seen, alpha)
    assert _tail(seen, c) <= alpha
    assert c == 0 or _tail(seen, c - 1) > alpha


@given(samples, alphas, alphas)
def test_a_stricter_target_never_needs_fewer_agents(seen, a, b):
    low, high = sorted((a, b))
    assert least_agents(seen, low) >= least_agents(seen, high)


@given(samples, alphas, st.integers(0, 20))
def test_d_more_in_system_everywhere_needs_exactly_d_more_agents(seen, alpha, d):
    shifted = np.concatenate([np.zeros(d, dtype=seen.dtype), seen])
    assert least_agents(shifted, alpha) == least_agents(seen, alpha) + d


@given(samples, alphas, st.floats(0.001, 0.5), st.floats(0.001, 0.1), st.floats(0.001, 0.1))
def test_the_abandonment_variant_only_adds_agents_and_meets_its_target(seen, alpha, max_abandon, mu, theta):
    c = least_agents(seen, alpha, max_abandon=max_abandon, mu=mu, theta=theta)
    assert c >= least_agents(seen, alpha)
    n = np.arange(len(seen))
    assert float(seen @ abandon_probability(n, c, mu, theta)) / seen.sum() <= max_abandon
    # an abandonment probability is at most the delay probability, so alpha = max_abandon suffices
    assert c <= max(least_agents(seen, alpha), least_agents(seen, max_abandon))


def test_abandon_probability_of_one_waiting_call_is_theta_over_mu_plus_theta():
    mu, theta = 1 / 120, 1 / 60
    p = abandon_probability(np.array([0, 2, 3, 4]), 3, mu, theta)
    assert p[0] == p[1] == 0.0  # an agent was free
    assert np.isclose(p[2], theta / (3 * mu + theta))
    assert np.isclose(p[3], 1 - (3 * mu + theta) / (3 * mu + 2 * theta) * 3 * mu / (3 * mu + theta))


def test_no_arrivals_need_no_agents_and_replications_pool_by_adding():
    assert least_agents(np.zeros(5), 0.2) == 0
    a = [[np.array([1, 2]), np.array([0])]]
    b = [[np.array([0, 1, 1]), np.array([3])]]
    out = pooled([a, b])
    assert out[0][0].tolist() == [1, 3, 1] and out[0][1].tolist() == [3]
    assert next_staffing(out, 0.5) == ((2, 1),)  # finding n = 0 still needs one agent


def test_arrivals_find_the_busy_agents_and_the_calls_waiting_but_not_themselves():
    scenario = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "stationary.yaml")
    scenario = scenario.model_copy(update={"horizon": 3600.0, "warmup": 0.0, "interval": 1800.0})
    agent = scenario.agent_names(scenario.groups[0])[0]
    t0 = scenario.epoch

    def call(cid: str, enter: float, connect: float | None, end: float, verb: str = Verb.COMPLETECALLER):
        records = [LogRecord(t0 + enter, cid, "orders", NONE, Verb.ENTERQUEUE, "", "1", 1, "4008100100", "normal")]
        if connect is not None:
            records.append(LogRecord(t0 + connect, cid, "orders", agent, Verb.CONNECT, connect - enter, cid, 1))
        records.append(LogRecord(t0 + end, cid, "orders", agent if connect else NONE, verb, 1, 1, 1))
        return records

    records = [
        LogRecord(t0, NONE, NONE, agent, Verb.AGENTLOGIN, "PJSIP/a1"),
        *call("c1", 10, 10, 100),  # answered at once: finds 0
        *call("c2", 50, 100, 200),  # finds the busy agent: 1
        *call("c3", 60, None, 90, Verb.ABANDON),  # finds the agent and c2 waiting: 2
        *call("c4", 1900, 1900, 1950),  # second interval, finds 0
    ]
    log = records_to_frame(sorted(records, key=lambda r: r.time))
    seen = number_found(log, scenario, {"orders": 0})
    assert seen[0][0].tolist() == [1, 1, 1] and seen[0][1].tolist() == [1]
    assert next_staffing([seen[0]], 0.5) == ((2, 1),)
