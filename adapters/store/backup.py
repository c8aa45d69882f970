"""Backup and restore of the store, whichever database it is.

* SQLite: SQLite's online backup (``sqlite3.Connection.backup``) -- a consistent copy while the services run;
  restore copies the file back the same way (stop the services first).
* PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists --no-owner`` (the client tools
  of the server's major version must be on ``PATH``).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from adapters.store.settings import StoreSettings


class BackupError(RuntimeError):
    """The backup or restore could not be made; the message says why."""


def _sqlite_file(settings: StoreSettings) -> Path:
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database)


def _libpq_url(settings: StoreSettings) -> str:
    return make_url(settings.database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(tool: str, *args: str) -> None:
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (PostgreSQL's client tools, package postgresql-client)")
    done = subprocess.run([tool, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()}")


def _copy_sqlite(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def backup(settings: StoreSettings, target: Path) -> Path:
    """Write a backup of the store to ``target`` (a SQLite file, or a pg_dump archive)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if settings.is_sqlite:
        source = _sqlite_file(settings)
        if not source.exists():
            raise BackupError(f"no database at {source}")
        _copy_sqlite(source, target)
    else:
        _run("pg_dump", "--format=custom", "--no-owner", "--file", str(target), _libpq_url(settings))
    return target


def restore(settings: StoreSettings, source: Path) -> None:
    """Replace the store's contents with the backup at ``source`` (the services stopped)."""
    source = Path(source)
    if not source.exists():
        raise BackupError(f"no backup at {source}")
    if settings.is_sqlite:
        target = _sqlite_file(settings)
        target.parent.mkdir(parents=True, exist_ok=True)
        _copy_sqlite(source, target)
    else:
        _run(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--dbname",
            _libpq_url(settings),
            str(source),
        )
