"""Provision a local Asterisk for development and tests.

Debian 12 has no ``asterisk`` package but Debian sid does, so the local PBX
lives in a small sid root built once with debootstrap and cached between runs
(``$HOTLINE_ASTERISK_ROOT``, default ``~/.cache/hotline/asterisk-sid``). It
runs as ``chroot ROOT /usr/sbin/asterisk -f`` with /dev and /proc
bind-mounted, listening on 127.0.0.1 only:

* ARI (HTTP + websocket) on ``HOTLINE_ARI_PORT`` (default 18088),
* PJSIP over UDP on ``HOTLINE_SIP_PORT`` (default 15060),
* one PJSIP endpoint per agent (``agent001``...), each with a static contact
  ``sip:agentNNN@127.0.0.1:<agent_port_base + N>`` where a SIPp UAS can answer,
  and optional digest registration for a real softphone,
* every hotline number -> ``Stasis(hotline, <number>)``; ``9<number>`` ->
  the app_queue benchmark anchor (``Queue(hotline-anchor)``, rrmemory),
* callbacks out through the endpoint ``hotline-outbound`` to
  ``sip:<number>@127.0.0.1:<agent_port_base>`` (a SIPp UAS plays the customers).

The configuration is rewritten from ``asterisk_templates/`` on every ``up``.

Public API (here; the parts are ``asterisk_settings``, ``asterisk_rootfs``, ``asterisk_config``
and ``asterisk_process``): :func:`up`, :func:`down`, :func:`status` (all take an optional
:class:`LocalAsteriskConfig`, default ``AsteriskDevSettings().config()``,
and a ``log`` callable for operator-readable progress lines).

Needs root (chroot, mount). Host packages: ``scripts/asterisk-deps.sh``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from devtools.asterisk_config import write_config
from devtools.asterisk_process import (
    CONSOLE_LOG,
    MESSAGES_LOG,
    QUEUE_LOG,
    ari_version,
    cli,
    find_pid,
    package_version,
    port_free,
    read_state,
    state_path,
    stop_process,
    wait_ready,
)
from devtools.asterisk_rootfs import (
    default_log,
    ensure_root,
    is_bootstrapped,
    locked,
    mount_dev_and_proc,
    mounts_under,
    prepare_dirs,
    require_root,
    unmount_dev_and_proc,
)
from devtools.asterisk_settings import (
    ANCHOR_PREFIX,
    STASIS_APP,
    AsteriskDevSettings,
    LocalAsteriskConfig,
    Log,
    ProvisionError,
)


@dataclass
class AsteriskStatus:
    running: bool
    root: Path
    bootstrapped: bool
    pid: int | None = None
    version: str | None = None
    ari_ready: bool = False
    started_at: float | None = None
    config: LocalAsteriskConfig | None = None
    started: bool = False  # set by up(): this call started Asterisk
    mounts: list[str] = field(default_factory=list)

    @property
    def messages_log(self) -> Path:
        return self.root / MESSAGES_LOG

    @property
    def console_log(self) -> Path:
        return self.root / CONSOLE_LOG

    @property
    def queue_log(self) -> Path:
        return self.root / QUEUE_LOG

    def describe(self) -> list[str]:
        """Operator-readable lines."""
        lines: list[str] = []
        if not self.bootstrapped:
            lines.append(f"Asterisk: not installed (root {self.root} missing; `hotline asterisk up` builds it)")
            return lines
        if not self.running:
            lines.append(f"Asterisk: stopped (root {self.root})")
            if self.mounts:
                lines.append(f"  warning: still mounted: {', '.join(self.mounts)} (run `hotline asterisk down`)")
            return lines
        cfg = self.config
        up_for = f", up {time.time() - self.started_at:.0f} s" if self.started_at else ""
        lines.append(f"Asterisk: running, pid {self.pid}, {self.version or 'version unknown'}{up_for}")
        if cfg is not None:
            agents = cfg.agent_names()
            ports = cfg.agent_ports()
            lines.append(
                f"  ARI   {cfg.ari_url}/ari  user {cfg.ari_user}  app {STASIS_APP}"
                f"  ({'ready' if self.ari_ready else 'NOT answering'})"
            )
            lines.append(f"  SIP   udp 127.0.0.1:{cfg.sip_port}")
            lines.append(f"  agents {agents[0]}..{agents[-1]} -> 127.0.0.1:{ports[agents[0]]}-{ports[agents[-1]]}")
            lines.append(f"  hotline numbers {', '.join(cfg.numbers)}  (Queue() anchor: prefix {ANCHOR_PREFIX})")
            lines.append(f"  callbacks out via PJSIP/<number>@hotline-outbound -> 127.0.0.1:{cfg.outbound_port}")
        lines.append(f"  logs  {self.messages_log}")
        return lines


def status(cfg: LocalAsteriskConfig | None = None) -> AsteriskStatus:
    """Is the local Asterisk running? With which version and ports?"""
    cfg = cfg or AsteriskDevSettings().config()
    root = cfg.root
    st = AsteriskStatus(running=False, root=root, bootstrapped=is_bootstrapped(root))
    if not st.bootstrapped:
        return st
    pid = find_pid(root)
    state = read_state(root) or {}
    if pid is None:
        st.mounts = mounts_under(root)
        st.config = cfg
        return st
    running_cfg = cfg
    if "config" in state:
        with contextlib.suppress(TypeError, KeyError, ValueError):
            running_cfg = LocalAsteriskConfig.from_json(state["config"])
    st.running = True
    st.pid = pid
    st.config = running_cfg
    st.started_at = state.get("started_at")
    st.version = ari_version(running_cfg)
    st.ari_ready = st.version is not None
    if st.version is None:
        st.version = package_version(root)
    st.mounts = mounts_under(root)
    return st


def up(cfg: LocalAsteriskConfig | None = None, log: Log = default_log) -> AsteriskStatus:
    """Start the local Asterisk (building its root the first time); wait until ARI answers.

    Idempotent: if it is already running, only reports. The returned status has
    ``started=True`` when this call started it.
    """
    cfg = cfg or AsteriskDevSettings().config()
    cfg.validate()
    require_root()
    t0 = time.monotonic()
    with locked(cfg.root):
        current = status(cfg)
        if current.running:
            log(f"already running (pid {current.pid}); nothing to do")
            if current.config and current.config != cfg:
                diff = [f"{k}={v!r}" for k, v in cfg.to_json().items() if current.config.to_json().get(k) != v]
                log(
                    f"note: it runs with other settings than requested ({', '.join(diff)}); "
                    "`down` then `up` to apply them"
                )
            for line in current.describe():
                log(line)
            return current

        built = ensure_root(cfg, log)
        if not built:
            log(f"using cached root {cfg.root}")
        if mounts_under(cfg.root):
            log("leftover mounts from an earlier run found; reusing them")
        busy = [f"TCP {cfg.ari_port} (ARI)"] if not port_free(cfg.ari_port, socket.SOCK_STREAM) else []
        if not port_free(cfg.sip_port, socket.SOCK_DGRAM):
            busy.append(f"UDP {cfg.sip_port} (SIP)")
        if busy:
            raise ProvisionError(
                f"port(s) already in use on 127.0.0.1: {', '.join(busy)}; "
                "stop that process or set HOTLINE_ARI_PORT / HOTLINE_SIP_PORT"
            )

        prepare_dirs(cfg.root)
        written = write_config(cfg)
        log(f"wrote {len(written)} config files to {cfg.root / 'etc/asterisk'}")
        mount_dev_and_proc(cfg.root, log)

        console = cfg.root / CONSOLE_LOG
        console.parent.mkdir(parents=True, exist_ok=True)
        # keep the previous run's messages log for post-mortems
        messages = cfg.root / MESSAGES_LOG
        if messages.exists():
            messages.replace(messages.with_name(messages.name + ".prev"))
        out = open(console, "ab", buffering=0)
        try:
            out.write(f"\n==== hotline: starting Asterisk at {time.strftime('%F %T')} ====\n".encode())
            proc = subprocess.Popen(
                ["chroot", str(cfg.root), "/usr/sbin/asterisk", "-f", "-n"],  # -n: no ANSI colours in logs
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # survives the CLI that started it
                env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root", "TERM": "dumb"},
                close_fds=True,
            )
        finally:
            out.close()
        state = {"pid": proc.pid, "started_at": time.time(), "config": cfg.to_json()}
        state_path(cfg.root).parent.mkdir(parents=True, exist_ok=True)
        state_path(cfg.root).write_text(json.dumps(state, indent=2))
        log(f"started: chroot {cfg.root} /usr/sbin/asterisk -f -n (pid {proc.pid}); waiting for ARI")
        try:
            version = wait_ready(cfg, proc, log)
        except ProvisionError:
            log("start-up failed; stopping and cleaning up")
            stop_process(cfg.root, proc.pid, log)
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            with contextlib.suppress(ProvisionError):
                unmount_dev_and_proc(cfg.root, log)
            raise
        elapsed = time.monotonic() - t0
        log(f"{version} ready in {elapsed:.1f} s")
        st = status(cfg)
        st.started = True
        for line in st.describe():
            log(line)
        return st


def reload_agents(cfg: LocalAsteriskConfig) -> None:
    """Rewrite the configuration for ``cfg`` (e.g. more agents than the running Asterisk started with) and
    have the running Asterisk reload its PJSIP endpoints; waits until the last agent's endpoint exists."""
    write_config(cfg)
    cli(cfg, "module reload res_pjsip.so")
    last = cfg.agent_names()[-1]
    deadline = time.monotonic() + 10
    while f"Endpoint:  {last}" not in cli(cfg, f"pjsip show endpoint {last}"):
        if time.monotonic() > deadline:
            raise ProvisionError(f"endpoint {last} missing after reloading PJSIP")
        time.sleep(0.1)


def down(cfg: LocalAsteriskConfig | None = None, log: Log = default_log) -> AsteriskStatus:
    """Stop the local Asterisk cleanly and unmount /dev and /proc from its root."""
    cfg = cfg or AsteriskDevSettings().config()
    require_root()
    with locked(cfg.root):
        pid = find_pid(cfg.root) if cfg.root.exists() else None
        if pid is not None:
            t0 = time.monotonic()
            log(f"stopping Asterisk (pid {pid})")
            stop_process(cfg.root, pid, log)
            log(f"stopped in {time.monotonic() - t0:.1f} s")
        else:
            log("Asterisk is not running")
        if cfg.root.exists() and mounts_under(cfg.root):
            unmount_dev_and_proc(cfg.root, log)
            log(f"unmounted /dev and /proc from {cfg.root}")
        with contextlib.suppress(FileNotFoundError):
            state_path(cfg.root).unlink()
        return status(cfg)
