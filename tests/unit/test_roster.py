"""Shift rosters by integer program: the optimum of cases solved by hand, coverage of every interval, and an
infeasible roster that names the intervals it cannot cover."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.roster import BreakSpec, InfeasibleRoster, ShiftTypeSpec, solve_roster

HOUR = 3600.0


def test_a_small_case_solved_by_hand():
    # required 1, 2, 1 agents in three hours; a 2 h shift costs 2, a 1 h shift 1.5.
    # By hand: two 2 h shifts (at 0 h and 1 h) cover 1, 2, 1 for 4. Every other cover costs more:
    # 2 h at 0 h + 1 h at 1 h + 1 h at 2 h = 5; four 1 h shifts = 6; 2 h at 1 h + 1 h at 0 h + 1 h at 1 h = 5.
    types = (
        ShiftTypeSpec(name="long", length=2 * HOUR, cost_per_hour=1.0),
        ShiftTypeSpec(name="short", length=HOUR, cost_per_hour=1.5),
    )
    roster = solve_roster([1, 2, 1], HOUR, types)
    assert roster.cost == pytest.approx(4.0)
    assert [(p.shift, p.start, heads) for p, heads in roster.used()] == [("long", 0.0, 1), ("long", HOUR, 1)]
    assert (roster.coverage >= roster.required).all()


def test_a_break_is_not_coverage():
    # four 1 h intervals needing 1, 1, 2, 1; a 4 h shift (cost 4, it can only start at 0 h) breaks for 1 h in
    # hour 1 or hour 2; a 1 h shift costs 3. By hand: a 4 h shift covers three of the four hours, so one is
    # not enough; two 4 h shifts cover at most [2, 1, 1, 2] (breaks apart) or leave hour 1 or 2 empty (breaks
    # together), so they need a 1 h shift too: 4 + 4 + 3 = 11. One 4 h shift and two 1 h shifts (break in
    # hour 1: 1 h shifts at hours 1 and 2; or break in hour 2: two 1 h shifts at hour 2) cost 4 + 3 + 3 = 10.
    # Without a 4 h shift, five 1 h shifts cost 15. The optimum is 10.
    types = (
        ShiftTypeSpec(
            name="four",
            length=4 * HOUR,
            cost_per_hour=1.0,
            **{"break": BreakSpec(length=HOUR, earliest=HOUR, latest=2 * HOUR)},
        ),
        ShiftTypeSpec(name="one", length=HOUR, cost_per_hour=3.0),
    )
    roster = solve_roster([1, 1, 2, 1], HOUR, types)
    assert roster.cost == pytest.approx(10.0)
    assert sum(heads for p, heads in roster.used() if p.shift == "four") == 1
    assert roster.coverage.tolist() == [1, 1, 2, 1]


def test_max_heads_make_a_roster_infeasible_and_the_message_names_the_intervals():
    types = (ShiftTypeSpec(name="long", length=2 * HOUR, max=2),)
    with pytest.raises(InfeasibleRoster) as caught:
        solve_roster([1, 3, 1, 0], HOUR, types, describe=lambda t: f"{8 + t:02d}:00")
    short = {(s.interval, s.short) for s in caught.value.shortfalls}
    assert short == {(1, 1)}
    assert "09:00: needs 3, short by 1" in str(caught.value)


def test_an_interval_no_shift_can_reach_is_named():
    types = (ShiftTypeSpec(name="morning", length=2 * HOUR, earliest="00:00", latest="00:00"),)
    with pytest.raises(InfeasibleRoster) as caught:
        solve_roster([1, 1, 0, 4], HOUR, types)
    assert [(s.interval, s.short) for s in caught.value.shortfalls] == [(3, 4)]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=10))
def test_every_interval_is_covered_and_no_single_shift_can_be_dropped(required):
    types = (
        ShiftTypeSpec(name="three", length=3 * HOUR, cost_per_hour=1.0),
        ShiftTypeSpec(name="one", length=HOUR, cost_per_hour=1.4),
    )
    roster = solve_roster(required, HOUR, types)
    assert (roster.coverage >= np.asarray(required)).all()
    for i, heads in enumerate(roster.heads):
        if heads:  # an optimum has no removable head
            fewer = roster.heads.copy()
            fewer[i] -= 1
            assert not (fewer @ roster.covers >= np.asarray(required)).all()
