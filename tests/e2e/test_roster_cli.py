"""``hotline roster`` as a planner runs it: the live program's staffing rostered into shifts, written as CSV,
Excel and a scenario the twin runs; an infeasible roster names the intervals."""

from __future__ import annotations

import openpyxl
import pandas as pd

from tests.helpers import ROOT, hotline
from twin.build import shifts
from twin.site import load_scenario

SHIFTS = """\
shifts:
  - name: slot
    length: 90m
    break: {length: 15m, earliest: 15m, latest: 30m}
    cost_per_hour: 30
  - name: peak
    length: 30m
    cost_per_hour: 40
    max: MAX
"""


def test_roster_covers_every_interval_and_loads_into_a_scenario(tmp_path):
    (tmp_path / "shifts.yaml").write_text(SHIFTS.replace("MAX", "100"))
    out = tmp_path / "rostered.yaml"
    result = hotline(
        "roster",
        str(ROOT / "scenarios" / "live_program.yaml"),
        "--shifts",
        str(tmp_path / "shifts.yaml"),
        "--csv",
        str(tmp_path / "csv"),
        "--xlsx",
        str(tmp_path / "roster.xlsx"),
        "--scenario-out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "every one of 6 intervals covered" in result.stdout
    coverage = pd.read_csv(tmp_path / "csv" / "coverage.csv", encoding="utf-8-sig")
    assert (coverage["rostered"] >= coverage["required"]).all() and len(coverage) == 12  # two groups x 6
    assert set(openpyxl.load_workbook(tmp_path / "roster.xlsx").sheetnames) == {"roster", "coverage"}
    rostered = load_scenario(out)
    original = load_scenario(ROOT / "scenarios" / "live_program.yaml")
    for group in original.groups:
        names = set(rostered.agent_names(next(g for g in rostered.groups if g.name == group.name)))
        for t, needed in enumerate(group.staffing):
            mid = (t + 0.5) * original.interval  # agents on duty and not on a break in the middle of interval t
            on = [
                s
                for s in shifts(rostered)
                if s.agent_id in names
                and s.start <= mid < s.end
                and not (s.break_at is not None and s.break_at <= mid < s.break_at + s.break_length)
            ]
            assert len(on) >= needed, (group.name, t)


def test_an_infeasible_roster_names_the_intervals_it_cannot_cover(tmp_path):
    (tmp_path / "shifts.yaml").write_text(
        SHIFTS.replace("MAX", "0").replace("length: 90m", "length: 60m\n    latest: '20:15'")
    )
    result = hotline("roster", str(ROOT / "scenarios" / "live_program.yaml"), "--shifts", str(tmp_path / "shifts.yaml"))
    assert result.returncode == 1
    # 60 min shifts starting by 20:15 and no 30 min ones: nothing reaches the last interval 21:15-21:30
    assert "order-line 2026-11-23 21:15-21:30: needs 40, short by 40" in result.stderr
    assert "back-office" not in result.stderr  # its 20:45-21:15 need is within reach of a 20:15 shift
