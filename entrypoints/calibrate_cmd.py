"""``hotline calibrate``: fit the twin to an event log and write the scenario (``twin/calibrate.py``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from entrypoints.report_inputs import Airings, BadInput, Inputs, Log, Offset, Replication, Source
from entrypoints.terminal import console, errors, fail, fail_on_input, progress_bar
from inputs.problems import InputFileError


def calibrate(
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="The scenario to write (YAML); its forecast CSV goes beside it as <name>_forecast.csv."
        ),
    ] = Path("calibrated.yaml"),
    interval: Annotated[float, typer.Option(min=1, help="Interval length in minutes (local time).")] = 15,
    log: Log = None,
    replication: Replication = 0,
    source: Source = None,
    utc_offset: Offset = None,
    airings: Airings = None,
    holdout_log: Annotated[Optional[Path], typer.Option(help="A held-back day to predict: an event log file.")] = None,
    holdout_source: Annotated[
        Optional[str], typer.Option(help="A held-back day to predict: a source in the store.")
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Predict the calibration's own log (in-sample) when no held-back day is given."),
    ] = False,
    replications: Annotated[
        int, typer.Option("--replications", "-r", min=1, help="Replications of the prediction.")
    ] = 5,
    csv: Annotated[
        Optional[Path],
        typer.Option("--csv", help="Also write fit.csv, airings.csv, response_curves.csv and prediction.csv here."),
    ] = None,
):
    """Fit the twin to an event log (imported records or live; the store by default): arrivals per interval,
    each airing's response curve, patience by survival analysis (abandons observed, answered calls censored
    at their wait), handle time and the agents busy per interval. Writes a scenario 'hotline simulate' runs.
    With --holdout-source / --holdout-log (or --check), simulates it and prints how close it comes to that
    day, per interval and in total."""
    from reports.export import write_csv
    from twin.calibrate import calibrate as fit
    from twin.calibrate import fit_table, write_scenario
    from twin.site import load_scenario

    inputs = Inputs(log, replication, source)
    held_back = Inputs(holdout_log, replication, holdout_source)
    try:
        frame = inputs.log()
        schedule = inputs.airings(airings, utc_offset, required=False)
        result = fit(frame, interval=interval * 60, utc_offset_h=utc_offset, airings=schedule)
        holdout = None
        if holdout_log is not None or holdout_source is not None:
            holdout = held_back.log()
        elif check:
            holdout = frame
    except (BadInput, ValueError) as error:
        fail(error, 2)
    except InputFileError as error:
        fail_on_input(error)
    finally:
        inputs.close()
        held_back.close()
    tables = {"fit": fit_table(result), "airings": result.airings, "response_curves": result.curves}
    view = Table("parameter", "value", "95% interval", "basis", title="calibration", title_justify="left")
    for row in tables["fit"].itertuples():
        ci = "" if math.isnan(row.low) else f"{row.low:,.1f} – {row.high:,.1f}"
        view.add_row(row.parameter, f"{row.value:,.1f}", ci, row.basis)
    console.print(view)
    if len(result.airings):
        console.print(
            f"{len(result.airings)} airing(s): expected calls "
            + ", ".join(
                f"{r.airing_id} {r.expected_calls:,.0f} (peak at minute {r.peak_minute})"
                for r in result.airings.itertuples()
            ),
            highlight=False,
            soft_wrap=True,
        )
    written = write_scenario(result, out, name=out.stem)
    if holdout is not None:
        tables["prediction"] = _predict(
            load_scenario(written[0]).model_copy(update={"replications": replications}), holdout, utc_offset
        )
    if csv is not None:
        written += write_csv({k: v for k, v in tables.items() if len(v)}, csv)
    console.print("wrote " + ", ".join(str(p) for p in written), highlight=False, soft_wrap=True)


def _predict(scenario, holdout, utc_offset):
    """Simulate the calibrated scenario and show it beside the held-back day."""
    from reports.tables import local_time
    from twin.calibrate import compare
    from twin.run import per_replication_kpis, run_replications, summarise

    with progress_bar(errors) as progress:
        task = progress.add_task("predicting: replications", total=scenario.replications)
        reps = run_replications(scenario, on_done=lambda r: progress.advance(task))
    per_interval, _ = per_replication_kpis(reps, scenario)
    table = compare(
        holdout, summarise(per_interval, ["interval_start"]), scenario.interval, scenario.targets.within, utc_offset
    )
    table.insert(
        0, "interval", local_time(table["interval_start"], utc_offset).where(table["interval_start"].notna(), "all")
    )
    view = Table(
        "interval",
        "offered",
        "predicted",
        "abandon rate",
        "predicted",
        "ASA s",
        "predicted",
        title=f"held-back day against the prediction ({scenario.replications} replications)",
        title_justify="left",
    )
    for row in table.itertuples():
        view.add_row(
            str(row.interval),
            f"{row.offered:,.0f}",
            f"{row.offered_predicted:,.1f}",
            f"{row.abandon_rate:.1%}",
            f"{row.abandon_rate_predicted:.1%}",
            f"{row.asa:,.1f}",
            f"{row.asa_predicted:,.1f}",
            style="bold" if row.interval == "all" else None,
        )
    console.print(view)
    total = table.iloc[-1]
    console.print(
        f"in total: offered {total['offered']:,.0f} against {total['offered_predicted']:,.1f} predicted, "
        f"abandon rate {total['abandon_rate']:.1%} against {total['abandon_rate_predicted']:.1%}, "
        f"ASA {total['asa']:,.1f} s against {total['asa_predicted']:,.1f} s",
        highlight=False,
    )
    return table
