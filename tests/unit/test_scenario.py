"""Scenario files: validation rules, and errors that name file, field and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from inputs.durations import parse_duration
from inputs.problems import InputFileError
from tests.helpers import shipped_scenarios
from twin.site import load_scenario

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "scenarios" / "special_sale.yaml").read_text()


def problems_of(text: str, tmp_path) -> list:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(InputFileError) as caught:
        load_scenario(path)
    return caught.value.problems


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


@pytest.mark.parametrize("text, seconds", [("90", 90), ("90s", 90), ("15m", 900), ("1h30m", 5400), ("1.5h", 5400)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "15 minutes", "m"])
def test_bad_durations_are_named(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_all_shipped_scenarios_load():
    for path in shipped_scenarios(ROOT):
        assert load_scenario(path).name


@pytest.mark.parametrize(
    "old, new, field, words",
    [
        (
            'hotline: "4008300300"\n    kind: sale',
            'hotline: "4008999999"\n    kind: sale',
            "airings[0].hotline",
            "not one of the hotlines",
        ),
        ("staffing: [100, 110, 60, 20]", "staffing: [100, 110, 60]", "groups[0].staffing", "has 3 entries"),
        ("start: 2026-11-24T12:00:00+08:00", "start: 2026-11-24T12:10:00+08:00", "start", "boundary"),
        ("    queue: orders\n", "    queue: sales\n", "hotlines[0].queue", "no agent group has the skill"),
        ("  ivr_after: 40\n", "  ivr_after: 40\n  ivr_after: 50\n", "", "duplicate key"),
        (
            "  patience: {distribution: exponential, mean: 75}",
            "  patience: {distribution: lognormal, mean: 75}",
            "calls.patience.sd",
            "required for a lognormal",
        ),
        ("kind: sale", "kind: infomercial", "airings[0].kind", "'live', 'spot' or 'sale'"),
    ],
)
def test_rule_violations_name_the_field_and_line(old, new, field, words, tmp_path):
    assert old in BASE
    text = BASE.replace(old, new, 1)
    problems = problems_of(text, tmp_path)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem.field == field and words in problem.message, problem
    assert problem.file.endswith("s.yaml")
    changed = [line for line in new.splitlines() if line not in old.splitlines()]
    assert problem.line == line_of(text, changed[-1].strip())


def test_every_problem_is_reported_at_once(tmp_path):
    text = BASE.replace("expected_calls: 1200", "expected_calls: -1").replace("seed: 11", "seed: eleven")
    fields = {p.field for p in problems_of(text, tmp_path)}
    assert fields == {"airings[0].expected_calls", "seed"}


def test_a_scenario_that_is_not_a_mapping(tmp_path):
    (problem,) = problems_of("- just\n- a list\n", tmp_path)
    assert "mapping" in problem.message
