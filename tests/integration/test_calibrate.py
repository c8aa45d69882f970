"""Calibration: fitted on the shipped real day and on that day re-simulated, the patience and handle means
agree with survival analysis of the data; a synthetic log with known parameters is recovered within the
fit's confidence intervals; the calibrated scenario predicts the day it came from."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

from adapters.store.anonymous_bank import parse
from core.config import Airing
from reports.call_lives import call_lives
from reports.eventlog import records_to_frame
from reports.kpi import summary_kpis
from tests.helpers import hotline, hotline_env
from twin.calibrate import calibrate, compare, write_scenario
from twin.run import per_replication_kpis, run_replications, summarise
from twin.site import load_scenario

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "anonymous-bank" / "calls_one_day.csv"
TAU = 600.0  # patience is compared as the mean of min(patience, 10 min): what waits that long observe


def km_mean(waits, abandoned, tau: float | None = None) -> float:
    """The data's mean patience by Kaplan-Meier (statsmodels), restricted to ``tau`` (default: the last wait)."""
    km = SurvfuncRight(np.asarray(waits, float), np.asarray(abandoned, int))
    steps = np.concatenate([[0.0], km.surv_times])
    probs = np.concatenate([[1.0], km.surv_prob])
    tau = float(np.max(waits)) if tau is None else tau
    inside = steps < tau
    return float(np.sum(np.diff(np.append(steps[inside], tau)) * probs[inside]))


@pytest.fixture(scope="module")
def real():
    records, _ = parse(DATA)
    log = records_to_frame(records)
    return log, calibrate(log)


@pytest.fixture(scope="module")
def resimulated(real, tmp_path_factory):
    """The calibrated scenario run for four replications: the same day re-simulated."""
    _, fitted = real
    paths = write_scenario(fitted, tmp_path_factory.mktemp("calibrated") / "day.yaml")
    scenario = load_scenario(paths[0]).model_copy(update={"replications": 4})
    return scenario, run_replications(scenario, workers=2)


def test_the_real_day_fit_agrees_with_survival_analysis_of_the_raw_file(real):
    _, fitted = real
    with open(DATA, newline="") as handle:
        rows = list(csv.DictReader(handle))
    queued = [r for r in rows if r["outcome"] == "AGENT" or (r["outcome"] == "HANG" and r["q_start"] != "0:00:00")]
    waits = [int(r["q_time"]) if r["q_start"] != "0:00:00" else 0 for r in queued]
    abandoned = [r["outcome"] == "HANG" for r in queued]
    data_patience = km_mean(waits, abandoned)
    data_handle = np.mean([int(r["ser_time"]) for r in rows if r["outcome"] == "AGENT"])
    assert fitted.patience.calls == 2239 and fitted.patience.abandons == 728
    assert fitted.patience.km_mean == pytest.approx(data_patience, rel=0.05)
    assert np.mean(fitted.patience.values) == pytest.approx(data_patience, rel=0.05)  # what the scenario gets
    assert fitted.patience.restricted_mean(TAU) == pytest.approx(km_mean(waits, abandoned, TAU), rel=1e-9)
    assert fitted.handle.estimate.mean == pytest.approx(data_handle, rel=0.05)
    assert fitted.arrivals.sum() == 2239 and fitted.start.strftime("%H:%M") == "06:45"


def test_the_re_simulated_day_fit_agrees_with_survival_analysis(real, resimulated):
    _, fitted = real
    _, reps = resimulated
    pooled = pd.concat([r.log.assign(call_id=r.log["call_id"] + f"-{r.index}") for r in reps], ignore_index=True)
    pooled = pooled.sort_values("time", kind="stable").reset_index(drop=True)
    refit = calibrate(pooled)
    lives = call_lives(pooled)
    lives = lives.loc[lives["outcome"].isin(["answered", "abandoned"])]
    data_patience = km_mean(lives["wait"], lives["outcome"] == "abandoned", TAU)
    data_handle = lives.loc[lives["outcome"] == "answered", "handle"].mean()
    # the refit against the re-simulated data's own survival analysis ...
    assert refit.patience.restricted_mean(TAU) == pytest.approx(data_patience, rel=0.05)
    assert refit.handle.estimate.mean == pytest.approx(data_handle, rel=0.05)
    # ... and against the real day the simulation was calibrated on
    assert refit.patience.restricted_mean(TAU) == pytest.approx(fitted.patience.restricted_mean(TAU), rel=0.05)
    assert refit.handle.estimate.mean == pytest.approx(fitted.handle.estimate.mean, rel=0.05)


def test_the_calibrated_scenario_predicts_its_day(real, resimulated):
    log, _ = real
    scenario, reps = resimulated
    per_interval, _ = per_replication_kpis(reps, scenario)
    table = compare(log, summarise(per_interval, ["interval_start"]), scenario.interval)
    total = table.iloc[-1]
    assert total["offered"] == 2239
    assert total["offered_predicted"] == pytest.approx(2239, rel=0.05)
    assert abs(total["abandon_rate_predicted"] - total["abandon_rate"]) < 0.05  # 32.5% on the real day


def test_a_held_back_day_is_predicted_from_a_calibrated_one(resimulated, tmp_path):
    # two days of the same process: the re-simulated replications 0 and 1. Calibrate on day 0, predict day 1.
    _, reps = resimulated
    day0, day1 = reps[0].log, reps[1].log
    paths = write_scenario(calibrate(day0), tmp_path / "day0.yaml")
    scenario = load_scenario(paths[0]).model_copy(update={"replications": 4, "seed": 7})
    per_interval, _ = per_replication_kpis(run_replications(scenario, workers=2), scenario)
    total = compare(day1, summarise(per_interval, ["interval_start"]), scenario.interval).iloc[-1]
    assert total["offered_predicted"] == pytest.approx(total["offered"], rel=0.05)
    assert abs(total["abandon_rate_predicted"] - total["abandon_rate"]) < 0.05
    assert total["asa_predicted"] == pytest.approx(total["asa"], rel=0.25)


def test_a_synthetic_log_with_known_parameters_is_recovered_within_its_intervals():
    # the stationary M/M/c+M reference: 0.544 calls/s, handle exponential 180 s, patience exponential 120 s
    scenario = load_scenario(ROOT / "scenarios" / "stationary.yaml")
    scenario = scenario.model_copy(update={"replications": 1, "warmup": 0.0, "horizon": 4 * 3600.0})
    [rep] = run_replications(scenario, workers=1)
    fitted = calibrate(rep.log, interval=3600.0)
    patience, handle = fitted.patience.exponential, fitted.handle.estimate
    assert patience.n > 100  # abandons observed
    assert patience.low <= 120 <= patience.high, patience
    assert handle.low <= 180 <= handle.high, handle
    offered = fitted.arrivals.sum()
    expected = 0.544 * scenario.horizon
    low, high = stats.poisson.ppf([0.025, 0.975], expected)
    assert low <= offered <= high
    assert len(fitted.arrivals) == 4
    assert summary_kpis(rep.log).iloc[0]["offered"] == offered


def test_an_airings_response_is_recovered_above_the_baseline():
    # a 30 min sale bringing 1,200 calls an hour into a 3 h slot with 120 calls/h of baseline
    scenario = load_scenario(ROOT / "scenarios" / "special_sale.yaml")
    airing = scenario.airings[0].model_copy(update={"start": 3600.0})
    scenario = scenario.model_copy(
        update={"airings": (airing,), "horizon": 3 * 3600.0, "replications": 1, "baseline": {"4008300300": 120.0}}
    )
    [rep] = run_replications(scenario, workers=1)
    schedule = [
        Airing(
            airing.id, airing.channel, scenario.airing_start(airing), airing.length, airing.hotline, kind=airing.kind
        )
    ]
    fitted = calibrate(rep.log, airings=schedule)
    [row] = fitted.airings.itertuples()
    assert row.baseline_per_minute == pytest.approx(2.0, abs=0.5)
    assert row.expected_calls == pytest.approx(1200, rel=0.06)
    assert 0 <= row.peak_minute <= 35  # a sale ramps up for 2 min and holds until it ends at minute 30
    curve = fitted.curves.loc[fitted.curves["airing_id"] == airing.id]
    assert curve["calls"].sum() == row.calls and len(curve) == 90
    assert len(fitted.minute_arrivals) == len(fitted.arrivals) * 15


def test_hotline_calibrate_from_the_store_writes_a_scenario_and_predicts_the_day(tmp_path):
    env = hotline_env(tmp_path / "store")

    days = tmp_path / "days"
    days.mkdir()
    for day in ("1999-08-01", "1999-08-02"):  # the real day twice: one to fit, one held back
        (days / f"calls_{day}.csv").write_bytes(DATA.read_bytes())
    assert hotline("import", "anonymous-bank", str(days), env=env).returncode == 0
    out = tmp_path / "day.yaml"
    result = hotline(
        "calibrate",
        "--out",
        str(out),
        "--source",
        "anonymous-bank/calls_1999-08-01/1999-08-01",
        "--holdout-source",
        "anonymous-bank/calls_1999-08-02/1999-08-02",
        "-r",
        "2",
        "--csv",
        str(tmp_path / "csv"),
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "patience mean, Kaplan-Meier" in result.stdout and "in total: offered 2,239" in result.stdout
    scenario = load_scenario(out)
    assert scenario.forecast is not None and scenario.calls.patience.distribution == "empirical"
    prediction = pd.read_csv(tmp_path / "csv" / "prediction.csv", encoding="utf-8-sig")
    assert prediction["interval"].iloc[-1] == "all" and prediction["interval"].iloc[0] == "1999-08-02 06:45"
    assert prediction["offered_predicted"].iloc[-1] == pytest.approx(2239, rel=0.05)  # day 1's model, day 2's clock
    assert prediction["offered_predicted"].iloc[:-1].notna().all()
    assert scenario.start.isoformat() == "1999-08-01T06:45:00+08:00"
    bad = hotline("calibrate", "--out", str(out), "--source", "no-such-source", env=env)
    assert bad.returncode == 2 and "no call that entered a queue" in bad.stderr
