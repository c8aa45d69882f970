"""``hotline campaigns``: outbound campaigns in the twin before they run (more through the console's API,
``/api/campaigns``: creation, approval, lists, results)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from entrypoints.terminal import console, fail_on_input
from inputs.problems import InputFileError

campaigns_app = typer.Typer(no_args_is_help=True, context_settings={"help_option_names": ["-h", "--help"]})
MODES = ("progressive", "predictive", "preview", "broadcast")


@campaigns_app.command("simulate")
def simulate(
    scenario: Annotated[
        Path, typer.Argument(help="Outbound scenario (YAML), e.g. scenarios/outbound/predictive.yaml.")
    ],
    mode: Annotated[
        Optional[list[str]],
        typer.Option("--mode", "-m", help=f"Dialing mode(s) to compare: {', '.join(MODES)} (default: the scenario's)."),
    ] = None,
    cap: Annotated[
        Optional[float], typer.Option(min=0.001, max=0.5, help="Drop-rate cap (default: the scenario's).")
    ] = None,
    seed: Annotated[Optional[int], typer.Option(help="Override the scenario's seed.")] = None,
):
    """Run a campaign in the twin with the live dialer's pacing: per mode, the attempts, answers, contacts,
    drops and drop rate (dropped / answered, under the cap), and contacts per agent-hour."""
    from twin.outbound import load_outbound
    from twin.outbound import simulate as run

    try:
        spec = load_outbound(scenario)
    except InputFileError as error:
        fail_on_input(error)
    for name in mode or ():
        if name not in MODES:
            raise typer.BadParameter(f"{name!r} is not one of {', '.join(MODES)}", param_hint="--mode")
    table = Table(title=f"{spec.name}: {spec.numbers} numbers, {spec.agents} agents")
    columns = ("mode", "attempts", "answered", "contacts", "drops", "drop_rate", "contacts_per_agent_hour", "occupancy")
    for column in columns:
        table.add_column(column, justify="left" if column == "mode" else "right")
    with console.status("simulating ..."):
        for name in mode or [spec.mode]:
            result = run(spec, mode=name, drop_cap=cap, seed=seed)
            table.add_row(*(f"{result[c]:.2%}" if c == "drop_rate" else str(result[c]) for c in columns))
    console.print(table)
