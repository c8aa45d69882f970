"""The development Asterisk's root: a Debian sid root with Asterisk, built once with debootstrap and cached
(Debian 12 has no ``asterisk`` package, sid has); its directories prepared and /dev and /proc bind-mounted on
every ``up``. Needs root.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import time
from collections import deque
from pathlib import Path
from typing import Iterator

from devtools.asterisk_settings import LocalAsteriskConfig, Log, ProvisionError

INCLUDE_PACKAGES = ("asterisk", "asterisk-modules", "asterisk-core-sounds-en")
SUITE = "sid"
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


def default_log(line: str) -> None:
    print(f"[asterisk] {line}", flush=True)


def require_root() -> None:
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


def mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve()) if path.exists() else str(path)
    found = []
    with open("/proc/self/mounts") as fh:
        for line in fh:
            target = line.split()[1].replace("\\040", " ")
            if target == prefix or target.startswith(prefix + "/"):
                found.append(target)
    return found


def run_captured(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Serialise up/down between processes (e.g. pytest-xdist workers)."""
    root.parent.mkdir(parents=True, exist_ok=True)
    lock_path = root.parent / f".{root.name}.lock"
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def is_bootstrapped(root: Path) -> bool:
    return (root / BOOTSTRAP_MARKER).exists() and (root / "usr/sbin/asterisk").exists()


def ensure_root(cfg: LocalAsteriskConfig, log: Log = default_log) -> bool:
    """Build the sid root if it is missing. Returns True if it was built now."""
    root = cfg.root
    if is_bootstrapped(root):
        return False
    if root.exists() and any(root.iterdir()):
        if mounts_under(root):
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
        if mounts_under(tmp):
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


def prepare_dirs(root: Path) -> None:
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
    resolv.write_text("# Hotline dev Asterisk: loopback only, no DNS (written by devtools/asterisk_rootfs.py)\n")
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


def mount_dev_and_proc(root: Path, log: Log) -> None:
    for name in ("dev", "proc"):
        target = root / name
        target.mkdir(exist_ok=True)
        if str(target.resolve()) in mounts_under(target):
            continue
        res = run_captured(["mount", "--bind", f"/{name}", str(target)])
        if res.returncode != 0:
            raise ProvisionError(f"mount --bind /{name} {target} failed: {res.stderr.strip()}")
        # Read-only: an `rm -rf` of the cache while mounted must not reach the
        # host's /dev. Device nodes stay writable on a read-only mount.
        res = run_captured(["mount", "-o", "remount,bind,ro", str(target)])
        if res.returncode != 0:
            log(f"warning: could not make {target} read-only: {res.stderr.strip()}")
    log(f"bind-mounted /dev and /proc (read-only) into {root}")


def unmount_dev_and_proc(root: Path, log: Log) -> None:
    for name in ("proc", "dev"):
        target = str((root / name).resolve()) if (root / name).exists() else str(root / name)
        # a target may be mounted more than once (earlier crashes): unmount all layers
        for _ in range(8):
            if target not in mounts_under(root):
                break
            res = run_captured(["umount", target])
            if res.returncode != 0:
                log(f"umount {target} busy ({res.stderr.strip()}); detaching lazily")
                run_captured(["umount", "-l", target])
    left = mounts_under(root)
    if left:
        raise ProvisionError(f"could not unmount: {', '.join(left)}")
