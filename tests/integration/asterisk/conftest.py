"""Fixtures for live tests against the project's local Asterisk.

The session fixture ``local_asterisk`` calls ``provision.up()`` (building the
cached Debian sid root on the first run) and ``provision.down()`` at the end,
but only if it started Asterisk itself; set HOTLINE_ASTERISK_KEEP=1 to leave it
running. These tests need root, debootstrap and sipp (scripts/asterisk-deps.sh).
Run them with: .venv/bin/pytest tests/integration/asterisk -q -m asterisk
"""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

httpx = pytest.importorskip("httpx")
ws_client = pytest.importorskip("websockets.sync.client")

from adapters.asterisk.stasis import build_config  # noqa: E402
from devtools import provision, sipp  # noqa: E402
from devtools.asterisk_rootfs import is_bootstrapped  # noqa: E402
from devtools.asterisk_settings import AsteriskDevSettings, LocalAsteriskConfig  # noqa: E402
from devtools.harness import InProcessDriver, LiveProcess, clear_asterisk  # noqa: E402
from tests.integration.asterisk.live_checks import dial, phone, wait_for_records  # noqa: E402

LIVE_TEST_AGENTS = 12  # agent001..agent012: the surge tests ring up to 11 SIPp agents


def _why_not_runnable(cfg: LocalAsteriskConfig) -> str | None:
    if os.geteuid() != 0:
        return "the local Asterisk needs root (chroot, mount)"
    if shutil.which("sipp") is None:
        return "sipp missing: run scripts/asterisk-deps.sh"
    if not is_bootstrapped(cfg.root) and shutil.which("debootstrap") is None:
        return "debootstrap missing: run scripts/asterisk-deps.sh"
    return None


@pytest.fixture(scope="session")
def local_asterisk():
    cfg = AsteriskDevSettings().config()  # the HOTLINE_* environment: root, ports, agents
    reason = _why_not_runnable(cfg)
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the live tests: {reason}")  # never let CI pass by skipping them
    if reason:
        pytest.skip(reason)
    if cfg.agents < LIVE_TEST_AGENTS:
        cfg = dataclasses.replace(cfg, agents=LIVE_TEST_AGENTS)
    st = provision.up(cfg)
    if not st.started:  # one that was running already: make sure it has every test agent's endpoint
        provision.reload_agents(cfg)
        st = dataclasses.replace(st, config=cfg)
    yield st
    if st.started and os.environ.get("HOTLINE_ASTERISK_KEEP", "") not in ("1", "yes", "true"):
        provision.down(cfg)


@pytest.fixture(scope="session")
def asterisk_config(local_asterisk) -> LocalAsteriskConfig:
    return local_asterisk.config


@pytest.fixture
def ari(asterisk_config):
    """httpx client on {ari_url}/ari with the ARI user's basic auth."""
    cfg = asterisk_config
    with httpx.Client(base_url=f"{cfg.ari_url}/ari", auth=(cfg.ari_user, cfg.ari_password), timeout=5.0) as client:
        yield client


class AriEvents:
    """The Stasis app's websocket, read by a background thread into a queue."""

    def __init__(self, url: str, open_timeout: float = 5.0):
        self._url = url
        self._queue: queue.Queue[dict] = queue.Queue()
        self._ws = None
        self._error: BaseException | None = None
        self._opened = threading.Event()
        self.seen: list[dict] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        if not self._opened.wait(open_timeout) or self._ws is None:
            raise AssertionError(f"ARI websocket did not open: {self._error!r}")

    def _read(self) -> None:
        try:
            with ws_client.connect(self._url, open_timeout=5) as ws:
                self._ws = ws
                self._opened.set()
                for message in ws:
                    self._queue.put(json.loads(message))
        except Exception as exc:  # refused, or closed by close()
            self._error = exc
        finally:
            self._opened.set()

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                types = [e.get("type") for e in self.seen[-20:]]
                raise AssertionError(f"no matching ARI event within {timeout} s; last events: {types}")
            try:
                event = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(event)
            if predicate(event):
                return event

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
        self._thread.join(2)


@pytest.fixture
def ari_events(asterisk_config):
    """Connected as Stasis app `hotline` (registers the app for the test's duration)."""
    events = AriEvents(asterisk_config.ws_url)
    try:
        yield events
    finally:
        events.close()


@pytest.fixture
def sipp_workdir(tmp_path):
    return tmp_path / "sipp"


def wait_until_asterisk_is_empty(cfg: LocalAsteriskConfig, timeout: float = 10.0) -> None:
    """Every channel and bridge gone: Asterisk tears a call down shortly after its last BYE, not at once."""
    from devtools.harness import ari_client
    from tests.helpers import wait_until

    with ari_client(cfg) as ari:
        wait_until(
            lambda: ari.get("/channels").json() == [] and ari.get("/bridges").json() == [],
            timeout,
            "every channel and bridge gone",
            lambda: f"{ari.get('/channels').json()} {ari.get('/bridges').json()}",
        )


@pytest.fixture
def live(asterisk_config, tmp_path):
    """A factory: live("--agents", "2", ...) starts a driver on a clean Asterisk; all are stopped at the end."""
    started: list[LiveProcess] = []

    def start(*args: str) -> LiveProcess:
        clear_asterisk(asterisk_config)
        proc = LiveProcess(asterisk_config, tmp_path / f"live{len(started)}", *args)
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        proc.stop()
    clear_asterisk(asterisk_config)


@dataclass(frozen=True)
class Conversation:
    driver: InProcessDriver
    agent: sipp.SippProcess  # agent001's phone
    caller: sipp.SippProcess
    call_id: str


class Conversations:
    """Callers talking with agent001 (the only routing agent, no IVR) through an ``InProcessDriver``, and other
    phones; every SIPp process and driver is stopped by ``close``."""

    def __init__(self, cfg: LocalAsteriskConfig, data_dir: Path, workdir: Path) -> None:
        self.cfg, self.data_dir, self.workdir = cfg, data_dir, workdir
        self.processes: list[sipp.SippProcess] = []
        self.drivers: list[InProcessDriver] = []

    def phone(self, agent: str, **kw) -> sipp.SippProcess:
        """A phone answering as ``agent`` (``sipp.start_agent``'s options), e.g. a supervisor's."""
        answering = phone(self.cfg, self.workdir, agent, **kw)
        self.processes.append(answering)
        return answering

    def start(self, caller_id: str, talk_ms: int) -> Conversation:
        """A driver on a clean Asterisk, agent001's phone (answering after 200 ms, hanging up after ``talk_ms``)
        and a caller; returns once they talk."""
        clear_asterisk(self.cfg)
        driver = InProcessDriver(self.cfg, self.data_dir, build_config(self.cfg.numbers, 1, ivr_after=None))
        self.drivers.append(driver)
        agent = self.phone("agent001", answer_delay_ms=200, talk_ms=talk_ms)
        caller = dial(self.cfg, self.workdir, caller_id, hold_ms=30_000)
        self.processes.append(caller)
        return Conversation(driver, agent, caller, wait_for_records(driver, "CONNECT")[0].call_id)

    def close(self) -> None:
        sipp.stop_all(self.processes)
        for driver in self.drivers:
            driver.stop()
        clear_asterisk(self.cfg)


@pytest.fixture
def conversations(asterisk_config, tmp_path, sipp_workdir):
    talks = Conversations(asterisk_config, tmp_path / "live", sipp_workdir)
    yield talks
    talks.close()
