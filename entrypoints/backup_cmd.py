"""``hotline store backup FILE`` and ``hotline store restore FILE``: the store's backup (mounted by
entrypoints/cli.py). The store is ``HOTLINE_DATABASE_URL`` or the SQLite file in ``HOTLINE_DATA_DIR``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from entrypoints.terminal import fail

backup_app = typer.Typer(help="Back the store up and restore it.", no_args_is_help=True)


@backup_app.command("backup")
def backup_command(
    target: Annotated[Path, typer.Argument(help="File to write: a SQLite copy, or a pg_dump archive on PostgreSQL.")],
):
    """Back the store up while the services run (SQLite's online backup; pg_dump on PostgreSQL)."""
    from adapters.store.backup import BackupError, backup
    from adapters.store.settings import StoreSettings

    settings = StoreSettings()
    try:
        backup(settings, target)
    except BackupError as error:
        fail(error)
    print(f"backed up {settings.redacted_url()} to {target}", flush=True)


@backup_app.command("restore")
def restore_command(
    source: Annotated[Path, typer.Argument(help="A file `hotline store backup` wrote.")],
    yes: Annotated[bool, typer.Option("--yes", help="Replace the store's contents without asking.")] = False,
):
    """Replace the store's contents with a backup. Stop `hotline serve` and `hotline live run` first."""
    from adapters.store.backup import BackupError, restore
    from adapters.store.settings import StoreSettings

    settings = StoreSettings()
    if not yes and not typer.confirm(f"Replace everything in {settings.redacted_url()} with {source}?"):
        raise typer.Exit(1)
    try:
        restore(settings, source)
    except BackupError as error:
        fail(error)
    print(f"restored {settings.redacted_url()} from {source}", flush=True)
