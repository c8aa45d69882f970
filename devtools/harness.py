"""Run the live driver as a subprocess (the installed ``hotline live run``) for tests and benchmarks.

``LiveProcess`` starts it with a data directory, waits for its "ready" line, and can stop it (SIGTERM) or
kill it (SIGKILL, a crash). ``read_log`` parses its event log; ``clear_asterisk`` hangs up every channel and
destroys every bridge so that one run's leftovers do not reach the next driver's resync. ``compare_calls``
holds each SIPp caller against the call the event log has for its number.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, TypeVar

import httpx

from core.log import OUTCOME_OF_VERB, LogRecord, Verb
from devtools.asterisk_settings import LocalAsteriskConfig
from devtools.sipp_process import SippResult

T = TypeVar("T")
# what a SIPp caller's outcome means for the call: answered (it had a 200 OK), abandoned (it sent CANCEL)
SIPP_OUTCOME = {"remote_bye": "answered", "caller_bye": "answered", "cancel": "abandoned", "rejected": "rejected"}
# the Hotline outcomes that agree with each SIPp one: a callback prompt answers the caller too; a call that
# Asterisk turned away before the Stasis app is not Hotline's to log
AGREES = {"answered": ("answered", "callback"), "abandoned": ("abandoned",), "rejected": ("rejected", "lost")}
FIRST_VERBS = (Verb.ENTERQUEUE, Verb.REJECTED, Verb.OUTOFHOURS)  # a call's first record (each names its caller)

REPO = Path(__file__).resolve().parents[1]
# The program an operator runs, beside this interpreter: started as a process, never imported (the harness
# sits below the entrypoints).
HOTLINE = Path(sys.executable).with_name("hotline")


def ari_client(cfg: LocalAsteriskConfig) -> httpx.Client:
    return httpx.Client(base_url=f"{cfg.ari_url}/ari", auth=(cfg.ari_user, cfg.ari_password), timeout=5.0)


def clear_asterisk(cfg: LocalAsteriskConfig, timeout: float = 10.0) -> None:
    with ari_client(cfg) as ari:
        for ch in ari.get("/channels").json():
            ari.delete(f"/channels/{ch['id']}")
        for br in ari.get("/bridges").json():
            ari.delete(f"/bridges/{br['id']}")
        deadline = time.monotonic() + timeout
        while ari.get("/channels").json():
            if time.monotonic() > deadline:
                raise RuntimeError(f"channels left after {timeout} s: {ari.get('/channels').json()}")
            time.sleep(0.05)


def read_log(path: Path) -> list[LogRecord]:
    if not Path(path).exists():
        return []
    out = []
    for line in Path(path).read_text().splitlines():
        parts = line.split("|")
        out.append(LogRecord(float(parts[0]), *parts[1:5], *(parts[5:] + [""] * 5)[:5]))
    return out


@dataclass(frozen=True)
class CallComparison:
    """SIPp's callers against Hotline's event log, call by call (matched by the caller's number)."""

    sipp: Counter  # SIPp's outcome per caller: answered / abandoned / rejected / unfinished
    hotline: Counter  # the terminal verbs' outcomes of the matched calls
    mismatches: list[tuple[str, str, str]]  # (caller, SIPp's outcome, Hotline's or "lost" / "unfinished")

    @property
    def lost(self) -> int:
        """SIPp placed it (and Asterisk did not turn it away), the event log has no such call."""
        return sum(1 for _, _, ours in self.mismatches if ours == "lost")

    def summary(self, examples: int = 5) -> dict:
        kinds = Counter(f"sipp {theirs} / hotline {ours}" for _, theirs, ours in self.mismatches)
        return {
            "sipp": dict(self.sipp),
            "hotline": dict(self.hotline),
            "mismatches": len(self.mismatches),
            "mismatch_kinds": dict(kinds),
            "lost": self.lost,
            "examples": [list(x) for x in self.mismatches[:examples]],
        }


def compare_calls(callers: SippResult | Iterable[SippResult], records: list[LogRecord]) -> CallComparison:
    """Hold every SIPp caller against Hotline's call for its number: answered by SIPp (a 200 OK) must be
    answered (or prompted) in Hotline, a CANCEL an abandon, a rejection a rejection; a caller with no call
    in the log is lost. Callers' numbers must be unique in the run."""
    results = [callers] if isinstance(callers, SippResult) else list(callers)
    call_of = {r.field("caller"): r.call_id for r in records if r.verb in FIRST_VERBS}
    outcome_of = {r.call_id: OUTCOME_OF_VERB[r.verb] for r in records if r.verb in OUTCOME_OF_VERB}
    sipp_outcomes: Counter = Counter()
    hotline_outcomes: Counter = Counter()
    mismatches = []
    for result in results:
        for rec in result.calls.values():
            number = rec.info.get("from", "")
            theirs = SIPP_OUTCOME.get(rec.outcome or "", "unfinished")
            sipp_outcomes[theirs] += 1
            call_id = call_of.get(number)
            ours = "lost" if call_id is None else outcome_of.get(call_id, "unfinished")
            if call_id is not None:
                hotline_outcomes[ours] += 1
            if ours not in AGREES.get(theirs, ()):
                mismatches.append((number, theirs, ours))
    return CallComparison(sipp_outcomes, hotline_outcomes, mismatches)


class LiveProcess:
    def __init__(self, cfg: LocalAsteriskConfig, data_dir: Path, *args: str, verbose: bool = True) -> None:
        self.cfg = cfg
        self.data_dir = Path(data_dir)
        self.args = list(args)
        self.verbose = verbose
        self.proc: subprocess.Popen | None = None
        self.runs = 0

    @property
    def log_path(self) -> Path:
        return self.data_dir / "queue_log"

    @property
    def output(self) -> Path:
        return self.data_dir / f"driver-{self.runs}.out"

    def start(self, timeout: float = 15.0) -> "LiveProcess":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.runs += 1
        env = dict(
            os.environ,
            HOTLINE_ARI_URL=self.cfg.ari_url,
            HOTLINE_ARI_USER=self.cfg.ari_user,
            HOTLINE_ARI_PASSWORD=self.cfg.ari_password,
            PYTHONUNBUFFERED="1",
            HOTLINE_NUMBERS=",".join(self.cfg.numbers),
            HOTLINE_DATA_DIR=str(self.data_dir),
        )  # its own store, unless args name one (--database-url)
        env.pop("HOTLINE_DATABASE_URL", None)
        cmd = [str(HOTLINE), "live", "run", "--data-dir", str(self.data_dir), *self.args]
        if self.verbose:
            cmd.append("-v")
        out = open(self.output, "wb")
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"live driver exited ({self.proc.returncode}):\n{self.tail()}")
            if b"hotline live: ready" in self.output.read_bytes():
                return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"live driver not ready within {timeout} s:\n{self.tail()}")

    def tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.output.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL: a crash, nothing flushed or closed."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode if self.proc else None

    def records(self) -> list[LogRecord]:
        return read_log(self.log_path)

    def __enter__(self) -> "LiveProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class InProcessDriver:
    """A ``LiveDriver`` on its own asyncio loop in a thread (to reach into it: drop the websocket, read stats)."""

    def __init__(self, cfg: LocalAsteriskConfig, data_dir: Path, config, **options) -> None:
        import asyncio
        import threading

        from adapters.asterisk.ari import AriSettings
        from adapters.asterisk.stasis import DriverOptions, LiveDriver

        self.data_dir = Path(data_dir)
        backoff_start = options.pop("backoff_start", None)
        self.store = options.pop("store", None)  # an Engine: the console's channel beside the driver
        settings = AriSettings(url=cfg.ari_url, user=cfg.ari_user, password=cfg.ari_password)
        self.loop = asyncio.new_event_loop()
        self.driver: LiveDriver | None = None
        ready = threading.Event()

        async def main() -> None:
            self.driver = LiveDriver(
                settings, config, DriverOptions(data_dir=self.data_dir, **options), on_ready=ready.set
            )
            if backoff_start is not None:
                self.driver.stream.backoff_start = backoff_start
            channel = None
            if self.store is not None:
                from adapters.asterisk.commands import LiveChannel

                channel = LiveChannel(self.driver, self.store).start()
            try:
                await self.driver.run()
            finally:
                if channel is not None:
                    await channel.stop()

        def runner() -> None:
            asyncio.set_event_loop(self.loop)
            self._task = self.loop.create_task(main())
            try:
                self.loop.run_until_complete(self._task)
            except BaseException:  # cancelled at stop()
                pass

        self.thread = threading.Thread(target=runner, daemon=True)
        self.thread.start()
        if not ready.wait(15):
            raise RuntimeError("in-process live driver not ready within 15 s")

    def call(self, coro, timeout: float = 10.0):
        import asyncio

        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self._task.cancel)
            self.thread.join(10)

    def records(self) -> list[LogRecord]:
        return read_log(self.data_dir / "queue_log")
