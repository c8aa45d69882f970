"""The plan page's figures are ``hotline simulate``'s numbers for the same scenario and seed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dashboards import figures, plan_data
from tests.helpers import ROOT, hotline

SCENARIO = ROOT / "scenarios" / "live_program.yaml"


def simulate_kpis(tmp_path: Path, replications: int, seed: int) -> pd.DataFrame:
    """``hotline simulate``'s kpis.csv, per interval (the totals row left out)."""
    done = hotline(
        "simulate",
        str(SCENARIO),
        "-r",
        str(replications),
        "--seed",
        str(seed),
        "--out",
        str(tmp_path),
        "--compare-analytic",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    kpis = pd.read_csv(tmp_path / SCENARIO.stem / "kpis.csv")
    return kpis.loc[kpis["interval_start"] != "all"].reset_index(drop=True)


def drawn(figure, name: str) -> list[float]:
    """A trace's numbers, gaps (None in the figure) as NaN like the CSV's empty cells."""
    y = next(trace.y for trace in figure.data if trace.name == name)
    return [float("nan") if v is None else v for v in y]


def test_every_plan_figure_equals_hotline_simulate_for_the_same_seed(tmp_path):
    expected = simulate_kpis(tmp_path, replications=3, seed=11)
    plan = plan_data.run_plan(SCENARIO.read_text(encoding="utf-8"), "A", replications=3, seed=11)
    for metric in figures.METRICS:
        figure = figures.plan_comparison([plan], metric)
        assert (drawn(figure, "A")) == pytest.approx(list(expected[metric]), rel=1e-12, nan_ok=True), metric
        assert (drawn(figure, "A 95%")) == pytest.approx(list(expected[f"{metric}_ci_low"]), rel=1e-12, nan_ok=True), (
            metric
        )
        if metric in figures.ANALYTIC_OF:
            column = f"analytic_{figures.ANALYTIC_OF[metric]}"
            line = drawn(figure, "A Erlang-A/MOL")  # the estimate covers the horizon's intervals only
            assert line == pytest.approx(list(expected[column][: len(line)]), rel=1e-12, nan_ok=True), metric
            assert expected[column][len(line) :].isna().all()
    totals = pd.read_csv(tmp_path / SCENARIO.stem / "kpis.csv").set_index("interval_start").loc["all"]
    assert plan["totals"]["abandoned"] == pytest.approx(float(totals["abandoned"]), rel=1e-12)


def test_a_staffing_table_with_bad_cells_names_line_and_interval():
    scenario = plan_data.read_scenario(SCENARIO.read_text(encoding="utf-8"), "live_program.yaml")
    table = "group,20:00,20:15,20:30,20:45,21:00,21:15\norder-line,90,100,x,190,160,40\nnobody,1,1,1,1,1,1\n"
    with pytest.raises(plan_data.InputFileError) as error:
        plan_data.parse_staffing_csv(table, "staff.csv", scenario)
    assert [str(p) for p in error.value.problems] == [
        "staff.csv:2: 20:30: 'x' is not a whole number of agents >= 0",
        "staff.csv:3: group: 'nobody' is not a group of the scenario (order-line, back-office)",
    ]


def test_grid_staffing_goes_into_the_scenario_and_round_trips():
    text = SCENARIO.read_text(encoding="utf-8")
    scenario = plan_data.read_scenario(text, "live_program.yaml")
    rows = plan_data.staffing_rows(scenario)
    rows[0]["20:45"] = 230
    edited = plan_data.read_scenario(plan_data.with_staffing(text, "live_program.yaml", rows), "edited.yaml")
    assert plan_data.staffing_rows(edited) == rows
    assert plan_data.agent_hours(edited) == pytest.approx(plan_data.agent_hours(scenario) + 40 * 0.25)
