"""Calibration: the twin fitted to an event log (imported records or live), written as a scenario.

From the log's calls (``reports.call_lives.call_lives``) it fits, per interval of local time:

* **arrivals** -- calls offered (ENTERQUEUE) per interval; written as the scenario's forecast CSV
  (``twin/forecast.py``), per minute when airings are given, so their response curves are kept;
* **each airing's response curve** -- calls per minute on its hotline from its start to an hour after its end,
  less the hotline's baseline (its median calls per minute outside every airing's window): expected calls
  (the sum of that excess), peak and the curve;
* **patience** -- by survival analysis (statsmodels' Kaplan-Meier ``SurvfuncRight``): an abandon is an
  observed patience, an answered (or sent-to-callback) call is censored at its wait. The scenario gets the
  Kaplan-Meier distribution itself (``empirical``, its quantiles; past the last observation an exponential
  tail), since real patience is far from exponential; the exponential fit (mean = waits / abandons, with its
  chi-square 95% interval) is reported beside it;
* **handle time** -- talk + wrap-up of answered calls (uncensored): mean, sd and Student-t 95% interval,
  written as a lognormal of that mean and sd;
* **staffing** -- the agents busy on average per interval (talk + wrap-up seconds / interval length), as the
  scenario's staffing: imported records have no login times, and a center with a queue keeps its agents
  busy (on the real day this predicts its abandon rate within 2 points; the agents merely *seen* in an
  interval, about 1.4 times more, predict half the abandons).

``compare`` puts a calibrated scenario's simulated KPIs beside another (held-back) log's, per interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import yaml
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

from core.config import Airing
from reports.call_lives import call_lives
from reports.kpi import interval_kpis
from reports.periods import local_shift, local_zone
from twin.forecast import MINUTE, write_forecast

QUANTILES = 400  # values of the empirical patience and its resolution
RESPONSE_WINDOW_S = 3600.0


@dataclass(frozen=True)
class Estimate:
    mean: float
    low: float  # 95% interval
    high: float
    n: int  # observations (events for patience)


@dataclass(frozen=True)
class PatienceFit:
    km_mean: float  # mean of the Kaplan-Meier distribution (restricted to the last wait, plus the tail)
    exponential: Estimate  # censored exponential MLE with its chi-square interval
    values: tuple[float, ...]  # quantiles of the Kaplan-Meier distribution: the scenario's empirical patience
    calls: int
    abandons: int
    steps: tuple[float, ...] = ()  # the Kaplan-Meier curve: S(t) = survival[i] from steps[i] on
    survival: tuple[float, ...] = ()

    def restricted_mean(self, tau: float) -> float:
        """Mean of min(patience, tau) by Kaplan-Meier: the part of the mean that waits up to ``tau`` observe
        (the tail past the longest waits is the model's guess, not the data's)."""
        steps, probs = np.asarray(self.steps), np.asarray(self.survival)
        inside = steps < tau
        edges = np.append(steps[inside], tau)
        return float(np.sum(np.diff(edges) * probs[inside]))


@dataclass(frozen=True)
class HandleFit:
    estimate: Estimate
    sd: float


@dataclass
class Calibration:
    start: datetime  # local start of the first interval
    interval: float
    arrivals: np.ndarray  # calls offered per interval
    staffing: np.ndarray  # agents busy on average per interval
    patience: PatienceFit
    handle: HandleFit
    queue: str
    hotline: str
    minute_arrivals: np.ndarray  # calls offered per minute
    airings: pd.DataFrame = field(default_factory=pd.DataFrame)  # response per airing
    curves: pd.DataFrame = field(default_factory=pd.DataFrame)  # per airing and minute since its start

    @property
    def horizon(self) -> float:
        return self.interval * len(self.arrivals)


def fit_patience(waits: np.ndarray, abandoned: np.ndarray) -> PatienceFit:
    """Kaplan-Meier of patience from waits (abandoned: observed, otherwise censored) and the exponential MLE."""
    waits = np.asarray(waits, dtype=float)
    events = np.asarray(abandoned, dtype=bool)
    d, total = int(events.sum()), float(waits.sum())
    if d == 0:
        raise ValueError("no abandoned call: patience cannot be estimated")
    exp_mean = total / d
    exponential = Estimate(
        exp_mean, float(2 * total / stats.chi2.ppf(0.975, 2 * d)), float(2 * total / stats.chi2.ppf(0.025, 2 * d)), d
    )
    km = SurvfuncRight(waits, events.astype(int))
    times, surv = np.asarray(km.surv_times, dtype=float), np.asarray(km.surv_prob, dtype=float)
    last = float(waits.max())
    steps = np.concatenate([[0.0], times])
    probs = np.concatenate([[1.0], surv])
    tail = probs[-1]  # beyond the longest wait: an exponential tail of the fitted mean
    km_mean = float(np.sum(np.diff(np.append(steps, last)) * probs)) + tail * exp_mean
    p = (np.arange(QUANTILES) + 0.5) / QUANTILES  # P(patience <= value)
    cdf = 1 - probs
    index = np.searchsorted(cdf, p, side="right")  # first step whose cdf passes p
    inside = index < len(steps)
    values = np.empty(QUANTILES)
    values[inside] = steps[np.minimum(index[inside], len(steps) - 1)]
    values[~inside] = last + stats.expon.ppf((p[~inside] - (1 - tail)) / tail, scale=exp_mean) if tail > 0 else last
    return PatienceFit(
        km_mean,
        exponential,
        tuple(float(v) for v in values),
        len(waits),
        d,
        tuple(float(v) for v in steps),
        tuple(float(v) for v in probs),
    )


def fit_handle(handle: np.ndarray) -> HandleFit:
    x = np.asarray(handle, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        raise ValueError("fewer than two answered calls: handle time cannot be estimated")
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    half = float(stats.t.ppf(0.975, len(x) - 1) * sd / math.sqrt(len(x)))
    return HandleFit(Estimate(mean, mean - half, mean + half, len(x)), sd)


def _agents_busy(lives: pd.DataFrame, edges: np.ndarray) -> np.ndarray:
    """Agents busy on average in each interval (answered calls' talk and wrap-up, clipped to it), rounded."""
    answered = lives.loc[lives["outcome"] == "answered"]
    begin = answered["answered_at"].to_numpy()
    end = begin + answered["handle"].fillna(0.0).to_numpy()
    busy = np.array(
        [np.clip(np.minimum(end, hi) - np.maximum(begin, lo), 0, None).sum() for lo, hi in zip(edges[:-1], edges[1:])]
    )
    return np.round(busy / np.diff(edges)).astype(int)


def airing_responses(
    lives: pd.DataFrame, airings: Sequence[Airing], window_s: float = RESPONSE_WINDOW_S
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per airing: expected calls (above the hotline's baseline), peak minute and calls in the window; and
    the curve per minute since the airing's start."""
    rows, curves = [], []
    for airing in airings:
        calls = lives.loc[lives["hotline"] == airing.hotline, "arrived"].to_numpy()
        if not len(calls):
            continue
        windows = [(a.start, a.start + a.length + window_s) for a in airings if a.hotline == airing.hotline]
        first = float(calls.min())
        per_minute_all = np.bincount(((calls - first) // MINUTE).astype(int))
        starts = first + np.arange(len(per_minute_all)) * MINUTE
        quiet = np.ones(len(starts), dtype=bool)  # minutes wholly outside every airing's window
        for lo, hi in windows:
            quiet &= (starts + MINUTE <= lo) | (starts >= hi)
        baseline = float(np.median(per_minute_all[quiet])) if quiet.any() else 0.0
        span = airing.length + window_s
        since = calls[(calls >= airing.start) & (calls < airing.start + span)] - airing.start
        per_minute = np.bincount((since // MINUTE).astype(int), minlength=int(math.ceil(span / MINUTE)))
        excess = per_minute - baseline  # unclipped: the sum is unbiased where the tail meets the baseline
        rows.append(
            {
                "airing_id": airing.airing_id,
                "hotline": airing.hotline,
                "kind": airing.kind,
                "calls": int(per_minute.sum()),
                "baseline_per_minute": baseline,
                "expected_calls": float(excess.sum()),
                "peak_minute": int(np.argmax(per_minute)) if len(per_minute) else 0,
                "peak_calls": int(per_minute.max()) if len(per_minute) else 0,
            }
        )
        curves.append(
            pd.DataFrame(
                {
                    "airing_id": airing.airing_id,
                    "minute": np.arange(len(per_minute)),
                    "calls": per_minute,
                    "excess": excess,
                }
            )
        )
    return pd.DataFrame(rows), (pd.concat(curves, ignore_index=True) if curves else pd.DataFrame())


def calibrate(
    log, *, interval: float = 900.0, utc_offset_h: float | None = None, airings: Sequence[Airing] = ()
) -> Calibration:
    """Fit the twin to the offered calls of ``log`` (``ValueError`` if it has none to fit)."""
    lives = call_lives(log)
    lives = lives.loc[lives["outcome"] != "rejected"]
    if lives.empty:
        raise ValueError("the log has no call that entered a queue")
    arrived = lives["arrived"].to_numpy()
    shift = local_shift(float(arrived.min()), utc_offset_h)
    first = math.floor((arrived.min() + shift) / interval) * interval - shift
    n = int(math.floor((arrived.max() - first) / interval)) + 1
    edges = first + np.arange(n + 1) * interval
    arrivals = np.histogram(arrived, bins=edges)[0]
    minute_edges = first + np.arange(int(n * interval / MINUTE) + 1) * MINUTE
    waits = lives["wait"].to_numpy()
    settled = lives["outcome"].isin(["answered", "abandoned", "callback"]).to_numpy() & np.isfinite(waits)
    patience = fit_patience(waits[settled], (lives["outcome"] == "abandoned").to_numpy()[settled])
    handle = fit_handle(lives.loc[lives["outcome"] == "answered", "handle"].to_numpy())
    queues = lives["queue"].value_counts()
    hotlines = lives["hotline"].loc[lives["hotline"] != ""].value_counts()
    table, curves = airing_responses(lives, [a for a in airings if edges[0] <= a.start < edges[-1]])
    return Calibration(
        start=datetime.fromtimestamp(first, local_zone(utc_offset_h)),
        interval=interval,
        arrivals=arrivals,
        staffing=_agents_busy(lives, edges),
        patience=patience,
        handle=handle,
        queue=str(queues.index[0]) if len(queues) == 1 else "calls",
        hotline=str(hotlines.index[0]) if len(hotlines) == 1 else "calibrated",
        minute_arrivals=np.histogram(arrived, bins=minute_edges)[0],
        airings=table,
        curves=curves,
    )


def scenario_document(cal: Calibration, name: str, forecast_file: str, per: str) -> dict:
    """The calibrated scenario as a YAML-ready document (its forecast file is written beside it)."""
    return {
        "name": name,
        "description": (
            f"calibrated: {int(cal.arrivals.sum())} calls offered, patience Kaplan-Meier mean "
            f"{cal.patience.km_mean:.1f} s, handle mean {cal.handle.estimate.mean:.1f} s"
        ),
        "start": cal.start.isoformat(),
        "horizon": cal.horizon,
        "interval": cal.interval,
        "replications": 5,
        "hotlines": [{"number": cal.hotline, "queue": cal.queue}],
        "forecast": {"file": forecast_file, "per": per},
        "groups": [{"name": "agents", "skills": {cal.queue: 1}, "staffing": [int(x) for x in cal.staffing]}],
        "policy": {"ring_timeout": None, "ivr_after": None, "callback_reserve": None},
        "calls": {
            "patience": {"distribution": "empirical", "values": [round(v, 3) for v in cal.patience.values]},
            "handle": {
                "distribution": "lognormal",
                "mean": round(cal.handle.estimate.mean, 3),
                "sd": round(max(cal.handle.sd, 1e-3), 3),
            },
        },
    }


def write_scenario(cal: Calibration, path: str | Path, name: str = "calibrated") -> list[Path]:
    """The scenario YAML and its forecast CSV (``<stem>_forecast.csv`` beside it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    forecast = path.with_name(f"{path.stem}_forecast.csv")
    per = "minute" if len(cal.airings) else "interval"
    counts = cal.minute_arrivals if per == "minute" else cal.arrivals
    write_forecast(forecast, cal.start, MINUTE if per == "minute" else cal.interval, {cal.hotline: counts})
    document = scenario_document(cal, name, forecast.name, per)
    path.write_text(
        "# written by 'hotline calibrate'\n" + yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    return [path, forecast]


def fit_table(cal: Calibration) -> pd.DataFrame:
    """What was fitted, with 95% intervals, one row per parameter."""
    p, h = cal.patience, cal.handle.estimate
    return pd.DataFrame(
        [
            {
                "parameter": "calls offered",
                "value": float(cal.arrivals.sum()),
                "low": np.nan,
                "high": np.nan,
                "basis": f"{len(cal.arrivals)} intervals of {cal.interval / 60:g} min",
            },
            {
                "parameter": "patience mean, Kaplan-Meier (s)",
                "value": p.km_mean,
                "low": np.nan,
                "high": np.nan,
                "basis": f"{p.abandons} abandons observed, {p.calls - p.abandons} censored (answered)",
            },
            {
                "parameter": "patience mean, exponential (s)",
                "value": p.exponential.mean,
                "low": p.exponential.low,
                "high": p.exponential.high,
                "basis": "censored MLE, chi-square interval",
            },
            {
                "parameter": "handle mean (s)",
                "value": h.mean,
                "low": h.low,
                "high": h.high,
                "basis": f"{h.n} answered calls, sd {cal.handle.sd:.1f} s",
            },
            {
                "parameter": "agents (max per interval)",
                "value": float(cal.staffing.max()),
                "low": np.nan,
                "high": np.nan,
                "basis": "agents busy on average in the interval",
            },
        ]
    )


COMPARED = ("offered", "abandoned", "abandon_rate", "asa", "sl_offered")


def compare(
    actual_log, predicted: pd.DataFrame, interval: float, target_s: float = 20.0, utc_offset_h: float | None = None
) -> pd.DataFrame:
    """Per interval: the held-back log's KPIs beside the prediction's (``predicted``: per-interval means with
    ``interval_start``, e.g. ``twin.run.summarise``), matched by local time of day (the held-back day may be
    another date), and a last row ``all`` of totals."""
    actual = interval_kpis(actual_log, interval, target_s, by_queue=False, utc_offset_h=utc_offset_h)
    actual = actual.loc[actual["offered"] > 0, ["interval_start", *COMPARED]]
    if actual.empty:
        raise ValueError("the held-back log has no call that entered a queue")
    shift = local_shift(float(actual["interval_start"].iloc[0]), utc_offset_h)

    def clock(starts: pd.Series) -> pd.Series:  # the held-back day may be another date: match times of day
        return ((starts + shift) % 86400).round(3)

    forecast = predicted[["interval_start", *COMPARED]].rename(columns={c: f"{c}_predicted" for c in COMPARED})
    forecast = forecast.assign(_clock=clock(forecast["interval_start"])).drop(columns="interval_start")
    table = actual.assign(_clock=clock(actual["interval_start"])).merge(forecast, on="_clock", how="left")
    table = table.drop(columns="_clock")
    total = {"interval_start": np.nan}
    for column in ("offered", "abandoned"):
        total[column] = table[column].sum()
        total[f"{column}_predicted"] = table[f"{column}_predicted"].sum()
    total["abandon_rate"] = total["abandoned"] / total["offered"]
    total["abandon_rate_predicted"] = total["abandoned_predicted"] / total["offered_predicted"]
    answered = table["offered"] - table["abandoned"]  # the held-back day's, so both means weigh alike
    for column, weights in (("asa", answered), ("sl_offered", table["offered"])):
        for name in (column, f"{column}_predicted"):
            known = table[name].notna()
            total[name] = float((table.loc[known, name] * weights[known]).sum() / weights[known].sum())
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


__all__ = [
    "Calibration",
    "Estimate",
    "HandleFit",
    "PatienceFit",
    "calibrate",
    "compare",
    "fit_handle",
    "fit_patience",
    "fit_table",
    "scenario_document",
    "write_scenario",
]
