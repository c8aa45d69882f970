"""``hotline report ...``: the report list (reports/tables.py) on screen, as CSV or as an Excel workbook.

The event log comes from ``--log FILE`` (the Parquet file ``hotline simulate`` writes, or a queue_log text
file) or, by default, from the store (``HOTLINE_DATABASE_URL`` or the SQLite file in ``HOTLINE_DATA_DIR``).
Bad input (a missing or unreadable file, a malformed airings CSV) exits with status 2 and a one-line reason.
"""

from __future__ import annotations

import functools
import inspect
import math
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
from rich.table import Table

from entrypoints.report_inputs import Airings, BadInput, Inputs, Log, Offset, Replication, Source
from entrypoints.terminal import console, fail, fail_on_input
from inputs.problems import InputFileError

report_app = typer.Typer(
    help="Reports from the event log (a simulation's Parquet file or the store): agents, queues, callbacks, "
    "orders, media ROI; on screen, as CSV or as one Excel workbook.",
    no_args_is_help=True,
)

CsvDir = Annotated[Optional[Path], typer.Option("--csv", help="Also write each table as DIR/<report>.csv.")]
Xlsx = Annotated[
    Optional[Path], typer.Option("--xlsx", help="Also write the tables to this Excel workbook, one sheet per report.")
]

# --- showing and writing -----------------------------------------------------------------------------

_PERCENT = ("rate", "sl_", "occupancy")
_SECONDS = ("_s", "aht", "asa", "att", "longest_wait")
_SKIP_ON_SCREEN = {
    "interval_start",
    "interval_end",
    "period_start",
    "period_end",
    "inbound_talk_s",
    "callback_talk_s",
    "expected_calls",
    "conversion_rate",
    "average_order_value",
    "answered_in_target",
    "short_abandoned",
    "sl_answered",
    "queued",
    "callbacks_created",
}


_UNKNOWN_WITHOUT_LOGINS = ("logged_in_s", "idle_s", "occupancy")  # agents: NaN = the log has no login records


def _cell(column: str, value, zone: tzinfo, unknown: tuple[str, ...] = ()) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown" if column in unknown else ""
    if isinstance(value, (bool, int)) or (column in ("orders", "units") and float(value).is_integer()):
        return f"{int(value):,}"
    if column == "start":
        return datetime.fromtimestamp(value, zone).strftime("%Y-%m-%d %H:%M")
    if any(column.startswith(p) or p in column for p in _PERCENT):
        return f"{value:.1%}"
    if any(column.endswith(s) for s in _SECONDS):
        seconds = int(round(float(value)))
        return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return f"{value:,.2f}"


def _show(title: str, table, utc_offset_h: float | None) -> None:
    from reports.periods import local_zone

    zone = local_zone(utc_offset_h)
    columns = [c for c in table.columns if c not in _SKIP_ON_SCREEN]
    view = Table(title=title, title_justify="left")
    for column in columns:
        text = table[column].dtype.kind not in "biuf"
        widest = max([len(str(v)) for v in table[column].head(500)], default=0)
        view.add_column(
            column, justify="left" if text else "right", min_width=min(widest, 30) if text else None, no_wrap=text
        )
    unknown = _UNKNOWN_WITHOUT_LOGINS if title.startswith("agents") else ()
    for row in table[columns].itertuples(index=False):
        view.add_row(*(_cell(c, v.item() if hasattr(v, "item") else v, zone, unknown) for c, v in zip(columns, row)))
    console.print(view)
    console.print(f"{len(table)} row(s)", highlight=False)


def _export(tables: dict, csv_dir: Path | None, xlsx: Path | None) -> None:
    from reports.export import write_csv, write_xlsx

    written = []
    if csv_dir is not None:
        written += write_csv(tables, csv_dir)
    if xlsx is not None:
        written.append(write_xlsx(tables, xlsx))
    if written:
        console.print("wrote " + ", ".join(str(p) for p in written), highlight=False, soft_wrap=True)


@dataclass
class ReportRun:
    """What every report command takes: where the log comes from, the clock's offset, where tables go."""

    inputs: Inputs
    utc_offset: float | None
    csv: Path | None
    xlsx: Path | None

    def tables(self, build: Callable[[object], dict], show: bool = True) -> None:
        """Read the log, build the tables, show them (or their row counts), export them; bad input -> exit 2."""
        try:
            tables = build(self.inputs.log())
        except BadInput as error:
            fail(error, 2)
        except InputFileError as error:
            fail_on_input(error)
        finally:
            self.inputs.close()
        for name, table in tables.items():
            if show:
                _show(name, table, self.utc_offset)
            else:
                console.print(f"{name}: {len(table)} row(s)", highlight=False)
        _export(tables, self.csv, self.xlsx)


# the options every report takes, after its own
_COMMON = [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=option)
    for name, option, default in (
        ("log", Log, None),
        ("replication", Replication, 0),
        ("source", Source, None),
        ("utc_offset", Offset, None),
        ("csv", CsvDir, None),
        ("xlsx", Xlsx, None),
    )
]


def report_command(name: str | None = None):
    """Register ``fn(run, **its own options)`` as ``hotline report NAME``: the options every report takes
    (--log, --replication, --source, --utc-offset, --csv, --xlsx) follow its own and come to it as ``run``."""

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        own = [p for p in inspect.signature(fn, eval_str=True).parameters.values() if p.name != "run"]

        @functools.wraps(fn)
        def command(**options) -> None:
            inputs = Inputs(options.pop("log"), options.pop("replication"), options.pop("source"))
            run = ReportRun(inputs, options.pop("utc_offset"), options.pop("csv"), options.pop("xlsx"))
            fn(run, **options)

        command.__signature__ = inspect.Signature(own + _COMMON)  # type: ignore[attr-defined]  # what typer reads
        return report_app.command(name)(command)

    return register


# --- the commands ------------------------------------------------------------------------------------


@report_command()
def agents(
    run: ReportRun,
    period: Annotated[str, typer.Option(help="day | week (ISO, Monday first) | month, in local time.")] = "day",
):
    """Per agent and day, week or month: logged-in, talk, wrap-up, idle and not-ready time, calls answered,
    transfers, callbacks, ring-no-answers, average handle time and occupancy."""
    from reports.periods import PERIODS
    from reports.tables import agent_report

    if period not in PERIODS:
        _bad_option("--period", f"{period!r} is not one of {', '.join(PERIODS)}")
    run.tables(lambda frame: {f"agents_{period}": agent_report(frame, period, utc_offset_h=run.utc_offset)})


@report_command()
def queues(
    run: ReportRun,
    interval: Annotated[float, typer.Option(min=1, help="Interval length in minutes.")] = 15,
    target: Annotated[float, typer.Option(min=0, help="Service-level target: answered within this many seconds.")] = 20,
):
    """Per queue and interval: calls offered, answered, abandoned, abandonment rate, sent to callback,
    service level, average speed of answer, longest wait and average handle time."""
    from reports.tables import queue_report

    run.tables(lambda frame: {"queues": queue_report(frame, interval * 60, target, utc_offset_h=run.utc_offset)})


@report_command()
def callbacks(run: ReportRun):
    """Callback tickets per queue and hotline: opened, attempts, outcomes (ordered, cancelled, unreachable,
    inquiry, complaint), expired, closed, and the share of closed tickets that ended in an order."""
    from reports.tables import callback_outcomes

    run.tables(lambda frame: {"callbacks": callback_outcomes(frame)})


Window = Annotated[float, typer.Option(min=0, help="ROI: response window after an airing ends, minutes.")]
Baseline = Annotated[
    float,
    typer.Option(
        min=0, help="ROI: calls per hour on each hotline that no airing caused (they are not credited to airings)."
    ),
]


@report_command()
def orders(
    run: ReportRun,
    airings: Airings = None,
):
    """Orders, units and revenue per product and per airing. From the store: its orders (cancelled ones left
    out). From a log file: its ORDER_PLACED records, which name no product or units (the airing's product
    stands in when --airings is given)."""
    from reports.tables import order_tables

    def build(frame) -> dict:
        return order_tables(run.inputs.orders(frame), run.inputs.airings(airings, run.utc_offset, required=False))

    run.tables(build)


@report_command()
def roi(
    run: ReportRun,
    airings: Airings = None,
    window: Window = 30,
    baseline: Baseline = 0,
):
    """Media ROI per airing: calls, answered, abandoned, callback tickets, orders and revenue attributed to
    it, cost per call, cost per order, MER (revenue / cost) and revenue lost to abandonment."""
    from reports.tables import roi_report

    def build(frame) -> dict:
        model = _response_model(window, baseline)
        return {"roi": roi_report(frame, run.inputs.airings(airings, run.utc_offset), model)}

    run.tables(build)


def _response_model(window_min: float, baseline_per_hour: float):
    from core.media import ResponseModel, constant_baseline

    return ResponseModel(window=window_min * 60, baseline=constant_baseline(baseline_per_hour / 3600))


@report_command("all")
def all_reports(
    run: ReportRun,
    airings: Airings = None,
    window: Window = 30,
    baseline: Baseline = 0,
    period: Annotated[str, typer.Option(help="Agent report period: day | week | month.")] = "day",
    interval: Annotated[float, typer.Option(min=1, help="Queue report interval, minutes.")] = 15,
    target: Annotated[float, typer.Option(min=0, help="Service-level target, seconds.")] = 20,
):
    """Every report at once, written to one Excel workbook (--xlsx, a sheet per report) and/or CSV files
    (--csv); prints each report's row count. ROI is included when airings are known (--airings or the store)."""
    from reports.periods import PERIODS
    from reports.tables import all_reports as every_report

    if period not in PERIODS:
        _bad_option("--period", f"{period!r} is not one of {', '.join(PERIODS)}")
    if run.csv is None and run.xlsx is None:
        _bad_option("--xlsx", "say where to write: --xlsx FILE and/or --csv DIR")

    def build(frame) -> dict:
        return every_report(
            frame,
            run.inputs.orders(frame),
            run.inputs.airings(airings, run.utc_offset, required=False),
            period=period,
            interval_s=interval * 60,
            target_s=target,
            utc_offset_h=run.utc_offset,
            roi_model=_response_model(window, baseline),
        )

    run.tables(build, show=False)


def _bad_option(option: str, message: str) -> None:
    fail(f"{option}: {message}", 2)
