"""The development Asterisk's process: its state file and pid, its ports, its readiness over ARI, its CLI
(``asterisk -rx``), stopping it.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path

from devtools.asterisk_rootfs import run_captured
from devtools.asterisk_settings import LocalAsteriskConfig, Log, ProvisionError

STATE_FILE = "run/hotline-asterisk.json"
CONSOLE_LOG = "var/log/asterisk/console.log"
MESSAGES_LOG = "var/log/asterisk/messages.log"
QUEUE_LOG = "var/log/asterisk/queue_log"


def tail(path: Path, lines: int = 30) -> str:
    try:
        with open(path, errors="replace") as fh:
            return "".join(deque(fh, maxlen=lines))
    except OSError:
        return f"(no {path})"


def state_path(root: Path) -> Path:
    return root / STATE_FILE


def read_state(root: Path) -> dict | None:
    try:
        return json.loads(state_path(root).read_text())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int, root: Path) -> bool:
    """pid is a live (non-zombie) Asterisk running inside root."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)  # reap if it is our exited child
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return False
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if not cmdline or not cmdline[0].endswith(b"asterisk"):
            return False
        try:
            proc_root = os.readlink(f"/proc/{pid}/root")
        except PermissionError:  # not root: trust the pid file and the command line
            return True
        return os.path.realpath(proc_root) == os.path.realpath(root)
    except OSError:
        return False


def find_pid(root: Path) -> int | None:
    state = read_state(root) or {}
    candidates = [state.get("pid")]
    with contextlib.suppress(OSError, ValueError):
        candidates.append(int((root / "run/asterisk/asterisk.pid").read_text().strip()))
    for pid in candidates:
        if isinstance(pid, int) and pid_alive(pid, root):
            return pid
    return None


def port_free(port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        if kind == socket.SOCK_STREAM:  # like Asterisk: TIME_WAIT leftovers do not count
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def ari_get(cfg: LocalAsteriskConfig, path: str, timeout: float = 2.0):
    """GET {ari_url}/ari{path} with basic auth; returns the decoded JSON."""
    req = urllib.request.Request(f"{cfg.ari_url}/ari{path}")
    token = base64.b64encode(f"{cfg.ari_user}:{cfg.ari_password}".encode()).decode()
    req.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


def ari_version(cfg: LocalAsteriskConfig) -> str | None:
    try:
        info = ari_get(cfg, "/asterisk/info")
    except (OSError, ValueError, urllib.error.URLError):
        return None
    version = (info.get("system") or {}).get("version")
    return f"Asterisk {version}" if version else "Asterisk (version not reported)"


def package_version(root: Path) -> str | None:
    res = run_captured(["chroot", str(root), "/usr/sbin/asterisk", "-V"])
    return res.stdout.strip() or None if res.returncode == 0 else None


def wait_ready(cfg: LocalAsteriskConfig, proc: subprocess.Popen, log: Log) -> str:
    deadline = time.monotonic() + cfg.ready_timeout
    version = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ProvisionError(
                f"Asterisk exited during start-up (exit {proc.returncode}); last lines of its logs:\n"
                + tail(cfg.root / CONSOLE_LOG, 15)
                + tail(cfg.root / MESSAGES_LOG, 30)
            )
        if version is None:
            version = ari_version(cfg)
        if version is not None:
            # ARI answers as soon as res_ari is loaded; wait for the agents'
            # PJSIP endpoints too, so a call placed right after `up` works.
            try:
                eps = {e["resource"] for e in ari_get(cfg, "/endpoints/PJSIP")}
            except (OSError, ValueError, urllib.error.URLError):
                eps = set()
            if set(cfg.agent_names()) <= eps and "callers" in eps:
                return version
        time.sleep(0.1)
    raise ProvisionError(
        f"Asterisk did not answer ARI GET {cfg.ari_url}/ari/asterisk/info within {cfg.ready_timeout:.0f} s "
        f"(or its PJSIP endpoints were missing); last lines of {cfg.root / MESSAGES_LOG}:\n"
        + tail(cfg.root / MESSAGES_LOG, 30)
    )


def cli(cfg: LocalAsteriskConfig, command: str, timeout: float = 10.0) -> str:
    """Run one Asterisk CLI command (``asterisk -rx``) on the running local Asterisk; returns its output."""
    res = run_captured(["chroot", str(cfg.root), "/usr/sbin/asterisk", "-rx", command], timeout=timeout)
    if res.returncode != 0:
        raise ProvisionError(f"asterisk -rx {command!r} failed: {(res.stderr or res.stdout).strip()}")
    return res.stdout


def stop_process(root: Path, pid: int, log: Log, timeout: float = 15.0) -> None:
    if not pid_alive(pid, root):
        return
    # "core stop now": hang up all channels and exit cleanly through the control socket
    res = run_captured(["chroot", str(root), "/usr/sbin/asterisk", "-rx", "core stop now"], timeout=10)
    if res.returncode != 0:
        log(f"`core stop now` failed ({(res.stderr or res.stdout).strip()}); sending SIGTERM")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid, root):
            return
        time.sleep(0.05)
    log(f"Asterisk pid {pid} still running after {timeout:.0f} s; SIGKILL")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and pid_alive(pid, root):
        time.sleep(0.05)
