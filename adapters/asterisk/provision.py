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

The configuration is rewritten from ``templates/`` on every ``up``.

Public API: :func:`up`, :func:`down`, :func:`status` (all take an optional
:class:`LocalAsteriskConfig`, default ``AsteriskDevSettings().config()``,
and a ``log`` callable for operator-readable progress lines).

Needs root (chroot, mount). Host packages: ``scripts/asterisk-deps.sh``.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import errno
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Log = Callable[[str], None]

TEMPLATES = Path(__file__).with_name("templates")
INCLUDE_PACKAGES = ("asterisk", "asterisk-modules", "asterisk-core-sounds-en")
SUITE = "sid"
DRIVER_WAIT_S = 30  # a caller waits this long in the dialplan for the live driver to come back
STASIS_APP = "hotline"
ANCHOR_PREFIX = "9"
# Files written under etc/asterisk on every `up` (templates/<name>).
CONFIG_FILES = (
    "modules.conf",
    "logger.conf",
    "http.conf",
    "ari.conf",
    "pjsip.conf",
    "rtp.conf",
    "extensions.conf",
    "queues.conf",
    "musiconhold.conf",
    "cdr.conf",
    "cel.conf",
    "manager.conf",
)
# Asterisk's own directories inside the root; chowned to root on every `up`
# (Asterisk runs as root there; directories owned by the package's uid make it
# fail with "Unable to open Asterisk database").
VAR_DIRS = (
    "etc/asterisk",
    "var/lib/asterisk",
    "var/log/asterisk",
    "var/spool/asterisk",
    "var/cache/asterisk",
    "run/asterisk",  # astrundir /var/run/asterisk; var/run -> /run inside the root
)
HOLD_PROMPTS = ("pls-hold-while-try.gsm", "queue-periodic-announce.gsm")
BOOTSTRAP_MARKER = ".hotline-bootstrap-complete"
STATE_FILE = "run/hotline-asterisk.json"
CONSOLE_LOG = "var/log/asterisk/console.log"
MESSAGES_LOG = "var/log/asterisk/messages.log"
QUEUE_LOG = "var/log/asterisk/queue_log"


class ProvisionError(RuntimeError):
    """Provisioning failed; the message says what to do next."""


# --------------------------------------------------------------------------- config


def _port_range(name: str, raw: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", raw)
    if not m:
        raise ProvisionError(f"{name}={raw!r}: expected START-END, e.g. 20000-24999")
    return int(m.group(1)), int(m.group(2))


def default_root() -> Path:
    return Path.home() / ".cache" / "hotline" / "asterisk-sid"


class AsteriskDevSettings(BaseSettings):
    """The development Asterisk's settings (``hotline asterisk``, the live tests, benchmarks): the
    ``HOTLINE_*`` environment, read once by the caller; ``config(**overrides)`` makes the ``LocalAsteriskConfig``."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", frozen=True, extra="ignore")

    asterisk_root: Path | None = Field(
        None, description="the cached Debian sid root (default ~/.cache/hotline/asterisk-sid)"
    )
    ari_port: int = Field(18088, description="ARI/HTTP port on 127.0.0.1")
    sip_port: int = Field(15060, description="PJSIP UDP port on 127.0.0.1")
    ari_user: str = Field("hotline", description="the ARI user Asterisk is configured with")
    ari_password: str = Field("hotline-dev", description="its password (development only)")
    agents: int = Field(4, description="endpoints agent001..agentNNN")
    agent_port_base: int = Field(16000, description="agent N's phone answers on this port + N")
    agent_password: str = Field("agent-dev", description="the agents' SIP password")
    numbers: str = Field("", description="hotline numbers, comma-separated (default 4008001000,4008002000,4008003000)")
    rtp_ports: str = Field("", description="Asterisk's RTP ports, START-END (default 20000-24999)")
    sipp_media_ports: str = Field("", description="SIPp's media ports, START-END (default: from agent_port_base)")
    asterisk_mirror: str | None = Field(None, description="the Debian mirror (default: this machine's apt sources)")

    def config(self, **overrides) -> "LocalAsteriskConfig":
        """The configuration, ``overrides`` (command-line options; None: not given) over the environment's."""
        values: dict = dict(
            root=(self.asterisk_root or default_root()).expanduser(),
            ari_port=self.ari_port,
            sip_port=self.sip_port,
            ari_user=self.ari_user,
            ari_password=self.ari_password,
            agents=self.agents,
            agent_port_base=self.agent_port_base,
            agent_password=self.agent_password,
            mirror=self.asterisk_mirror or None,
        )
        if self.numbers:
            values["numbers"] = tuple(n.strip() for n in self.numbers.split(",") if n.strip())
        if self.rtp_ports:
            values["rtp_start"], values["rtp_end"] = _port_range("HOTLINE_RTP_PORTS", self.rtp_ports)
        if self.sipp_media_ports:
            values["sipp_media_start"], values["sipp_media_end"] = _port_range(
                "HOTLINE_SIPP_MEDIA_PORTS", self.sipp_media_ports
            )
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["root"] = Path(values["root"]).expanduser()
        cfg = LocalAsteriskConfig(**values)
        cfg.validate()
        return cfg


@dataclass(frozen=True)
class LocalAsteriskConfig:
    """Everything `up` needs (``AsteriskDevSettings().config()`` reads the HOTLINE_* variables)."""

    root: Path = field(default_factory=default_root)
    ari_port: int = 18088
    sip_port: int = 15060
    ari_user: str = "hotline"
    ari_password: str = "hotline-dev"
    agents: int = 4
    agent_port_base: int = 16000  # agent N answers on agent_port_base + N
    agent_password: str = "agent-dev"
    numbers: tuple[str, ...] = ("4008001000", "4008002000", "4008003000")
    rtp_start: int = 20000
    rtp_end: int = 24999
    # SIPp's own media ports (each SIPp process binds audio and video ports, 4 apart from the next process);
    # 0: the 1000 ports from agent_port_base + 1000 (250 processes), clear of the agents' SIP ports
    sipp_media_start: int = 0
    sipp_media_end: int = 0
    anchor_ring_timeout: int = 15  # seconds app_queue rings one agent
    anchor_max_wait: int = 600  # seconds a caller may wait in the anchor queue
    mirror: str | None = None  # None: the mirror this machine's apt sources name
    ready_timeout: float = 60.0

    def validate(self) -> None:
        for name in ("ari_port", "sip_port"):
            port = getattr(self, name)
            if not 1024 <= port <= 65535:
                raise ProvisionError(f"{name}={port}: use an unprivileged port (1024-65535)")
        if self.ari_port == 8088 or self.sip_port == 5060:
            raise ProvisionError("use non-standard ports for the dev Asterisk (not 8088/5060)")
        if not 1 <= self.agents <= 999:
            raise ProvisionError(f"agents={self.agents}: between 1 and 999")
        if not (1024 < self.agent_port_base + 1 and self.agent_port_base + self.agents <= 65535):
            raise ProvisionError(f"agent ports {self.agent_port_base + 1}.. out of range")
        if self.sip_port in self.agent_ports().values():
            raise ProvisionError(f"SIP port {self.sip_port} collides with an agent port")
        if not self.rtp_start < self.rtp_end:
            raise ProvisionError("rtp_start must be below rtp_end")
        media = self.sipp_media_ports
        if not (1024 < media.start and media.stop <= 65536 and len(media) >= 8):
            raise ProvisionError(f"SIPp media ports {media.start}-{media.stop - 1}: at least 8 ports within 1025-65535")
        taken = {
            "Asterisk's RTP ports (HOTLINE_RTP_PORTS)": range(self.rtp_start, self.rtp_end + 1),
            "the agents' SIP ports": range(self.agent_port_base + 1, self.agent_port_base + self.agents + 1),
            "the SIP port": range(self.sip_port, self.sip_port + 1),
            "the ARI port": range(self.ari_port, self.ari_port + 1),
        }
        for what, ports in taken.items():
            if media.start < ports.stop and ports.start < media.stop:
                raise ProvisionError(
                    f"SIPp media ports {media.start}-{media.stop - 1} (HOTLINE_SIPP_MEDIA_PORTS) "
                    f"overlap {what} {ports.start}-{ports.stop - 1}"
                )
        for n in self.numbers:
            if not re.fullmatch(r"[0-9]+", n):
                raise ProvisionError(f"hotline number {n!r}: digits only")
        for text in (self.ari_user, self.ari_password, self.agent_password):
            if not text or re.search(r"[\s;\[\]=:]", text):
                raise ProvisionError("ARI user and passwords must be non-empty, without spaces, ';[]=:'")

    # derived values -----------------------------------------------------------
    def agent_names(self) -> list[str]:
        return [agent_name(i) for i in range(1, self.agents + 1)]

    def agent_ports(self) -> dict[str, int]:
        return {agent_name(i): self.agent_port_base + i for i in range(1, self.agents + 1)}

    @property
    def outbound_port(self) -> int:
        """Where callbacks go out (the ``hotline-outbound`` trunk's contact): no agent answers on the base port."""
        return self.agent_port_base

    @property
    def sipp_media_ports(self) -> range:
        if self.sipp_media_start:
            return range(self.sipp_media_start, self.sipp_media_end + 1)
        return range(self.agent_port_base + 1000, self.agent_port_base + 2000)

    @property
    def ari_url(self) -> str:
        return f"http://127.0.0.1:{self.ari_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ari_port}/ari/events?app={STASIS_APP}&api_key={self.ari_user}:{self.ari_password}"

    def anchor_number(self, number: str) -> str:
        return ANCHOR_PREFIX + number

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        d["root"] = str(self.root)
        d["numbers"] = list(self.numbers)
        return d

    @classmethod
    def from_json(cls, d: dict) -> "LocalAsteriskConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        d["root"] = Path(d["root"])
        d["numbers"] = tuple(d.get("numbers", ()))
        return cls(**d)


def agent_name(i: int) -> str:
    return f"agent{i:03d}"


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


# --------------------------------------------------------------------------- helpers


def _default_log(line: str) -> None:
    print(f"[asterisk] {line}", flush=True)


def _require_root() -> None:
    if os.geteuid() != 0:
        raise ProvisionError("the local Asterisk needs root (debootstrap, chroot, mount): run as root")


def find_mirror(sources: Iterator[Path] | None = None) -> str:
    """The Debian mirror this machine's apt sources already name."""
    if sources is None:
        etc = Path("/etc/apt")
        sources = [
            etc / "sources.list",
            *sorted((etc / "sources.list.d").glob("*.list")),
            *sorted((etc / "sources.list.d").glob("*.sources")),
        ]
    for path in sources:
        try:
            text = path.read_text()
        except OSError:
            continue
        if path.suffix == ".sources":  # deb822
            for stanza in re.split(r"\n\s*\n", text):
                fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, flags=re.M))
                if "deb" not in fields.get("Types", "").split():
                    continue
                if fields.get("Enabled", "yes").strip().lower() == "no":
                    continue
                for uri in fields.get("URIs", "").split():
                    if _is_debian_main_mirror(uri):
                        return uri.rstrip("/")
        else:
            for line in text.splitlines():
                parts = line.split("#", 1)[0].split()
                if not parts or parts[0] != "deb":
                    continue
                uris = [p for p in parts[1:] if not p.startswith("[")]
                if uris and _is_debian_main_mirror(uris[0]):
                    return uris[0].rstrip("/")
    raise ProvisionError("no Debian mirror found in /etc/apt/sources.list{,.d}; set HOTLINE_ASTERISK_MIRROR")


def _is_debian_main_mirror(uri: str) -> bool:
    uri = uri.rstrip("/")
    return uri.startswith(("http://", "https://")) and uri.endswith("/debian") and "security" not in uri


def _mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve()) if path.exists() else str(path)
    found = []
    with open("/proc/self/mounts") as fh:
        for line in fh:
            target = line.split()[1].replace("\\040", " ")
            if target == prefix or target.startswith(prefix + "/"):
                found.append(target)
    return found


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """Serialise up/down between processes (e.g. pytest-xdist workers)."""
    root.parent.mkdir(parents=True, exist_ok=True)
    lock_path = root.parent / f".{root.name}.lock"
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def render(template: str, values: dict) -> str:
    """Replace ``{{name}}`` placeholders; unknown names are an error."""

    def sub(m: re.Match) -> str:
        key = m.group(1)
        if key not in values:
            raise KeyError(f"template placeholder {{{{{key}}}}} has no value")
        return str(values[key])

    return re.sub(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", sub, template)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        with open(path, errors="replace") as fh:
            return "".join(deque(fh, maxlen=lines))
    except OSError:
        return f"(no {path})"


# --------------------------------------------------------------------------- root fs


def is_bootstrapped(root: Path) -> bool:
    return (root / BOOTSTRAP_MARKER).exists() and (root / "usr/sbin/asterisk").exists()


def ensure_root(cfg: LocalAsteriskConfig, log: Log = _default_log) -> bool:
    """Build the sid root if it is missing. Returns True if it was built now."""
    root = cfg.root
    if is_bootstrapped(root):
        return False
    if root.exists() and any(root.iterdir()):
        if _mounts_under(root):
            raise ProvisionError(f"{root} is incomplete but has mounts under it; run `hotline asterisk down` first")
        raise ProvisionError(
            f"{root} exists but is not a complete Hotline Asterisk root; "
            f"remove it (check `findmnt | grep {root}` first) or set HOTLINE_ASTERISK_ROOT"
        )
    if shutil.which("debootstrap") is None:
        raise ProvisionError("debootstrap is not installed: run scripts/asterisk-deps.sh (as root)")
    mirror = cfg.mirror or find_mirror()
    tmp = root.with_name(root.name + ".partial")
    if tmp.exists():
        if _mounts_under(tmp):
            raise ProvisionError(f"{tmp} has mounts under it; unmount them and remove it")
        log(f"removing unfinished build {tmp}")
        shutil.rmtree(tmp)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(INCLUDE_PACKAGES)}", SUITE, str(tmp), mirror]
    log(f"building Debian {SUITE} root with Asterisk (once; cached in {root})")
    log(f"$ {' '.join(cmd)}")
    t0 = time.monotonic()
    tail: deque[str] = deque(maxlen=40)
    counts = {"Retrieving": 0, "Extracting": 0, "Unpacking": 0, "Configuring": 0}
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"},
    )
    assert proc.stdout is not None
    last_report = 0.0
    for line in proc.stdout:
        line = line.rstrip()
        tail.append(line)
        m = re.match(r"I: (Retrieving|Validating|Extracting|Unpacking|Configuring|Installing) ?(\S*)", line)
        if m and m.group(1) in counts and m.group(2) and not m.group(2).startswith(("Release", "Packages")):
            counts[m.group(1)] += 1
            now = time.monotonic()
            if now - last_report > 5:
                last_report = now
                log(
                    f"  debootstrap: {m.group(1).lower()} {m.group(2)} "
                    f"({counts['Retrieving']} fetched, {counts['Configuring']} configured, {now - t0:.0f} s)"
                )
        elif line.startswith(("I: Base system installed", "I: Installing core", "I: Resolving", "E:", "W: Failure")):
            log(f"  debootstrap: {line[3:]}")
    rc = proc.wait()
    if rc != 0 or not (tmp / "usr/sbin/asterisk").exists():
        raise ProvisionError(
            f"debootstrap failed (exit {rc}); last output:\n"
            + "\n".join(tail)
            + f"\nsee {tmp}/debootstrap/debootstrap.log"
        )
    (tmp / BOOTSTRAP_MARKER).write_text(
        json.dumps(
            {
                "mirror": mirror,
                "suite": SUITE,
                "packages": INCLUDE_PACKAGES,
                "built_at": time.time(),
                "seconds": round(time.monotonic() - t0, 1),
            }
        )
    )
    if root.exists():
        root.rmdir()  # empty (checked above)
    tmp.rename(root)
    log(f"root built in {time.monotonic() - t0:.1f} s")
    return True


def _prepare_dirs(root: Path) -> None:
    for rel in VAR_DIRS:
        path = root / rel
        path.mkdir(parents=True, exist_ok=True)
        for dirpath, dirnames, filenames in os.walk(path):
            os.lchown(dirpath, 0, 0)
            for name in filenames + dirnames:
                os.lchown(os.path.join(dirpath, name), 0, 0)
    # Loopback only, nothing here needs DNS: with no nameserver line the
    # resolver falls back to 127.0.0.1 (PJSIP still opens its DNS client
    # sockets on ephemeral ports; they only talk to that nameserver).
    resolv = root / "etc/resolv.conf"
    if resolv.is_symlink():
        resolv.unlink()
    resolv.write_text("# Hotline dev Asterisk: loopback only, no DNS (written by provision.py)\n")
    # The package's sample users.conf only makes pbx_config warn that it is deprecated.
    with contextlib.suppress(FileNotFoundError):
        (root / "etc/asterisk/users.conf").unlink()
    # Hold music: the root has no music package; loop a hold prompt.
    moh = root / "var/lib/asterisk/moh"
    sounds = _sounds_dir(root)
    for prompt in HOLD_PROMPTS:
        link = moh / prompt
        if not link.is_symlink() and not link.exists() and sounds and (sounds / prompt).exists():
            # link target as seen inside the root
            link.symlink_to("/" + str((sounds / prompt).relative_to(root)))


def _sounds_dir(root: Path) -> Path | None:
    base = root / "usr/share/asterisk/sounds"
    en = base / "en"
    if en.is_symlink():
        target = os.readlink(en)
        if target.startswith("/"):  # absolute inside the root, e.g. /etc/alternatives/...
            resolved = root / target.lstrip("/")
            if resolved.is_symlink():
                t2 = os.readlink(resolved)
                resolved = root / t2.lstrip("/") if t2.startswith("/") else resolved.parent / t2
            return resolved if resolved.is_dir() else None
    return en if en.is_dir() else None


def write_config(cfg: LocalAsteriskConfig) -> list[Path]:
    """Render templates/ into ROOT/etc/asterisk. Returns the files written."""
    etc = cfg.root / "etc/asterisk"
    etc.mkdir(parents=True, exist_ok=True)
    agent_tpl = (TEMPLATES / "pjsip_agent.conf").read_text()
    ports = cfg.agent_ports()
    agent_sections = "".join(
        render(agent_tpl, {"agent": a, "agent_port": ports[a], "agent_password": cfg.agent_password})
        for a in cfg.agent_names()
    )
    # While the driver is away (a restart), Stasis() fails at once: the caller hears ringing and tries again
    # for up to DRIVER_WAIT_S, so a restart of the driver mid-surge loses no caller.
    hotline_ext = "\n".join(
        f"exten => {n},1,Set(HOTLINE_TRIES=0)\n"
        f" same => n(enter),Stasis({STASIS_APP},{n})\n"
        f' same => n,GotoIf($["${{STASISSTATUS}}" != "FAILED"]?done)\n'
        f" same => n,Set(HOTLINE_TRIES=$[${{HOTLINE_TRIES}} + 1])\n"
        f" same => n,GotoIf($[${{HOTLINE_TRIES}} > {DRIVER_WAIT_S * 4}]?done)\n"
        f" same => n,Ringing()\n same => n,Wait(0.25)\n same => n,Goto(enter)\n"
        f" same => n(done),Hangup()\n"
        f"exten => {cfg.anchor_number(n)},1,Goto(hotline-queue-anchor,{n},1)"
        for n in cfg.numbers
    )
    members = "\n".join(f"member => PJSIP/{a},0,{a}" for a in cfg.agent_names())
    values = {
        "header": "Written by Hotline (adapters/asterisk/provision.py) on every `up`; edits are overwritten.",
        "ari_port": cfg.ari_port,
        "ari_user": cfg.ari_user,
        "ari_password": cfg.ari_password,
        "sip_port": cfg.sip_port,
        "stasis_app": STASIS_APP,
        "agent_sections": agent_sections,
        "hotline_extensions": hotline_ext,
        "queue_members": members,
        "anchor_ring_timeout": cfg.anchor_ring_timeout,
        "anchor_max_wait": cfg.anchor_max_wait,
        "rtp_start": cfg.rtp_start,
        "rtp_end": cfg.rtp_end,
        "outbound_port": cfg.outbound_port,
    }
    written = []
    for name in CONFIG_FILES:
        text = render((TEMPLATES / name).read_text(), values)
        path = etc / name
        path.write_text(text)
        os.chmod(path, 0o640)
        written.append(path)
    return written


# --------------------------------------------------------------------------- mounts


def _mount(root: Path, log: Log) -> None:
    for name in ("dev", "proc"):
        target = root / name
        target.mkdir(exist_ok=True)
        if str(target.resolve()) in _mounts_under(target):
            continue
        res = _run(["mount", "--bind", f"/{name}", str(target)])
        if res.returncode != 0:
            raise ProvisionError(f"mount --bind /{name} {target} failed: {res.stderr.strip()}")
        # Read-only: an `rm -rf` of the cache while mounted must not reach the
        # host's /dev. Device nodes stay writable on a read-only mount.
        res = _run(["mount", "-o", "remount,bind,ro", str(target)])
        if res.returncode != 0:
            log(f"warning: could not make {target} read-only: {res.stderr.strip()}")
    log(f"bind-mounted /dev and /proc (read-only) into {root}")


def _umount(root: Path, log: Log) -> None:
    for name in ("proc", "dev"):
        target = str((root / name).resolve()) if (root / name).exists() else str(root / name)
        # a target may be mounted more than once (earlier crashes): unmount all layers
        for _ in range(8):
            if target not in _mounts_under(root):
                break
            res = _run(["umount", target])
            if res.returncode != 0:
                log(f"umount {target} busy ({res.stderr.strip()}); detaching lazily")
                _run(["umount", "-l", target])
    left = _mounts_under(root)
    if left:
        raise ProvisionError(f"could not unmount: {', '.join(left)}")


# --------------------------------------------------------------------------- process


def _state_path(root: Path) -> Path:
    return root / STATE_FILE


def _read_state(root: Path) -> dict | None:
    try:
        return json.loads(_state_path(root).read_text())
    except (OSError, ValueError):
        return None


def _pid_alive(pid: int, root: Path) -> bool:
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


def _find_pid(root: Path) -> int | None:
    state = _read_state(root) or {}
    candidates = [state.get("pid")]
    with contextlib.suppress(OSError, ValueError):
        candidates.append(int((root / "run/asterisk/asterisk.pid").read_text().strip()))
    for pid in candidates:
        if isinstance(pid, int) and _pid_alive(pid, root):
            return pid
    return None


def _port_free(port: int, kind: int) -> bool:
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


def _ari_version(cfg: LocalAsteriskConfig) -> str | None:
    try:
        info = ari_get(cfg, "/asterisk/info")
    except (OSError, ValueError, urllib.error.URLError):
        return None
    version = (info.get("system") or {}).get("version")
    return f"Asterisk {version}" if version else "Asterisk (version not reported)"


def _package_version(root: Path) -> str | None:
    res = _run(["chroot", str(root), "/usr/sbin/asterisk", "-V"])
    return res.stdout.strip() or None if res.returncode == 0 else None


def _wait_ready(cfg: LocalAsteriskConfig, proc: subprocess.Popen, log: Log) -> str:
    deadline = time.monotonic() + cfg.ready_timeout
    version = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ProvisionError(
                f"Asterisk exited during start-up (exit {proc.returncode}); last lines of its logs:\n"
                + _tail(cfg.root / CONSOLE_LOG, 15)
                + _tail(cfg.root / MESSAGES_LOG, 30)
            )
        if version is None:
            version = _ari_version(cfg)
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
        + _tail(cfg.root / MESSAGES_LOG, 30)
    )


# --------------------------------------------------------------------------- API


def status(cfg: LocalAsteriskConfig | None = None) -> AsteriskStatus:
    """Is the local Asterisk running? With which version and ports?"""
    cfg = cfg or AsteriskDevSettings().config()
    root = cfg.root
    st = AsteriskStatus(running=False, root=root, bootstrapped=is_bootstrapped(root))
    if not st.bootstrapped:
        return st
    pid = _find_pid(root)
    state = _read_state(root) or {}
    if pid is None:
        st.mounts = _mounts_under(root)
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
    st.version = _ari_version(running_cfg)
    st.ari_ready = st.version is not None
    if st.version is None:
        st.version = _package_version(root)
    st.mounts = _mounts_under(root)
    return st


def up(cfg: LocalAsteriskConfig | None = None, log: Log = _default_log) -> AsteriskStatus:
    """Start the local Asterisk (building its root the first time); wait until ARI answers.

    Idempotent: if it is already running, only reports. The returned status has
    ``started=True`` when this call started it.
    """
    cfg = cfg or AsteriskDevSettings().config()
    cfg.validate()
    _require_root()
    t0 = time.monotonic()
    with _locked(cfg.root):
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
        if _mounts_under(cfg.root):
            log("leftover mounts from an earlier run found; reusing them")
        busy = [f"TCP {cfg.ari_port} (ARI)"] if not _port_free(cfg.ari_port, socket.SOCK_STREAM) else []
        if not _port_free(cfg.sip_port, socket.SOCK_DGRAM):
            busy.append(f"UDP {cfg.sip_port} (SIP)")
        if busy:
            raise ProvisionError(
                f"port(s) already in use on 127.0.0.1: {', '.join(busy)}; "
                "stop that process or set HOTLINE_ARI_PORT / HOTLINE_SIP_PORT"
            )

        _prepare_dirs(cfg.root)
        written = write_config(cfg)
        log(f"wrote {len(written)} config files to {cfg.root / 'etc/asterisk'}")
        _mount(cfg.root, log)

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
        _state_path(cfg.root).parent.mkdir(parents=True, exist_ok=True)
        _state_path(cfg.root).write_text(json.dumps(state, indent=2))
        log(f"started: chroot {cfg.root} /usr/sbin/asterisk -f -n (pid {proc.pid}); waiting for ARI")
        try:
            version = _wait_ready(cfg, proc, log)
        except ProvisionError:
            log("start-up failed; stopping and cleaning up")
            _stop_process(cfg.root, proc.pid, log)
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            with contextlib.suppress(ProvisionError):
                _umount(cfg.root, log)
            raise
        elapsed = time.monotonic() - t0
        log(f"{version} ready in {elapsed:.1f} s")
        st = status(cfg)
        st.started = True
        for line in st.describe():
            log(line)
        return st


def cli(cfg: LocalAsteriskConfig, command: str, timeout: float = 10.0) -> str:
    """Run one Asterisk CLI command (``asterisk -rx``) on the running local Asterisk; returns its output."""
    res = _run(["chroot", str(cfg.root), "/usr/sbin/asterisk", "-rx", command], timeout=timeout)
    if res.returncode != 0:
        raise ProvisionError(f"asterisk -rx {command!r} failed: {(res.stderr or res.stdout).strip()}")
    return res.stdout


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


def _stop_process(root: Path, pid: int, log: Log, timeout: float = 15.0) -> None:
    if not _pid_alive(pid, root):
        return
    # "core stop now": hang up all channels and exit cleanly through the control socket
    res = _run(["chroot", str(root), "/usr/sbin/asterisk", "-rx", "core stop now"], timeout=10)
    if res.returncode != 0:
        log(f"`core stop now` failed ({(res.stderr or res.stdout).strip()}); sending SIGTERM")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid, root):
            return
        time.sleep(0.05)
    log(f"Asterisk pid {pid} still running after {timeout:.0f} s; SIGKILL")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _pid_alive(pid, root):
        time.sleep(0.05)


def down(cfg: LocalAsteriskConfig | None = None, log: Log = _default_log) -> AsteriskStatus:
    """Stop the local Asterisk cleanly and unmount /dev and /proc from its root."""
    cfg = cfg or AsteriskDevSettings().config()
    _require_root()
    with _locked(cfg.root):
        pid = _find_pid(cfg.root) if cfg.root.exists() else None
        if pid is not None:
            t0 = time.monotonic()
            log(f"stopping Asterisk (pid {pid})")
            _stop_process(cfg.root, pid, log)
            log(f"stopped in {time.monotonic() - t0:.1f} s")
        else:
            log("Asterisk is not running")
        if cfg.root.exists() and _mounts_under(cfg.root):
            _umount(cfg.root, log)
            log(f"unmounted /dev and /proc from {cfg.root}")
        with contextlib.suppress(FileNotFoundError):
            _state_path(cfg.root).unlink()
        return status(cfg)


__all__ = [
    "AsteriskStatus",
    "LocalAsteriskConfig",
    "ProvisionError",
    "STASIS_APP",
    "agent_name",
    "ari_get",
    "down",
    "ensure_root",
    "find_mirror",
    "status",
    "up",
    "write_config",
]
