"""The ``hotline`` command. Thin: parse options, call the twin or an adapter, show the result."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from entrypoints.asterisk_cli import asterisk_app
from entrypoints.backup_cmd import backup_app
from entrypoints.calibrate_cmd import calibrate
from entrypoints.dash_cmd import dash
from entrypoints.live_cli import live_app
from entrypoints.outbound_cmd import campaigns_app
from entrypoints.plan_cmd import plan_command
from entrypoints.replay_cmd import replay
from entrypoints.report_cmd import report_app
from entrypoints.roster_cmd import roster
from entrypoints.serve_cmd import console_app
from entrypoints.site_cmd import site_app
from entrypoints.store_cli import callbacks_app, import_app
from entrypoints.terminal import check_files, console, fail_on_input
from inputs.problems import InputFileError

app = typer.Typer(
    help="Hotline: a TV-shopping call center. Simulate broadcast slots in the digital twin, replay QA suites, "
    "and run the live driver on Asterisk.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(asterisk_app, name="asterisk", help="Provision and control a local Asterisk for development and tests.")
app.add_typer(live_app, name="live", help="Run Hotline live on Asterisk through ARI (the Stasis app).")
app.add_typer(callbacks_app, name="callbacks", help="Callback tickets in the database: list them, expire old ones.")
app.add_typer(import_app, name="import", help="Load call records from other systems into the event log.")
app.add_typer(
    report_app,
    name="report",
    help="Reports from the event log: agents, queues, callbacks, orders, media ROI; CSV and Excel export.",
)
app.add_typer(console_app)  # hotline serve, hotline users
app.add_typer(backup_app, name="store", help="The store's backup: hotline store backup FILE, restore FILE.")
app.command("dash")(dash)
app.add_typer(campaigns_app, name="campaigns", help="Outbound campaigns: try a dialing mode and drop cap in the twin.")
app.add_typer(site_app, name="site", help="The site configuration in the store: show, export, import, validate.")
app.command(name="plan")(plan_command)
app.command()(roster)
app.command()(calibrate)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens, step by step.")] = False):
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(name)s %(message)s")


@app.command()
def simulate(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML), e.g. scenarios/live_program.yaml.")],
    replications: Annotated[
        Optional[int],
        typer.Option("--replications", "-r", min=1, help="Override the scenario's number of replications."),
    ] = None,
    seed: Annotated[
        Optional[int], typer.Option(help="Override the scenario's seed (same seed, same event log).")
    ] = None,
    workers: Annotated[Optional[int], typer.Option(min=1, help="Parallel processes (default: one per CPU).")] = None,
    out: Annotated[Path, typer.Option(help="Directory for events.parquet and kpis.csv.")] = Path("out"),
    compare_analytic: Annotated[
        bool,
        typer.Option(
            "--compare-analytic",
            help="Print the Erlang-A / modified-offered-load estimate beside the simulation, per interval.",
        ),
    ] = False,
    queue_log: Annotated[
        bool, typer.Option("--queue-log", help="Also write the log in Asterisk's queue_log format.")
    ] = False,
):
    """Run a scenario in the digital twin: replications in parallel, a per-interval KPI table with 95%
    confidence intervals, and the event log (Parquet) and KPI summary (CSV) written to OUT/<scenario>/."""
    from entrypoints import simulate_cmd

    try:
        simulate_cmd.run(console, scenario, replications, seed, workers, out, compare_analytic, queue_log)
    except InputFileError as error:
        fail_on_input(error)


app.command()(replay)


@app.command()
def validate(scenario: Annotated[list[Path], typer.Argument(help="Scenario files to check.")]):
    """Check scenario files without running them; every problem is listed with file, field and line."""
    from twin.site import load_scenario

    check_files(scenario, load_scenario)


@app.command()
def erlang(
    handle: Annotated[float, typer.Option(help="Mean handle time, seconds.", min=0.001)],
    patience: Annotated[float, typer.Option(help="Mean patience, seconds.", min=0.001)],
    rate: Annotated[Optional[float], typer.Option(help="Arrivals per second.", min=0)] = None,
    per_hour: Annotated[
        Optional[float], typer.Option("--per-hour", help="Arrivals per hour (instead of --rate).", min=0)
    ] = None,
    agents: Annotated[Optional[int], typer.Option(help="Agents on duty (not with --target).", min=1)] = None,
    within: Annotated[float, typer.Option(help="Service-level target time, seconds.")] = 20.0,
    target: Annotated[
        bool,
        typer.Option(
            "--target",
            help="Answer the fewest agents that meet --service-level "
            "(and --max-abandon) instead of the figures for --agents.",
        ),
    ] = False,
    service_level: Annotated[
        float, typer.Option(help="With --target: share answered within WITHIN.", min=0, max=1)
    ] = 0.8,
    max_abandon: Annotated[
        Optional[float], typer.Option(help="With --target: highest abandon rate.", min=0, max=1)
    ] = None,
):
    """Exact Erlang-A (M/M/c+M) figures for one stationary interval, or with --target the agents required."""
    from twin.analytic import erlang_a

    if (rate is None) == (per_hour is None):
        raise typer.BadParameter("give the arrival rate as --rate (per second) or --per-hour", param_hint="--rate")
    lam = rate if rate is not None else per_hour / 3600.0  # type: ignore[operator]
    if target:
        from entrypoints.plan_cmd import erlang_target

        erlang_target(lam, handle, patience, service_level, within, max_abandon)
        return
    if agents is None:
        raise typer.BadParameter("give --agents, or --target for the agents required", param_hint="--agents")
    result = erlang_a(lam, handle, patience, agents)
    console.print(f"P(wait)            {result.p_wait:.4f}")
    console.print(f"P(abandon)         {result.p_abandon:.4f}")
    console.print(f"SL offered ({within:g} s)  {result.sl_offered(within):.4f}")
    console.print(f"SL answered ({within:g} s) {result.sl_answered(within):.4f}")
    console.print(f"ASA of answered    {result.asa_answered:.2f} s")


def run() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
