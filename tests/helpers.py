"""What many tests share: waiting for a condition (never a fixed sleep), racing threads against each other, and
running the ``hotline`` command as a user does (``hotline(...)`` to its end, ``running(...)`` a server)."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    what: str | Callable[[], str] = "the condition",
    detail: Callable[[], str] | None = None,
    interval: float = 0.05,
) -> T:
    """Poll ``predicate`` until it returns something truthy, and return that; fail after ``timeout`` seconds
    naming ``what`` (and ``detail()``, what the test saw, if given). Deadlines are generous: a loaded machine
    only makes the wait longer, never the test wrong."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what if isinstance(what, str) else what()}"
                + (f": {detail()}" if detail else "")
            )
        time.sleep(interval)


def race(n: int, work: Callable[[int], T], timeout: float = 300.0) -> list[T | Exception]:
    """Run ``work(i)`` for i in range(n) in n threads released together by a barrier; the results in order,
    or the exception a call raised in its place."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def runner(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 - the test inspects it
            results[i] = error

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), f"racing threads still running after {timeout} s"
    return results


def open_connections(engine, n: int) -> None:
    """Open ``n`` pooled connections and give them back, so that racing threads do not queue on connecting."""
    held = [engine.connect() for _ in range(n)]
    for connection in held:
        connection.close()


# scenarios/ folders whose YAML is not a plain scenario: outbound campaigns (twin/outbound.py), QA golden cases
# (qa/suite.py) and trace what-ifs, whose agents come from the recorded day (qa/trace.py)
NOT_PLAIN_SCENARIOS = frozenset({"outbound", "qa-golden", "trace"})


def shipped_scenarios(root) -> list:
    """The plain scenario files under ``root/scenarios``, sorted."""
    folder = root / "scenarios"
    return sorted(p for p in folder.rglob("*.yaml") if p.relative_to(folder).parts[0] not in NOT_PLAIN_SCENARIOS)


def _command(args: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-m", "entrypoints.cli", *args]


def hotline_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``hotline`` process with its own store: the SQLite file in ``data_dir`` (an empty
    ``HOTLINE_DATABASE_URL`` hides the test run's own)."""
    return {**os.environ, "HOTLINE_DATABASE_URL": "", "HOTLINE_DATA_DIR": str(data_dir), **extra}


def hotline(
    *args: str, env: dict | None = None, cwd: Path | None = None, stdin: str | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """``hotline ARGS`` run to its end as a user runs it: a real process in the repository (or ``cwd``), output
    200 columns wide, ``env`` over this process's environment."""
    return subprocess.run(
        _command(args),
        cwd=cwd or ROOT,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Output:
    """What a running process prints (standard output and error together), read line by line as it comes."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.seen: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 300.0) -> re.Match:
        """The first line from here on that matches ``pattern``; fails after ``timeout`` s showing the output
        (a generous deadline: a server starting on a loaded machine may take a minute or more)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found
        raise AssertionError(f"no line matching {pattern!r} within {timeout} s; output:\n" + "\n".join(self.seen))


@contextmanager
def running(*args: str, env: dict[str, str], stop_timeout: float = 30) -> Iterator[Output]:
    """``hotline ARGS`` (a server) running for the ``with`` block, then terminated and waited for."""
    process = subprocess.Popen(
        _command(args),
        cwd=ROOT,
        env={"COLUMNS": "200", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield Output(process)
    finally:
        process.terminate()
        process.wait(timeout=stop_timeout)
