"""Agent selection strategies as small objects (core/strategies.py); routing tests cover them inside the core."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from core.config import STRATEGIES
from core.strategies import BY_NAME, LongestIdle, Strategy, make_strategy, registered


@dataclass
class Idle:
    order: int
    calls: int = 0
    talk_total: float = 0.0


# longest idle first, as the core hands them over
CANDIDATES = [Idle(2, calls=5, talk_total=10.0), Idle(0, calls=3, talk_total=90.0), Idle(1, calls=3, talk_total=5.0)]


@pytest.mark.parametrize(
    "name, chosen",
    [
        ("longestidle", 2),
        ("linear", 0),
        ("fewestcalls", 0),
        ("leasttalk", 1),
        ("rrmemory", 0),
    ],
)
def test_each_strategy_chooses_by_its_rule_ties_to_the_first_in_the_configuration(name, chosen):
    assert make_strategy(name, rng=None, last_rung={}).choose("sales", CANDIDATES).order == chosen


def test_round_robin_goes_on_after_the_agent_rung_last_in_the_group_and_wraps_around():
    last_rung = {"sales": 0}
    strategy = make_strategy("rrmemory", rng=None, last_rung=last_rung)
    assert strategy.choose("sales", CANDIDATES).order == 1
    last_rung["sales"] = 2
    assert strategy.choose("sales", CANDIDATES).order == 0
    assert strategy.choose("service", CANDIDATES).order == 0


def test_random_draws_from_the_injected_source_in_configuration_order_and_needs_one():
    strategy = make_strategy("random", rng=random.Random(7), last_rung={})
    expected = random.Random(7).choice(sorted(CANDIDATES, key=lambda a: a.order))
    assert strategy.choose("sales", CANDIDATES) is expected
    with pytest.raises(ValueError, match="injected random source"):
        make_strategy("random", rng=None, last_rung={})


def test_the_config_names_exactly_the_strategies_there_are():
    assert STRATEGIES == tuple(BY_NAME)
    assert LongestIdle.first_idle and not any(cls.first_idle for name, cls in BY_NAME.items() if name != "longestidle")


def test_a_strategy_is_one_registered_class_built_by_the_name_the_config_uses(monkeypatch):
    monkeypatch.setattr("core.strategies.BY_NAME", dict(BY_NAME))  # the registry as shipped, after the test

    @registered("mostcalls")
    class MostCalls(Strategy):
        def choose(self, group, candidates):
            return max(candidates, key=lambda a: (a.calls, -a.order))

    assert MostCalls.name == "mostcalls"
    assert make_strategy("mostcalls", rng=None, last_rung={}).choose("sales", CANDIDATES).order == 2
    with pytest.raises(ValueError, match="two strategies are called 'linear'"):
        registered("linear")(MostCalls)
    with pytest.raises(ValueError, match="'nosuch' is not one of rrmemory, fewestcalls"):
        make_strategy("nosuch", rng=None, last_rung={})
