"""The twin runs outbound campaigns on the core's dialer: the acceptance case of 5,000 numbers, 30 agents."""

from __future__ import annotations

from pathlib import Path

import pytest

from inputs.problems import InputFileError
from twin.outbound import load_outbound, simulate

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "outbound" / "predictive.yaml"


def test_predictive_campaign_of_5000_numbers_with_30_agents_stays_under_the_cap():
    scenario = load_outbound(SCENARIO)
    assert (scenario.numbers, scenario.agents) == (5000, 30)
    result = simulate(scenario, mode="predictive")
    assert result["contacts"] > 1000 and result["contacts_per_agent_hour"] > 0
    assert result["drops"] > 0  # it does over-dial ...
    assert result["drop_rate"] <= scenario.drop_cap  # ... but within the cap


def test_progressive_gives_zero_drops_and_fewer_contacts_than_predictive():
    scenario = load_outbound(SCENARIO)
    progressive = simulate(scenario, mode="progressive")
    predictive = simulate(scenario, mode="predictive")
    assert progressive["drops"] == 0 and progressive["contacts"] > 0
    assert predictive["contacts_per_agent_hour"] > progressive["contacts_per_agent_hour"]


def test_same_seed_same_result():
    scenario = load_outbound(SCENARIO)
    assert simulate(scenario, seed=3) == simulate(scenario, seed=3)


def test_a_bad_scenario_names_its_field_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        SCENARIO.read_text(encoding="utf-8").replace("answer_rate: 0.25", "answer_rate: 1.5"), encoding="utf-8"
    )
    with pytest.raises(InputFileError) as caught:
        load_outbound(bad)
    problem = caught.value.problems[0]
    assert problem.field == "callees.answer_rate" and problem.line == 14


def test_every_shipped_outbound_scenario_loads():
    for path in sorted(SCENARIO.parent.glob("*.yaml")):
        assert load_outbound(path).numbers > 0


def test_the_command_compares_modes_and_names_a_bad_file(tmp_path):
    from typer.testing import CliRunner

    from entrypoints.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["campaigns", "simulate", str(SCENARIO), "-m", "progressive", "-m", "predictive"])
    assert result.exit_code == 0, result.output
    assert "progressive" in result.output and "predictive" in result.output
    assert runner.invoke(app, ["campaigns", "simulate", str(SCENARIO), "-m", "telepathy"]).exit_code == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nnumbers: lots\n", encoding="utf-8")
    result = runner.invoke(app, ["campaigns", "simulate", str(bad)])
    assert result.exit_code == 2 and "numbers" in result.output
