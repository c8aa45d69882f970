"""``hotline site ...``: the site configuration in the store (mounted by entrypoints/cli.py).

The store is ``HOTLINE_DATABASE_URL`` or the SQLite file in ``HOTLINE_DATA_DIR`` (default ./data). A bad
file is refused with every problem as ``file:line: field: message`` and exit status 2; the stored
configuration is then unchanged.
"""

from __future__ import annotations

import datetime as dt
import getpass
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from entrypoints.terminal import check_files, console, errors, fail_on_input, open_store_or_exit
from twin.yamlfile import InputFileError, Problem

site_app = typer.Typer(
    help="The site configuration in the store: show, export, import, validate.", no_args_is_help=True
)

Version = Annotated[Optional[int], typer.Option("--version", min=1, help="This version instead of the latest.")]


def _store():
    from adapters.store.settings import StoreSettings
    from adapters.store.site import SqlSiteConfigs

    engine = open_store_or_exit(StoreSettings())
    return engine, SqlSiteConfigs(engine)


def _stored(configs, version: int | None):
    from adapters.store.site import UnknownSiteVersion

    try:
        found = configs.latest() if version is None else configs.get(version)
    except UnknownSiteVersion as error:
        errors.print(f"error: {error}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    if found is None:
        errors.print(
            "no site configuration is stored yet: import one, e.g. hotline site import scenarios/live_program.yaml",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1)
    return found


def _when(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


@site_app.command()
def show(version: Version = None):
    """Summarise the site configuration in force (or VERSION) and list the versions saved."""
    from twin.site import site_from_document

    engine, configs = _store()
    try:
        stored = _stored(configs, version)
        config = site_from_document(stored.document).config
        console.print(
            f"site configuration version {stored.version}, saved {_when(stored.saved_at)} by "
            f"{stored.saved_by} ({stored.note})",
            highlight=False,
        )
        groups = sorted({group for agent in config.agents for group in agent.skills})
        console.print(
            f"hotlines {len(config.hotlines)}: " + ", ".join(f"{h.number} -> {h.queue}" for h in config.hotlines),
            highlight=False,
        )
        console.print(
            f"agents {len(config.agents)} in groups {', '.join(groups)}; strategy {config.policy.strategy}, "
            f"surge settings for {', '.join(config.surge) or 'no airing kind'}",
            highlight=False,
        )
        for saved in configs.history(20):
            console.print(
                f"  v{saved.version}  {_when(saved.saved_at)}  {saved.saved_by}  {saved.note}", highlight=False
            )
    finally:
        engine.dispose()


@site_app.command("export")
def export(
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write to this file (default: print).")] = None,
    version: Version = None,
):
    """The site configuration as a site file (the scenario format); edit it and import it again."""
    from twin.site import site_from_document, site_yaml

    engine, configs = _store()
    try:
        stored = _stored(configs, version)
        text = site_yaml(
            site_from_document(stored.document),
            f"Hotline site configuration, version {stored.version}, saved by {stored.saved_by}",
        )
    finally:
        engine.dispose()
    if out is None:
        console.out(text, end="", highlight=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"version {stored.version} written to {out}", highlight=False)


@site_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A site file, or a whole scenario (its site part is used).")],
    by: Annotated[Optional[str], typer.Option(help="Who makes the change (default: cli:<login>).")] = None,
    expected_version: Annotated[
        Optional[int], typer.Option(min=0, help="Refuse unless this is the latest version (0: none stored yet).")
    ] = None,
):
    """Validate FILE and store it as the new site configuration (a new version)."""
    from adapters.store.site import SiteConflict
    from console.routers.site import unknown_users
    from twin.site import load_site, site_document

    try:
        site = load_site(file)
    except InputFileError as error:
        fail_on_input(error)
    engine, configs = _store()
    try:
        problems = unknown_users(engine, site.agent_users)
        if problems:
            fail_on_input(InputFileError([Problem(str(file), None, p.field, p.message) for p in problems]))
        try:
            saved = configs.save(
                site_document(site),
                by or f"cli:{getpass.getuser()}",
                time.time(),
                f"import {file.name}",
                expected_version,
            )
        except SiteConflict as error:
            errors.print(f"error: {error}", markup=False, highlight=False)
            raise typer.Exit(1) from None
    finally:
        engine.dispose()
    console.print(f"site configuration version {saved.version} stored from {file}", highlight=False)


@site_app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="Site or scenario files to check.")]):
    """Check site files without storing them; every problem is listed with file, line and field (exit 2)."""
    from twin.site import load_site

    check_files(files, load_site)
