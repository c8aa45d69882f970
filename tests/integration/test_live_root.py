"""The live composition root's routing model and site watcher, on a real SQLite store (no Asterisk needed):
which configuration the driver routes by, what the data directory keeps for a restart, and a new stored
version reaching the running core as ApplyConfig."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time

import pytest

from adapters.asterisk.stasis import build_config
from adapters.store.migrate import open_store
from adapters.store.site import SqlSiteConfigs
from core import messages as m
from core.center import CommandRejected
from entrypoints.live_root import SITE_FILE, _stored_site, routing_model, watch_site
from twin.site import load_site, site_document

DEVELOPMENT = build_config(("4008001000",), 2)


@pytest.fixture
def store(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'hotline.db'}")
    yield engine
    engine.dispose()


def save_site(engine, path: str = "scenarios/stationary.yaml") -> int:
    return SqlSiteConfigs(engine).save(site_document(load_site(path)), "test", time.time()).version


def test_the_stored_site_is_used_and_kept_for_a_restart_without_the_store(store, tmp_path):
    data = tmp_path / "live"
    assert routing_model(store, lambda: DEVELOPMENT, False, data).site_version is None  # none stored yet
    assert not (data / SITE_FILE).exists()
    version = save_site(store)
    model = routing_model(store, lambda: DEVELOPMENT, False, data)
    assert model.site_version == version and model.config == load_site("scenarios/stationary.yaml").config
    restart = routing_model(None, lambda: DEVELOPMENT, False, data)  # the store away: the journal's start
    assert (restart.config, restart.site_version) == (model.config, version)
    flags = routing_model(store, lambda: DEVELOPMENT, True, data)  # --agents / --numbers
    assert (flags.config, flags.site_version) == (DEVELOPMENT, None)


class Driver:
    """What watch_site uses of a LiveDriver: the core's turn (refusing what the core would) and the options."""

    def __init__(self, data_dir, refuse: bool = False) -> None:
        self.options = dataclasses.make_dataclass("Options", ["data_dir"])(data_dir)
        self.handled: list = []
        self.tried: list = []
        self.refuse = refuse

    def now(self) -> float:
        return time.time()

    def handle(self, message, strict: bool = False):
        self.tried.append(message)
        if self.refuse:
            raise CommandRejected("not this one")
        self.handled.append(message)
        return []


@pytest.mark.parametrize("refuse", [False, True])
def test_a_new_stored_version_reaches_the_running_core(store, tmp_path, refuse):
    data = tmp_path / "live"
    first = save_site(store)
    routing_model(store, lambda: DEVELOPMENT, False, data)
    driver = Driver(data, refuse)

    assert _stored_site(store, newer_than=first) is None  # the version the core has: nothing to apply

    async def watch_until_tried():
        task = asyncio.get_running_loop().create_task(watch_site(driver, store, first, poll=0.01))
        second = await asyncio.to_thread(save_site, store, "scenarios/live_program.yaml")
        deadline = time.monotonic() + 30
        while not driver.tried and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        task.cancel()
        return second

    second = asyncio.run(watch_until_tried())
    assert len(driver.tried) == 1
    kept = json.loads((data / SITE_FILE).read_text())
    if refuse:
        assert driver.handled == [] and kept["applied"] == first  # the running configuration stays
    else:
        assert [type(x) for x in driver.handled] == [m.ApplyConfig]
        assert driver.handled[0].label == f"site v{second}"
        assert driver.handled[0].config == load_site("scenarios/live_program.yaml").config
        assert kept["applied"] == second and kept["version"] == first
