"""The twin's one-at-a-time draws take the same numbers from a stream as the bulk calls they replace."""

from __future__ import annotations

from bisect import bisect_right

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.sim.distributions import Empirical, Exponential, Fixed, LogNormal
from adapters.sim.model import outcome_table

DISTRIBUTIONS = (Fixed(12.0), Exponential(3.0), LogNormal(150.0, 60.0), Empirical((1.0, 2.5, 7.0)))


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_draw_takes_what_sample_of_one_takes(seed):
    bulk, single = np.random.default_rng(seed), np.random.default_rng(seed)
    for _ in range(20):
        for distribution in DISTRIBUTIONS:
            assert distribution.draw(single) == distribution.sample(bulk, 1)[0]
    assert single.random() == bulk.random()  # and leave the stream at the same place


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    weights=st.lists(st.floats(0.01, 10.0), min_size=1, max_size=6),
)
def test_outcome_table_picks_what_choice_picks(seed, weights):
    outcomes = tuple((f"o{i}", w) for i, w in enumerate(weights))
    names, cumulative = outcome_table(outcomes)
    shares = np.array(weights) / np.sum(weights)
    with_choice, with_table = np.random.default_rng(seed), np.random.default_rng(seed)
    for _ in range(50):
        assert (
            names[bisect_right(cumulative, with_table.random())] == names[int(with_choice.choice(len(names), p=shares))]
        )
