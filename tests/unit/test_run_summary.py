"""What ``hotline simulate`` prints from the replications: no interval past the horizon, confidence intervals
of shares inside [0, 1], and a target verdict that respects the interval."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.log import NONE, LogRecord, Verb
from inputs.problems import InputFileError
from reports.eventlog import records_to_frame
from twin.run import Replication, per_replication_kpis, summarise, target_verdict
from twin.site import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def test_rows_past_the_horizon_are_dropped():
    scenario = load_scenario(ROOT / "scenarios" / "stationary.yaml")
    scenario = scenario.model_copy(update={"horizon": 3600.0, "warmup": 0.0, "interval": 3600.0})
    t0 = scenario.epoch
    log = records_to_frame(
        [
            LogRecord(t0, NONE, NONE, "a1", Verb.AGENTLOGIN, "PJSIP/a1"),
            LogRecord(t0 + 10, "c1", "orders", NONE, Verb.ENTERQUEUE, "", "1", 1, "4008100100", "normal"),
            LogRecord(t0 + 20, "c1", "orders", "a1", Verb.CONNECT, 10, "c1", 1),
            LogRecord(t0 + 3600 + 1800, "c1", "orders", "a1", Verb.COMPLETECALLER, 10, 5380, 1),  # talks past the end
        ]
    )
    per_interval, _ = per_replication_kpis([Replication(0, log, 1, 0)], scenario)
    assert per_interval["interval_start"].tolist() == [t0]
    assert per_interval["offered"].tolist() == [1]


def test_confidence_intervals_of_shares_stay_inside_zero_and_one():
    per_rep = pd.DataFrame(
        {
            "interval_start": [0.0] * 3,
            "sl_offered": [1.0, 0.98, 0.9],
            "abandon_rate": [0.0, 0.0, 0.05],
            "offered": [3, 1, 0],
        }
    )
    row = summarise(per_rep, ["interval_start"]).iloc[0]
    assert row["sl_offered_ci_high"] == 1.0 and 0 <= row["sl_offered_ci_low"] < row["sl_offered"]
    assert row["abandon_rate_ci_low"] == 0.0 and row["offered_ci_low"] == 0.0


def test_a_verdict_inside_the_interval_is_not_a_miss():
    assert target_verdict(0.799, 0.785, 0.813, 0.8, at_least=True) == "not shown to miss"
    assert target_verdict(0.805, 0.790, 0.820, 0.8, at_least=True) == "met, not shown"
    assert target_verdict(0.85, 0.82, 0.88, 0.8, at_least=True) == "met"
    assert target_verdict(0.70, 0.65, 0.75, 0.8, at_least=True) == "missed"
    assert target_verdict(0.051, 0.045, 0.057, 0.05, at_least=False) == "not shown to miss"
    assert target_verdict(0.08, 0.07, 0.09, 0.05, at_least=False) == "missed"
    assert target_verdict(0.82, math.nan, math.nan, 0.8, at_least=True) == "met"  # one replication: no interval


@given(st.floats(0, 1), st.floats(0, 0.2), st.floats(0, 1))
def test_missed_only_when_the_whole_interval_misses(mean, half, goal):
    said = target_verdict(mean, mean - half, mean + half, goal, at_least=True)
    assert (said == "missed") == (mean + half < goal)
    assert (said == "met") == (mean - half >= goal)


def test_the_simulate_command_prints_the_verdict_with_confidence(tmp_path):
    from typer.testing import CliRunner

    from entrypoints.cli import app

    result = CliRunner().invoke(
        app,
        [
            "simulate",
            str(ROOT / "scenarios" / "special_sale.yaml"),
            "-r",
            "2",
            "--workers",
            "1",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "(95% confidence)" in result.output
    kpis = pd.read_csv(tmp_path / "special_sale" / "kpis.csv")
    rows = kpis.loc[kpis["interval_start"] != "all"]
    scenario = load_scenario(ROOT / "scenarios" / "special_sale.yaml")
    assert rows["interval_start"].astype(float).max() < scenario.epoch + scenario.horizon
    for share in ("sl_offered", "abandon_rate", "occupancy"):
        assert kpis[f"{share}_ci_low"].dropna().ge(0).all() and kpis[f"{share}_ci_high"].dropna().le(1).all()


def test_intervals_are_cut_in_the_start_s_local_time(tmp_path):
    text = (ROOT / "scenarios" / "stationary.yaml").read_text()
    day = text.replace("start: 2026-11-23T08:00:00+08:00", "start: 2026-11-23T00:00:00+08:00")
    day = day.replace("horizon: 10h", "horizon: 24h").replace("interval: 1h", "interval: 1440m")
    (tmp_path / "day.yaml").write_text(day)
    assert load_scenario(tmp_path / "day.yaml").n_intervals == 1  # a local day, 00:00-24:00 Beijing time
    (tmp_path / "off.yaml").write_text(text.replace("T08:00:00+08:00", "T08:30:00+08:00"))
    with pytest.raises(InputFileError) as caught:
        load_scenario(tmp_path / "off.yaml")
    assert "must fall on a boundary" in str(caught.value)
