"""Invariants of the forward-equation estimate (twin/transient.py) on small random surges."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.transient import transient_estimate

profiles = st.lists(st.floats(0.0, 0.3), min_size=3, max_size=3)
staffings = st.lists(st.integers(1, 30), min_size=3, max_size=3)


@settings(max_examples=10, deadline=None)
@given(profiles, staffings, st.integers(0, 2))
def test_probabilities_stay_in_range_and_one_more_agent_never_hurts_its_interval(rates, staffing, interval):
    bins = np.repeat(rates, 30)  # three 300 s intervals of 10 s bins
    rows, state = transient_estimate(bins, 10.0, 120.0, 60.0, staffing, 300.0, 20.0)
    assert abs(state.p.sum() - 1.0) < 1e-9 and (state.p >= -1e-15).all()
    more = list(staffing)
    more[interval] += 1
    better, _ = transient_estimate(bins, 10.0, 120.0, 60.0, more, 300.0, 20.0)
    for row in rows:
        if row.arrivals > 0:
            assert 0.0 <= row.p_abandon <= 1.0 and 0.0 <= row.sl_offered <= 1.0
    row, plus = rows[interval], better[interval]
    if row.arrivals > 0:  # the interval itself (later ones see the leaving agents only in the mean)
        assert plus.p_abandon <= row.p_abandon + 1e-9
        assert plus.sl_offered >= row.sl_offered - 1e-9
