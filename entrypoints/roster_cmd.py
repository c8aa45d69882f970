"""``hotline roster``: shifts covering a scenario's agents per interval at least cost (``twin/roster.py``)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from entrypoints.terminal import console, fail_on_input, say_error
from inputs.problems import InputFileError, Problem


def roster(
    scenario: Annotated[
        Path,
        typer.Argument(
            help="Scenario whose groups give the agents required per interval "
            "(staffing:, e.g. as 'hotline plan' writes it)."
        ),
    ],
    shifts: Annotated[
        Path,
        typer.Option(
            "--shifts", help="Shift types (YAML): length, start times, break window, min/max heads, cost per hour."
        ),
    ],
    group: Annotated[
        Optional[list[str]], typer.Option(help="Only these groups (repeatable; default: every group with staffing).")
    ] = None,
    csv: Annotated[
        Optional[Path], typer.Option("--csv", help="Write roster.csv and coverage.csv to this folder.")
    ] = None,
    xlsx: Annotated[
        Optional[Path], typer.Option("--xlsx", help="Write the roster and its coverage to this Excel workbook.")
    ] = None,
    scenario_out: Annotated[
        Optional[Path],
        typer.Option(
            "--scenario-out",
            help="Write the scenario again with each group's staffing replaced by the rostered "
            "shifts, ready for 'hotline simulate'.",
        ),
    ] = None,
):
    """Build the cheapest shift roster (排班) that covers the agents required in every interval, by an integer
    program (scipy milp / HiGHS). Prints each shift used with its heads and cost, and the coverage; an
    infeasible roster names the intervals that cannot be covered (exit 1). Bad input files exit 2."""
    import pandas as pd

    from reports.export import write_csv, write_xlsx
    from twin.roster import InfeasibleRoster, as_shift_specs, load_shift_types, roster_tables, solve_roster
    from twin.site import load_scenario
    from twin.yamlfile import load_yaml

    try:
        spec = load_scenario(scenario)
        types = load_shift_types(shifts)
        chosen = [g for g in spec.groups if group is None or g.name in group]
        unknown = sorted(set(group or ()) - {g.name for g in spec.groups})
        if unknown:
            raise InputFileError([Problem(str(scenario), None, "groups", f"no group named {', '.join(unknown)}")])
        chosen = [g for g in chosen if g.staffing is not None]
        if not chosen:
            raise InputFileError(
                [Problem(str(scenario), None, "groups", "no group gives its staffing (agents per interval) to roster")]
            )
    except InputFileError as error:
        fail_on_input(error)
    start = spec.start
    clock = start.hour * 3600 + start.minute * 60 + start.second
    tables: dict = {}
    specs: dict[str, list[dict]] = {}
    short = False
    for g in chosen:
        required = g.staffing if isinstance(g.staffing, tuple) else (g.staffing,) * spec.n_intervals

        def describe(t: int) -> str:
            lo = start + timedelta(seconds=t * spec.interval)
            return f"{g.name} {lo:%Y-%m-%d %H:%M}-{lo + timedelta(seconds=spec.interval):%H:%M}"

        try:
            result = solve_roster(required, spec.interval, types, start_clock=clock, describe=describe)
        except InfeasibleRoster as error:
            say_error(error)
            short = True
            continue
        for name, table in roster_tables(result, start, g.name).items():
            tables[name] = pd.concat([tables[name], table], ignore_index=True) if name in tables else table
        specs[g.name] = as_shift_specs(result)
        view = Table(title=f"{g.name}: {int(result.heads.sum())} agents, cost {result.cost:,.2f}", title_justify="left")
        for column in ("shift", "start", "end", "break", "heads", "cost"):
            view.add_column(column, justify="right")
        for row in tables["roster"].loc[tables["roster"]["group"] == g.name].itertuples():
            pause = f"{row.break_start[-5:]}-{row.break_end[-5:]}" if row.break_start else ""
            view.add_row(row.shift, row.start, row.end[-5:], pause, str(row.heads), f"{row.cost:,.2f}")
        console.print(view)
        covered = result.coverage >= result.required
        console.print(
            f"every one of {len(covered)} intervals covered; {int((result.coverage - result.required).sum())}"
            f" agent-intervals above the requirement",
            highlight=False,
        )
    if short:
        raise typer.Exit(1)
    written = []
    if csv is not None:
        written += write_csv(tables, csv)
    if xlsx is not None:
        written.append(write_xlsx(tables, xlsx))
    if scenario_out is not None:
        written.append(_write_scenario(load_yaml(scenario).data, Path(scenario), scenario_out, specs))
    if written:
        console.print("wrote " + ", ".join(str(p) for p in written), highlight=False, soft_wrap=True)


def _write_scenario(document: dict, source: Path, out: Path, specs: dict[str, list[dict]]) -> Path:
    """The scenario's YAML with each rostered group's staffing replaced by its shifts."""
    import yaml

    for item in document["groups"]:
        if item.get("name") in specs:
            item.pop("staffing", None)
            item["shifts"] = specs[item["name"]]
    forecast = document.get("forecast")
    if isinstance(forecast, dict) and "file" in forecast:  # keep the forecast found from the new file's folder
        forecast["file"] = os.path.relpath((source.parent / forecast["file"]).resolve(), out.parent.resolve())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out
