"""``hotline simulate``: run a scenario and show its KPIs (``hotline replay`` is ``replay_cmd.py``)."""

from __future__ import annotations

import logging
import math
from datetime import datetime
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from entrypoints.terminal import progress_bar
from reports.eventlog import write_parquet, write_queue_log
from reports.export import safe_table
from twin.run import combined_log, per_replication_kpis, run_replications, summarise, target_verdict
from twin.scenario import Scenario
from twin.site import load_scenario

log = logging.getLogger("hotline.twin")


def _simulate(console: Console, scenario: Scenario, workers: int | None, seed: int | None, label: str):
    with progress_bar(console) as bar:
        task = bar.add_task(f"{label}: replications", total=scenario.replications)
        replications = run_replications(scenario, workers=workers, seed=seed, on_done=lambda r: bar.advance(task))
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


# the table's KPI columns: (column, decimals, as a percentage)
_KPI_COLUMNS = (
    ("offered", 0, False),
    ("answered", 0, False),
    ("abandon_rate", 1, True),
    ("sl_offered", 1, True),
    ("sl_answered", 1, True),
    ("asa", 1, False),
    ("occupancy", 1, True),
    ("callbacks_created", 0, False),
)


def _kpi_cells(row) -> list[str]:
    return [_with_ci(row, column, decimals, percent) for column, decimals, percent in _KPI_COLUMNS]


def kpi_table(scenario: Scenario, summary: pd.DataFrame, totals: pd.Series, analytic: pd.DataFrame | None) -> Table:
    target = f"{scenario.targets.within:g}s"
    table = Table(title=f"{scenario.name} — {scenario.replications} replications, mean ±95% CI", show_lines=False)
    for header in (
        "interval",
        "offered",
        "answered",
        "abandon rate",
        f"SL offered ({target})",
        f"SL answered ({target})",
        "ASA s",
        "occupancy",
        "callbacks",
    ):
        table.add_column(header, justify="right")
    if analytic is not None:
        table.add_column(f"Erlang-A/MOL SL offered ({target})", justify="right", style="cyan")
        table.add_column("Erlang-A/MOL abandon", justify="right", style="cyan")
        table.add_column(f"transient SL offered ({target})", justify="right", style="magenta")
        table.add_column("transient abandon", justify="right", style="magenta")
    zone = scenario.start.tzinfo
    for _, row in summary.iterrows():
        start = datetime.fromtimestamp(row["interval_start"], zone).strftime("%H:%M")
        cells = [start, *_kpi_cells(row)]
        if analytic is not None:
            match = analytic[analytic["interval_start"] == row["interval_start"]]
            sl = match["sl_offered"].iloc[0] if len(match) else float("nan")
            ab = match["p_abandon"].iloc[0] if len(match) else float("nan")
            cells += [_fmt(sl, 1, True), _fmt(ab, 1, True)]
            cells += [
                _fmt(match[c].iloc[0] if len(match) else float("nan"), 1, True)
                for c in ("transient_sl_offered", "transient_p_abandon")
            ]
        table.add_row(*cells)
    cells = ["all", *_kpi_cells(totals)]
    if analytic is not None:
        cells += ["", "", "", ""]
    table.add_row(*cells, style="bold")
    return table


def run(
    console: Console,
    path: Path,
    replications: int | None,
    seed: int | None,
    workers: int | None,
    out: Path,
    compare_analytic: bool,
    queue_log: bool,
) -> None:
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

    def verdict(metric: str, goal: float, at_least: bool) -> str:
        said = target_verdict(
            totals.get(metric, math.nan),
            totals.get(f"{metric}_ci_low", math.nan),
            totals.get(f"{metric}_ci_high", math.nan),
            goal,
            at_least=at_least,
        )
        return f"[{'green' if said.startswith('met') else 'red' if said == 'missed' else 'yellow'}]{said}[/]"

    console.print(
        f"targets: {target.service_level:.0%} answered within {target.within:g}s "
        f"{verdict('sl_offered', target.service_level, True)}, "
        f"abandon rate ≤ {target.max_abandon_rate:.0%} {verdict('abandon_rate', target.max_abandon_rate, False)}"
        " (95% confidence)"
    )
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
