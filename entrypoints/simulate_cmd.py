"""``hotline simulate`` and ``hotline replay``: run scenarios and show their KPIs."""

from __future__ import annotations

import logging
import math
from datetime import datetime
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from inputs.problems import InputFileError, Problem
from reports.eventlog import write_parquet, write_queue_log
from reports.export import safe_table
from twin.run import combined_log, per_replication_kpis, run_replications, summarise
from twin.scenario import Scenario
from twin.site import load_scenario

log = logging.getLogger("hotline.twin")


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False)


def _simulate(console: Console, scenario: Scenario, workers: int | None, seed: int | None, label: str):
    with _progress(console) as progress:
        task = progress.add_task(f"{label}: replications", total=scenario.replications)
        replications = run_replications(scenario, workers=workers, seed=seed,
                                        on_done=lambda r: progress.advance(task))
    log.info("%s: %d replications, %d calls", label, len(replications), sum(r.calls for r in replications))
    return replications


def _fmt(value: float, digits: int, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value * 100:.{digits}f}%" if pct else f"{value:.{digits}f}"


def _with_ci(row: pd.Series, metric: str, digits: int, pct: bool = False) -> str:
    mean = row.get(metric)
    low, high = row.get(f"{metric}_ci_low"), row.get(f"{metric}_ci_high")
    text = _fmt(mean, digits, pct)
    if low is not None and not (isinstance(low, float) and math.isnan(low)):
        half = (high - low) / 2
        text += f" ±{_fmt(half, digits, pct)}"
    return text


def kpi_table(scenario: Scenario, summary: pd.DataFrame, totals: pd.Series, analytic: pd.DataFrame | None) -> Table:
    target = f"{scenario.targets.within:g}s"
    table = Table(title=f"{scenario.name} — {scenario.replications} replications, mean ±95% CI", show_lines=False)
    for header in ("interval", "offered", "answered", "abandon rate", f"SL offered ({target})",
                   f"SL answered ({target})", "ASA s", "occupancy", "callbacks"):
        table.add_column(header, justify="right")
    if analytic is not None:
        table.add_column(f"Erlang-A/MOL SL offered ({target})", justify="right", style="cyan")
        table.add_column("Erlang-A/MOL abandon", justify="right", style="cyan")
    zone = scenario.start.tzinfo
    for _, row in summary.iterrows():
        start = datetime.fromtimestamp(row["interval_start"], zone).strftime("%H:%M")
        cells = [start, _with_ci(row, "offered", 0), _with_ci(row, "answered", 0),
                 _with_ci(row, "abandon_rate", 1, True), _with_ci(row, "sl_offered", 1, True),
                 _with_ci(row, "sl_answered", 1, True), _with_ci(row, "asa", 1), _with_ci(row, "occupancy", 1, True),
                 _with_ci(row, "callbacks_created", 0)]
        if analytic is not None:
            match = analytic[analytic["interval_start"] == row["interval_start"]]
            sl = match["sl_offered"].iloc[0] if len(match) else float("nan")
            ab = match["p_abandon"].iloc[0] if len(match) else float("nan")
            cells += [_fmt(sl, 1, True), _fmt(ab, 1, True)]
        table.add_row(*cells)
    cells = ["all", _with_ci(totals, "offered", 0), _with_ci(totals, "answered", 0),
             _with_ci(totals, "abandon_rate", 1, True), _with_ci(totals, "sl_offered", 1, True),
             _with_ci(totals, "sl_answered", 1, True), _with_ci(totals, "asa", 1), _with_ci(totals, "occupancy", 1, True),
             _with_ci(totals, "callbacks_created", 0)]
    if analytic is not None:
        cells += ["", ""]
    table.add_row(*cells, style="bold")
    return table


def run(console: Console, path: Path, replications: int | None, seed: int | None, workers: int | None, out: Path,
        compare_analytic: bool, queue_log: bool) -> None:
    scenario = load_scenario(path)
    if replications is not None:
        scenario = scenario.model_copy(update={"replications": replications})
    reps = _simulate(console, scenario, workers, seed, path.stem)
    per_interval, per_total = per_replication_kpis(reps, scenario)
    summary = summarise(per_interval, ["interval_start"])
    totals = summarise(per_total, []).iloc[0]
    analytic = None
    if compare_analytic:
        from twin.compare import analytic_by_interval

        analytic = analytic_by_interval(scenario)
    console.print(kpi_table(scenario, summary, totals, analytic))
    target = scenario.targets
    verdict_sl = totals.get("sl_offered", float("nan")) >= target.service_level
    verdict_ab = totals.get("abandon_rate", float("nan")) <= target.max_abandon_rate
    console.print(f"targets: {target.service_level:.0%} answered within {target.within:g}s "
                  f"[{'green' if verdict_sl else 'red'}]{'met' if verdict_sl else 'missed'}[/], "
                  f"abandon rate ≤ {target.max_abandon_rate:.0%} "
                  f"[{'green' if verdict_ab else 'red'}]{'met' if verdict_ab else 'missed'}[/]")
    folder = out / path.stem
    folder.mkdir(parents=True, exist_ok=True)
    events = combined_log(reps)
    write_parquet(events, folder / "events.parquet")
    kpis = summary
    if analytic is not None:
        estimate = analytic.add_prefix("analytic_").rename(columns={"analytic_interval_start": "interval_start"})
        kpis = kpis.merge(estimate, on="interval_start", how="left")
    kpis = pd.concat([kpis, summarise(per_total, []).assign(interval_start="all")], ignore_index=True)
    safe_table(kpis).to_csv(folder / "kpis.csv", index=False)
    written = [folder / "events.parquet", folder / "kpis.csv"]
    if queue_log:
        for rep in reps:
            write_queue_log(rep.log, folder / f"queue_log.{rep.index}")
        written.append(folder / "queue_log.*")
    console.print("wrote " + ", ".join(str(p) for p in written))


def replay(console: Console, suite: Path, workers: int | None) -> bool:
    if not suite.is_dir():
        raise InputFileError([Problem(str(suite), None, "", "not a directory of scenario files")])
    files = sorted(list(suite.glob("*.yaml")) + list(suite.glob("*.yml")))
    if not files:
        raise InputFileError([Problem(str(suite), None, "", "holds no *.yaml scenario files")])
    scenarios, problems = [], []
    for path in files:
        try:
            scenario = load_scenario(path)
        except InputFileError as error:
            problems.extend(error.problems)
            continue
        if not scenario.expect:
            problems.append(Problem(str(path), None, "expect", "a QA scenario must declare expected KPI bands"))
        scenarios.append((path, scenario))
    if problems:
        raise InputFileError(problems)
    table = Table(title=f"QA suite {suite}")
    for header in ("scenario", "KPI", "expected", "measured (mean)", "result"):
        table.add_column(header)
    failures = 0
    for path, scenario in scenarios:
        reps = _simulate(console, scenario, workers, None, path.stem)
        _, per_total = per_replication_kpis(reps, scenario)
        totals = per_total.mean(numeric_only=True)
        for metric, (low, high) in scenario.expect.items():
            value = float(totals.get(metric, float("nan")))
            ok = low <= value <= high
            failures += not ok
            table.add_row(path.stem, metric, f"[{low:g}, {high:g}]", f"{value:.4g}",
                          "[green]pass[/]" if ok else "[red]FAIL[/]")
    console.print(table)
    console.print(f"{'[green]all expectations hold[/]' if not failures else f'[red]{failures} expectation(s) failed[/]'}")
    return failures == 0
