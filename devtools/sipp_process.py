"""A running SIPp process and what it leaves behind: its statistics (``-trace_stat``) and the per-call outcome
log the scenarios write (``-trace_logs``; lines ``HOTLINE event=<outcome> call=<n> t=<s> us=<us>``), read into
a :class:`SippResult`.
"""

from __future__ import annotations

import contextlib
import csv
import re
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from devtools.sipp_scenarios import SippError

# SIPp prints its variables as floats: "t=1795395005.000000 us=408098.000000"
_LOG_LINE = re.compile(r"HOTLINE event=(?P<event>\w+) call=(?P<call>\d+) t=(?P<s>[\d.]+) us=(?P<us>[\d.]+)(?P<rest>.*)")


@dataclass
class CallRecord:
    """One call's timeline from the scenario's HOTLINE log lines (epoch seconds)."""

    call: int
    events: dict[str, float] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)
    outcome: str | None = None

    @property
    def answered_after(self) -> float | None:
        if "invite" in self.events and "answered" in self.events:
            return self.events["answered"] - self.events["invite"]
        return None


@dataclass
class SippResult:
    role: str  # "caller" or "agent:<name>"
    returncode: int | None
    stats: dict[str, str]  # last row of the -trace_stat CSV
    calls: dict[int, CallRecord]
    workdir: Path
    stderr: str = ""

    def _int(self, key: str) -> int:
        raw = self.stats.get(f"{key}(C)", self.stats.get(key, "0")) or "0"
        try:
            return int(float(raw))
        except ValueError:
            return 0

    @property
    def created(self) -> int:
        return self._int("TotalCallCreated")

    @property
    def successful(self) -> int:
        """Calls whose scenario ran to its end (any of the expected outcomes)."""
        return self._int("SuccessfulCall")

    @property
    def failed(self) -> int:
        """Protocol failures: timeouts, unexpected messages, retransmission limits."""
        return self._int("FailedCall")

    @property
    def outcomes(self) -> Counter:
        return Counter(rec.outcome for rec in self.calls.values() if rec.outcome)

    def summary(self) -> str:
        out = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "no outcomes"
        return (
            f"{self.role}: created {self.created}, successful {self.successful}, "
            f"failed {self.failed}; {out} (exit {self.returncode}, files {self.workdir})"
        )

    def errors(self, limit: int = 4000) -> str:
        """SIPp's unexpected-message log, for assertion messages."""
        texts = [self.stderr.strip()]
        for path in sorted(self.workdir.glob("*errors*.log")):
            texts.append(path.read_text(errors="replace")[-limit:])
        return "\n".join(t for t in texts if t)


def read_stats(path: Path) -> dict[str, str]:
    """Last row of a SIPp -trace_stat CSV (';'-separated) as a dict."""
    try:
        with open(path, newline="", errors="replace") as fh:
            rows = list(csv.reader(fh, delimiter=";"))
    except OSError:
        return {}
    if len(rows) < 2:
        return {}
    header, last = rows[0], rows[-1]
    return {h.strip(): v.strip() for h, v in zip(header, last) if h.strip()}


def read_call_log(path: Path, outcomes: tuple[str, ...]) -> dict[int, CallRecord]:
    calls: dict[int, CallRecord] = {}
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return calls
    for line in lines:
        m = _LOG_LINE.search(line)
        if not m:
            continue
        n = int(m.group("call"))
        rec = calls.setdefault(n, CallRecord(call=n))
        event = m.group("event")
        rec.events[event] = int(float(m.group("s"))) + float(m.group("us")) / 1e6
        for k, v in re.findall(r"(\w+)=(\S+)", m.group("rest")):
            rec.info.setdefault(k, v)
        if event in outcomes:
            rec.outcome = event
    return calls


class SippProcess:
    """A running SIPp; ``wait()`` or ``stop()`` it to get a :class:`SippResult`."""

    def __init__(self, role: str, cmd: list[str], workdir: Path, outcomes: tuple[str, ...]):
        self.role = role
        self.cmd = cmd
        self.media_port = int(cmd[cmd.index("-mp") + 1]) if "-mp" in cmd else None
        self.workdir = workdir
        self.outcomes = outcomes
        self.stats_file = workdir / "stats.csv"
        self.log_file = workdir / "calls.log"
        self._stderr = open(workdir / "stderr.txt", "wb")
        self.proc = subprocess.Popen(
            cmd,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            start_new_session=True,
        )
        self.result: SippResult | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait_listening(self, *ports: int, timeout: float = 5.0) -> None:
        """For a UAS: wait until SIPp has bound these UDP ports, e.g. SIP and media (or died)."""
        deadline = time.monotonic() + timeout
        wanted = {f"0100007F:{port:04X}" for port in ports}
        while time.monotonic() < deadline:
            if not self.running():
                raise SippError(f"{self.role}: sipp exited ({self.proc.returncode}): {self._stderr_text()}")
            with contextlib.suppress(OSError):
                bound = {line.split()[1] for line in Path("/proc/net/udp").read_text().splitlines()[1:]}
                if wanted <= bound:
                    return
            time.sleep(0.02)
        raise SippError(f"{self.role}: sipp did not bind UDP 127.0.0.1:{ports} within {timeout} s")

    def calls_so_far(self) -> dict[int, CallRecord]:
        return read_call_log(self.log_file, self.outcomes)

    def wait(self, timeout: float | None = None) -> SippResult:
        """Wait for SIPp to finish on its own (-m calls done)."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise SippError(
                f"{self.role}: sipp still running after {timeout} s "
                f"({self.calls_so_far().__len__()} calls seen); see {self.workdir}"
            ) from None
        return self._collect()

    def stop(self, grace: float = 5.0) -> SippResult:
        """Soft exit (SIGUSR1: no new calls, finish the ongoing ones), then SIGTERM/SIGKILL."""
        if self.result is not None:
            return self.result
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGUSR1)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(3)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        return self._collect()

    def _stderr_text(self) -> str:
        with contextlib.suppress(OSError):
            return (self.workdir / "stderr.txt").read_text(errors="replace")[-2000:]
        return ""

    def _collect(self) -> SippResult:
        if self.result is None:
            self._stderr.close()
            self.result = SippResult(
                role=self.role,
                returncode=self.proc.returncode,
                stats=read_stats(self.stats_file),
                calls=read_call_log(self.log_file, self.outcomes),
                workdir=self.workdir,
                stderr=self._stderr_text(),
            )
        return self.result

    def __enter__(self) -> "SippProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
