"""What the ``hotline`` commands print through, and how they give up: one place for all command modules.

* ``console`` / ``errors`` -- standard output and standard error. KPI tables are wide: when output goes to a
  file or a CI log, it is not squeezed into 80 columns.
* ``fail(message, code)`` -- one line ``error <message>`` on standard error, exit ``code``;
  ``fail_on_input(error)`` -- every problem of a bad input file (``file:line: field: message``), exit 2;
  ``check_files(paths, load)`` -- "ok" per good file, then every problem of the others (exit 2).
* ``progress_bar(to)`` -- the progress bar of long work (what, bar, done of total, time so far).
* ``open_store_or_exit(settings)`` -- the store's engine, migrated; a store that cannot be opened is one
  line on standard error and exit 1.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from inputs.problems import InputFileError

console = Console() if sys.stdout.isatty() else Console(width=200)
errors = Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=200)


def progress_bar(to: Console | None = None, transient: bool = False):
    """A ``rich.progress.Progress`` on ``to`` (standard output by default); ``transient``: gone when done."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # lazy: startup

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=to or console, transient=transient)


def say_error(message: object) -> None:
    errors.print(f"[red]error[/red] {escape(str(message))}", markup=True, highlight=False, soft_wrap=True)


def fail(message: object, code: int = 1) -> NoReturn:
    say_error(message)
    raise typer.Exit(code)


def fail_on_input(error: InputFileError) -> NoReturn:
    for problem in error.problems:
        say_error(problem)
    raise typer.Exit(2)


def check_files(paths, load) -> None:
    """``load(path)`` each file (it raises InputFileError on a bad one); list every problem of all of them."""
    problems = []
    for path in paths:
        try:
            load(path)
            console.print(f"[green]ok[/green] {path}")
        except InputFileError as error:
            problems.extend(error.problems)
    if problems:
        fail_on_input(InputFileError(problems))


def open_store_or_exit(settings):
    """``adapters.store.migrate.open_store(settings)`` (a ``StoreSettings``), or exit 1 saying why."""
    from adapters.store.migrate import open_store

    try:
        return open_store(settings)
    except Exception as error:  # a wrong URL, a server that is down, ...
        fail(f"cannot open the store {settings.redacted_url()}: {error}")
