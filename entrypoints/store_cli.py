"""``hotline callbacks ...`` and ``hotline import ...``: the store's commands (mounted by entrypoints/cli.py).

The database is ``HOTLINE_DATABASE_URL`` or the SQLite file in ``HOTLINE_DATA_DIR`` (default ./data),
created and migrated on first use.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from entrypoints.terminal import console, errors, fail, open_store_or_exit, progress_bar, say_error

callbacks_app = typer.Typer(help="Callback tickets in the store: list them, expire old ones.", no_args_is_help=True)
import_app = typer.Typer(help="Import call records into the store's event log.", no_args_is_help=True)


@import_app.callback()
def _import_group() -> None:
    """Import call records into the store's event log."""


_SOURCE_HELP = "Tickets of this source (the live center's is '')."


def _open():
    from adapters.store.settings import StoreSettings

    settings = StoreSettings()
    return open_store_or_exit(settings), settings


def _when(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


@callbacks_app.command("expire")
def expire(
    now: Annotated[Optional[float], typer.Option(help="Epoch seconds to expire at (default: the clock).")] = None,
    source: Annotated[str, typer.Option(help=_SOURCE_HELP)] = "",
    log_source: Annotated[
        str,
        typer.Option(help="Write CALLBACK_EXPIRED records to the event log under this source, so reports count them."),
    ] = "store",
):
    """Close open and waiting tickets past their expiry (3 days after creation) and reopen tickets whose retry
    is due. Prints how many expired. Run it from cron, or let the service's periodic task do it."""
    from adapters.store.uow import SqlUnitOfWork
    from app.callbacks import expire_callbacks
    from core.messages import ExpireCallbacks

    engine, _ = _open()
    try:
        uow = SqlUnitOfWork(engine, ticket_source=source, ticket_log_source=log_source or None)
        reopened, expired = expire_callbacks(ExpireCallbacks(time.time() if now is None else now), uow)
        console.print(f"{len(expired)} callback ticket(s) expired", highlight=False)
        if reopened:
            console.print(f"{len(reopened)} callback ticket(s) reopened for a retry", highlight=False)
    finally:
        engine.dispose()


@callbacks_app.command("list")
def list_tickets(
    all_: Annotated[
        bool, typer.Option("--all", help="Every ticket, closed ones too (default: claimable ones, in callback order).")
    ] = False,
    queue: Annotated[Optional[list[str]], typer.Option(help="Only these queues (repeatable).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many rows.")] = 50,
    now: Annotated[Optional[float], typer.Option(help="Epoch seconds (default: the clock).")] = None,
    source: Annotated[str, typer.Option(help=_SOURCE_HELP)] = "",
):
    """The callback list: urgent first, then first-come."""
    engine, _ = _open()
    try:
        from adapters.store.tickets import SqlTickets

        tickets = SqlTickets(engine, source=source)
        if all_:
            rows = [t for t in tickets.all() if queue is None or t.queue in queue][:limit]
        else:
            rows = tickets.ordered(time.time() if now is None else now, queues=queue, limit=limit)
        table = Table(
            "ticket",
            "priority",
            "created (UTC)",
            "number",
            "queue",
            "hotline",
            "airing",
            "status",
            "claimer",
            "attempts",
            "outcome",
        )
        for t in rows:
            table.add_row(
                t.ticket_id,
                t.priority,
                _when(t.created_at),
                t.number,
                t.queue,
                t.hotline,
                t.airing,
                t.status,
                t.claimer or "",
                str(t.attempts),
                t.outcome or "",
            )
        console.print(table)
        console.print(f"{len(rows)} ticket(s)", highlight=False)
    finally:
        engine.dispose()


def _parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


@import_app.command("anonymous-bank")
def anonymous_bank(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="CSV files in the format of tests/data/anonymous-bank/"
            "calls_one_day.csv, or folders of them (their *.csv).",
            exists=True,
            readable=True,
        ),
    ],
    date: Annotated[
        str,
        typer.Option(
            help="The day the clock times belong to (a file whose name holds a date, "
            "e.g. calls_1999-08-02.csv, is put on that day)."
        ),
    ] = "1999-08-01",
    zone: Annotated[
        Optional[str],
        typer.Option(
            help="Time zone of the clock times, an IANA name such as "
            "Asia/Jerusalem (default: the site's zone, Asia/Shanghai), "
            "so reports cut the file's day as one local day."
        ),
    ] = None,
    source: Annotated[
        Optional[str],
        typer.Option(
            help="Event-log source to store the records under, one file "
            "only (default: anonymous-bank/<file name>/<date>)."
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the records of a source imported before.")
    ] = False,
):
    """Load days of the Anonymous Bank call records into the event log (ENTERQUEUE, CONNECT, COMPLETECALLER,
    ABANDON; VRU-only hang-ups and phantom calls as VRU_HANGUP / PHANTOM records, which are not calls of the
    queue). Many files and folders in one command, each file its own source. All or nothing: every file is
    checked first, a malformed row is reported with its file and line, and then nothing is stored."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from adapters.store.anonymous_bank import (
        AlreadyImported,
        ImportFormatError,
        ImportFormatErrors,
        csv_files,
        import_files,
    )
    from core.config import SITE_ZONE

    day = _parse_date(date)
    try:
        tz = SITE_ZONE if zone is None else ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise typer.BadParameter(
            f"{zone!r} is not a time zone name (e.g. Asia/Shanghai)", param_hint="--zone"
        ) from None
    paths = csv_files(files)
    if not paths:
        raise typer.BadParameter("no *.csv file in the folder(s) given", param_hint="FILES")
    if source is not None and len(paths) > 1:
        raise typer.BadParameter(f"one source for {len(paths)} files; leave --source out", param_hint="--source")
    engine, settings = _open()
    started = time.perf_counter()
    try:
        with progress_bar(errors) as progress:
            task = progress.add_task(f"importing {len(paths)} file(s)", total=None)

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            results = import_files(
                engine,
                paths,
                date=day,
                sources=None if source is None else [source],
                replace=replace,
                zone=tz,
                progress=report,
                date_from_name=source is None,
            )
    except (ImportFormatError, ImportFormatErrors) as error:
        for line in str(error).splitlines():
            say_error(line)
        errors.print("nothing was imported", highlight=False)
        raise typer.Exit(2) from None
    except AlreadyImported as error:
        fail(f"{error}; nothing was imported", 2)
    finally:
        engine.dispose()
    for result in results:
        o = result.by_outcome
        for warning in result.warnings:
            errors.print(f"[yellow]warning[/yellow] {warning}", markup=True, highlight=False, soft_wrap=True)
        console.print(
            f"imported {result.rows} calls as {result.records} records into {settings.redacted_url()} "
            f"(source {result.source!r}): {o['answered']} answered, {o['abandoned']} abandoned in the queue, "
            f"{o['vru_hangup']} hung up in the VRU, {o['phantom']} phantom",
            highlight=False,
            soft_wrap=True,
        )
    rows = sum(r.rows for r in results)
    elapsed = time.perf_counter() - started
    console.print(
        f"{len(results)} file(s), {rows} rows in {elapsed:.1f} s ({rows / max(elapsed, 1e-9):,.0f} rows/s)",
        highlight=False,
    )


def store_app() -> typer.Typer:
    """Both apps mounted as ``hotline`` mounts them (``callbacks``, ``import``): for tests and for
    ``python -m entrypoints.store_cli``."""
    app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
    app.add_typer(callbacks_app, name="callbacks")
    app.add_typer(import_app, name="import")
    return app


if __name__ == "__main__":  # pragma: no cover
    store_app()()
