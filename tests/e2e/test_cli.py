"""The ``hotline`` command as a user runs it: a real process, real files, exit codes."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from tests.helpers import ROOT, hotline

SCENARIOS = ROOT / "scenarios"


def _leaf_commands(group, path=()):
    """Every runnable command of the click tree behind ``hotline``, as its argument path."""
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):  # a group
            yield from _leaf_commands(command, path + (name,))
        else:
            yield path + (name,)


def test_every_subcommand_has_a_useful_help():
    import typer.main
    from typer.testing import CliRunner

    from entrypoints.cli import app

    top = hotline("--help")
    assert top.returncode == 0
    leaves = list(_leaf_commands(typer.main.get_command(app)))
    assert {("simulate",), ("replay",), ("validate",), ("erlang",), ("live", "run"), ("asterisk", "up")} <= set(leaves)
    for group in {path[0] for path in leaves}:
        assert group in top.stdout
    runner = CliRunner()
    for path in leaves:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path, result.output)
        help_text = result.output.split("Options")[0]  # the command's own words, not the option list
        assert len(help_text.split()) > 8, (path, result.output)


def test_simulate_prints_a_kpi_table_and_writes_the_log_and_summary(tmp_path):
    result = hotline(
        "simulate",
        str(SCENARIOS / "special_sale.yaml"),
        "-r",
        "3",
        "--out",
        str(tmp_path),
        "--compare-analytic",
        "--queue-log",
    )
    assert result.returncode == 0, result.stderr
    assert "SL offered (20s)" in result.stdout and "abandon rate" in result.stdout
    assert re.search(r"12:00 .*±", result.stdout)  # an interval row with a confidence interval
    assert "Erlang-A/MOL" in result.stdout
    events = pd.read_parquet(tmp_path / "special_sale" / "events.parquet")
    assert set(events["replication"]) == {0, 1, 2}
    assert (events["verb"] == "ENTERQUEUE").sum() > 1000
    kpis = pd.read_csv(tmp_path / "special_sale" / "kpis.csv")
    assert {"sl_offered", "sl_offered_ci_low", "sl_offered_ci_high", "analytic_sl_offered"} <= set(kpis.columns)
    assert kpis["interval_start"].astype(str).iloc[-1] == "all"
    first_line = (tmp_path / "special_sale" / "queue_log.0").read_text().splitlines()[0]
    assert len(first_line.split("|")) == 10


def test_replay_passes_on_the_shipped_suite():
    result = hotline("replay", str(SCENARIOS / "qa"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout and "all expectations hold" in result.stdout


def test_replay_exits_nonzero_when_one_expectation_is_broken(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copy(SCENARIOS / "qa" / "special_sale.yaml", suite / "good.yaml")
    text = (SCENARIOS / "qa" / "special_sale.yaml").read_text()
    broken = re.sub(r"  abandon_rate: \[.*\]", "  abandon_rate: [0.0, 0.01]", text)
    assert broken != text
    (suite / "broken.yaml").write_text(broken)
    result = hotline("replay", str(suite))
    assert result.returncode == 1
    assert re.search(r"broken\s+│\s+abandon_rate.*FAIL", result.stdout)
    assert re.search(r"good\s+│\s+abandon_rate.*pass", result.stdout)


MALFORMED = {
    "unknown key": (
        "policy:\n  strategy: fewestcalls\n",
        "policy:\n  strategy: fewestcalls\n  stratgey: random\n",
        "policy.stratgey",
        "unknown key",
    ),
    "wrong type": ("  expected_calls: 1200\n", "  expected_calls: lots\n", "airings[0].expected_calls", "number"),
    "negative rate": (
        '  "4008300300": 60\n',
        '  "4008300300": -60\n',
        "baseline.4008300300",
        "greater than or equal to 0",
    ),
    "bad yaml": ("  strategy: fewestcalls\n", "  strategy: [fewestcalls\n", "", "bad YAML"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_scenario_names_file_field_and_line_and_exits_2(case, tmp_path):
    old, new, field, words = MALFORMED[case]
    text = (SCENARIOS / "special_sale.yaml").read_text()
    assert old in text
    bad = text.replace(old, new, 1)
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    for command in ("simulate", "validate"):
        result = (
            hotline(command, str(path), "--out", str(tmp_path))
            if command == "simulate"
            else hotline(command, str(path))
        )
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr + result.stdout
        message = result.stderr
        match = re.search(r"bad\.yaml:(\d+): (?:(\S+): )?(.*)", message)
        assert match, message
        line = int(match.group(1))
        changed = bad.splitlines()[line - 1]
        assert new.strip().splitlines()[-1].split(":")[0].strip() in changed or case == "bad yaml", (line, changed)
        if field:
            assert match.group(2) == field
        assert words in message


def test_a_missing_scenario_file_is_a_clear_error():
    result = hotline("simulate", "no/such/file.yaml")
    assert result.returncode == 2
    assert "no/such/file.yaml" in result.stderr and "cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def test_erlang_prints_the_design_reference_figures():
    result = hotline("erlang", "--rate", "0.544", "--handle", "180", "--patience", "120", "--agents", "100")
    assert result.returncode == 0
    # DESIGN.md rounds the rate: its 0.0347 / 0.913 hold at 98 Erlang (0.5444/s); at 0.544/s exactly they are
    # 0.0344 / 0.914 (twin/analytic.py's docstring)
    assert re.search(r"P\(abandon\)\s+0\.0344", result.stdout)
    assert re.search(r"SL offered \(20 s\)\s+0\.914", result.stdout)
    assert re.search(r"ASA of answered\s+3\.96 s", result.stdout)
