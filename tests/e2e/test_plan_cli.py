"""``hotline erlang --target`` and rates per hour."""

from __future__ import annotations

from tests.helpers import hotline
from twin.analytic import agents_required, erlang_a


def test_erlang_target_answers_the_agents_required():
    result = hotline(
        "erlang", "--per-hour", "1958.4", "--handle", "180", "--patience", "120", "--target", "--max-abandon", "0.05"
    )
    assert result.returncode == 0, result.stderr
    expected = agents_required(0.544, 180.0, 120.0, 0.8, 20.0, 0.05)
    assert f"agents required    {expected}" in result.stdout
    assert erlang_a(0.544, 180.0, 120.0, expected - 1).p_abandon > 0.05  # one fewer breaks the abandon target


def test_a_rate_per_hour_gives_the_same_figures_as_per_second():
    per_second = hotline("erlang", "--rate", "0.5", "--handle", "180", "--patience", "120", "--agents", "95")
    per_hour = hotline("erlang", "--per-hour", "1800", "--handle", "180", "--patience", "120", "--agents", "95")
    assert per_second.returncode == per_hour.returncode == 0
    assert per_second.stdout == per_hour.stdout


def test_erlang_refuses_two_rates_or_none():
    both = hotline(
        "erlang", "--rate", "0.5", "--per-hour", "1800", "--handle", "180", "--patience", "120", "--agents", "9"
    )
    assert both.returncode == 2 and "--rate" in both.stderr
    no_agents = hotline("erlang", "--rate", "0.5", "--handle", "180", "--patience", "120")
    assert no_agents.returncode == 2 and "--agents" in no_agents.stderr
