"""The ``hotline`` command. Thin: parse options, call the twin or an adapter, show the result."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from entrypoints.asterisk_cli import asterisk_app
from entrypoints.live_cli import live_app
from entrypoints.outbound_cmd import campaigns_app
from entrypoints.report_cmd import report_app
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
app.add_typer(report_app, name="report", help="Reports from the event log: agents, queues, callbacks, orders, media ROI; CSV and Excel export.")
app.add_typer(console_app)  # hotline serve, hotline users
app.add_typer(campaigns_app, name="campaigns", help="Outbound campaigns: try a dialing mode and drop cap in the twin.")
app.add_typer(site_app, name="site", help="The site configuration in the store: show, export, import, validate.")


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens, step by step.")] = False):
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(name)s %(message)s")


@app.command()
def simulate(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML), e.g. scenarios/live_program.yaml.")],
    replications: Annotated[Optional[int], typer.Option("--replications", "-r", min=1,
                                                        help="Override the scenario's number of replications.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Override the scenario's seed (same seed, same event log).")] = None,
    workers: Annotated[Optional[int], typer.Option(min=1, help="Parallel processes (default: one per CPU).")] = None,
    out: Annotated[Path, typer.Option(help="Directory for events.parquet and kpis.csv.")] = Path("out"),
    compare_analytic: Annotated[bool, typer.Option("--compare-analytic",
                                                   help="Print the Erlang-A / modified-offered-load estimate "
                                                        "beside the simulation, per interval.")] = False,
    queue_log: Annotated[bool, typer.Option("--queue-log", help="Also write the log in Asterisk's queue_log format.")] = False,
):
    """Run a scenario in the digital twin: replications in parallel, a per-interval KPI table with 95%
    confidence intervals, and the event log (Parquet) and KPI summary (CSV) written to OUT/<scenario>/."""
    from entrypoints import simulate_cmd

    try:
        simulate_cmd.run(console, scenario, replications, seed, workers, out, compare_analytic, queue_log)
    except InputFileError as error:
        fail_on_input(error)


@app.command()
def replay(
    suite: Annotated[Path, typer.Argument(help="Directory of scenario files that declare 'expect:' KPI bands.")],
    workers: Annotated[Optional[int], typer.Option(min=1, help="Parallel processes (default: one per CPU).")] = None,
):
    """Run a QA suite: every scenario in SUITE, each KPI checked against its expected band.
    Prints pass/fail with the measured values; exits 1 if any expectation fails, 2 on a malformed file."""
    from entrypoints import simulate_cmd

    try:
        ok = simulate_cmd.replay(console, suite, workers)
    except InputFileError as error:
        fail_on_input(error)
    raise typer.Exit(0 if ok else 1)


@app.command()
def validate(scenario: Annotated[list[Path], typer.Argument(help="Scenario files to check.")]):
    """Check scenario files without running them; every problem is listed with file, field and line."""
    from twin.site import load_scenario

    check_files(scenario, load_scenario)


@app.command()
def erlang(
    rate: Annotated[float, typer.Option(help="Arrivals per second.", min=0)],
    handle: Annotated[float, typer.Option(help="Mean handle time, seconds.", min=0.001)],
    patience: Annotated[float, typer.Option(help="Mean patience, seconds.", min=0.001)],
    agents: Annotated[int, typer.Option(help="Agents on duty.", min=1)],
    within: Annotated[float, typer.Option(help="Service-level target time, seconds.")] = 20.0,
):
    """Exact Erlang-A (M/M/c+M) figures for one stationary interval."""
    from twin.analytic import erlang_a

    result = erlang_a(rate, handle, patience, agents)
    console.print(f"P(wait)            {result.p_wait:.4f}")
    console.print(f"P(abandon)         {result.p_abandon:.4f}")
    console.print(f"SL offered ({within:g} s)  {result.sl_offered(within):.4f}")
    console.print(f"SL answered ({within:g} s) {result.sl_answered(within):.4f}")
    console.print(f"ASA of answered    {result.asa_answered:.2f} s")


def run() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
