"""The live driver's composition root: one store for everything the driver shares with the console.

``hotline live run`` (live_cli.py) parses its options and calls ``serve``. Here the pieces meet:

* the routing model: the site configuration stored in the store (``hotline site import`` / ``PUT /api/site``),
  unless the command line names agents or numbers (the development model of ``stasis.build_config``);
* the driver (``adapters.asterisk.stasis.LiveDriver``) on that model;
* the shipper (``adapters.store.shipper.LogShipper``): the driver's log, tickets and call records into the store;
* the console's channel (``adapters.asterisk.commands.LiveChannel``): people's commands in, screen events out;
* the site watcher: a new stored version reaches the running core as ``ApplyConfig`` (calls keep going).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine

from adapters.asterisk.settings import LiveSettings
from adapters.store.outage import StoreOutage
from core import messages as m
from core.center import CommandRejected
from core.config import CenterConfig
from core.config_codec import config_from_dict, config_to_dict

log = logging.getLogger("hotline.live")

SITE_POLL_S = 2.0  # how often the driver looks for a new site configuration


SITE_FILE = "site.json"  # in the data directory: the configuration the journal started from, and the last applied


@dataclass(frozen=True)
class RoutingModel:
    config: CenterConfig
    site_version: int | None  # the last stored version the core has; None: the command line's development model
    description: str


def routing_model(
    engine: Engine | None, development: Callable[[], CenterConfig], prefer_development: bool, data_dir: Path
) -> RoutingModel:
    """The stored site configuration, unless there is none (or no store) or the command line asked for the
    development model.

    The journal replays into a core built from the configuration it started from, so that configuration is
    kept in the data directory (``site.json``) and used on every restart; the versions stored since reach the
    core as ``ApplyConfig`` (journalled, so replayed too). So a restart needs no database."""
    if prefer_development:
        config = development()
        return RoutingModel(
            config,
            None,
            f"the development model ({len(config.agents)} agents, one queue): the command line's agents/numbers",
        )
    cached = Path(data_dir) / SITE_FILE
    if cached.exists():
        kept = json.loads(cached.read_text(encoding="utf-8"))
        return RoutingModel(
            config_from_dict(kept["config"]),
            int(kept["applied"]),
            f"site configuration version {kept['version']} (journal start, {cached}; "
            f"version {kept['applied']} applied since)",
        )
    stored = _stored_site(engine) if engine is not None else None
    if stored is not None:
        version, config = stored
        _keep(cached, config, version)
        return RoutingModel(config, version, f"site configuration version {version} from the store")
    config = development()
    return RoutingModel(
        config,
        None,
        f"the development model ({len(config.agents)} agents, one queue): no site "
        "configuration is stored (load one with `hotline site import FILE`)",
    )


def _keep(cached: Path, config: CenterConfig, version: int) -> None:
    _write_site_file(cached, {"version": version, "applied": version, "config": config_to_dict(config)})


def _note_applied(cached: Path, version: int) -> None:
    _write_site_file(cached, {**json.loads(cached.read_text(encoding="utf-8")), "applied": version})


def _write_site_file(cached: Path, kept: dict) -> None:
    """Whole or not at all: a crash mid-write leaves the previous file."""
    cached.parent.mkdir(parents=True, exist_ok=True)
    temporary = cached.with_suffix(".tmp")
    temporary.write_text(json.dumps(kept), encoding="utf-8")
    temporary.replace(cached)


def _stored_site(engine: Engine, newer_than: int | None = None) -> tuple[int, CenterConfig] | None:
    """The latest stored version and its configuration; None when there is none (newer than ``newer_than``).
    Only a new version's document is parsed and checked."""
    from adapters.store.site import SqlSiteConfigs
    from twin.site import site_from_document

    latest = SqlSiteConfigs(engine).latest()
    if latest is None or (newer_than is not None and latest.version <= newer_than):
        return None
    return latest.version, site_from_document(latest.document).config


async def watch_site(driver, engine: Engine, version: int, poll: float = SITE_POLL_S) -> None:
    """Apply every new stored site version to the running core (``ApplyConfig``); a version the core refuses
    is logged and the running configuration stays. The data directory's ``site.json`` notes the last applied."""
    outage = StoreOutage(log, "site watcher")
    while True:
        await asyncio.sleep(poll)
        try:
            stored = await asyncio.to_thread(_stored_site, engine, version)
        except Exception as exc:  # the database away, or a stored document this code cannot read
            outage.failed(exc, "reading the site configuration")
            continue
        outage.answered()
        if stored is None:
            continue
        new_version, config = stored
        try:
            driver.handle(m.ApplyConfig(driver.now(), config, label=f"site v{new_version}"), strict=True)
        except CommandRejected as exc:
            log.error(
                "site configuration version %d refused by the core, version %d stays: %s", new_version, version, exc
            )
        else:
            log.warning("site configuration version %d applied (was %d)", new_version, version)
            _note_applied(Path(driver.options.data_dir) / SITE_FILE, new_version)
        version = new_version


async def serve(
    driver,
    engine: Engine | None,
    *,
    source: str,
    ship: bool,
    console: bool,
    site_version: int | None,
    echo: Callable[[str], None] = print,
    settings: LiveSettings | None = None,
) -> None:
    """Run the driver with the store's shipper, the console's channel and the site watcher around it (and
    the driver's /metrics when ``settings.metrics_port`` is set)."""
    settings = settings or LiveSettings()
    shipper = channel = watcher = None
    if engine is not None and ship:
        from adapters.store.shipper import LogShipper

        shipper = LogShipper(engine, driver.log_file.records, source=source, ticket_source=settings.ticket_source)
        driver.log_file.on_append = shipper.wake
        shipper.start()
        echo(f"hotline live: shipping to the store as source {source!r}")
    if engine is not None and console:
        from adapters.asterisk.commands import LiveChannel

        channel = LiveChannel(driver, engine).start()
    if engine is not None and site_version is not None:
        watcher = asyncio.get_running_loop().create_task(watch_site(driver, engine, site_version))
    metrics_server = refresher = None
    if settings.metrics_port:
        from adapters.asterisk.metrics import LiveMetrics

        metrics = LiveMetrics(driver)
        metrics_server, _ = metrics.serve(settings.metrics_host, settings.metrics_port)
        refresher = asyncio.get_running_loop().create_task(metrics.refresh_every())
        echo(f"hotline live: metrics on http://{settings.metrics_host}:{settings.metrics_port}/metrics")
    try:
        await driver.run()
    finally:
        if refresher is not None:
            refresher.cancel()
        if metrics_server is not None:
            metrics_server.shutdown()
        if watcher is not None:
            watcher.cancel()
        if channel is not None:
            await channel.stop()
        if shipper is not None:
            shipper.stop()
