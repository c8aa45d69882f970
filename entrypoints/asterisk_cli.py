"""`hotline asterisk ...`: run a local Asterisk for development and tests.

Mounted by entrypoints/cli.py as ``app.add_typer(asterisk_app, name="asterisk")``.
Standalone: ``python -m entrypoints.asterisk_cli --help``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Optional

import typer

from devtools import provision
from devtools.asterisk_settings import AsteriskDevSettings, LocalAsteriskConfig, ProvisionError

asterisk_app = typer.Typer(
    name="asterisk",
    help=(
        "Local Asterisk (Debian sid root, chroot, 127.0.0.1 only) for development and live tests. "
        "Needs root. Host packages: scripts/asterisk-deps.sh. Settings also come from "
        "HOTLINE_ASTERISK_ROOT, HOTLINE_ARI_PORT, HOTLINE_SIP_PORT, HOTLINE_ARI_USER, "
        "HOTLINE_ARI_PASSWORD, HOTLINE_AGENTS, HOTLINE_AGENT_PORT_BASE, HOTLINE_NUMBERS."
    ),
    no_args_is_help=True,
    add_completion=False,
)

_ROOT_HELP = "Cached Debian sid root (env HOTLINE_ASTERISK_ROOT, default ~/.cache/hotline/asterisk-sid)."
_ARI_HELP = "ARI/HTTP port on 127.0.0.1 (env HOTLINE_ARI_PORT, default 18088)."
_SIP_HELP = "PJSIP UDP port on 127.0.0.1 (env HOTLINE_SIP_PORT, default 15060)."


def _config(
    root: Optional[Path],
    ari_port: Optional[int],
    sip_port: Optional[int],
    agents: Optional[int] = None,
    agent_port_base: Optional[int] = None,
    numbers: Optional[str] = None,
) -> LocalAsteriskConfig:
    overrides: dict = dict(
        root=root, ari_port=ari_port, sip_port=sip_port, agents=agents, agent_port_base=agent_port_base
    )
    if numbers:
        overrides["numbers"] = tuple(n.strip() for n in numbers.split(",") if n.strip())
    return AsteriskDevSettings().config(**overrides)


def _log(line: str) -> None:
    typer.echo(f"[asterisk] {line}")


def _fail(exc: Exception) -> None:
    typer.secho(f"[asterisk] error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


@asterisk_app.command()
def up(
    agents: Optional[int] = typer.Option(
        None, "--agents", "-a", min=1, max=999, help="Agent endpoints agent001.. (env HOTLINE_AGENTS, default 4)."
    ),
    ari_port: Optional[int] = typer.Option(None, "--ari-port", help=_ARI_HELP),
    sip_port: Optional[int] = typer.Option(None, "--sip-port", help=_SIP_HELP),
    agent_port_base: Optional[int] = typer.Option(
        None,
        "--agent-port-base",
        help="Agent N's SIPp UAS answers on this + N (env HOTLINE_AGENT_PORT_BASE, default 16000).",
    ),
    numbers: Optional[str] = typer.Option(
        None, "--numbers", help="Comma-separated hotline numbers sent to Stasis(hotline) (env HOTLINE_NUMBERS)."
    ),
    root: Optional[Path] = typer.Option(None, "--root", help=_ROOT_HELP),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for ARI to answer."),
) -> None:
    """Start the local Asterisk and wait until ARI answers.

    The first run builds a Debian sid root with debootstrap (about a minute, cached);
    later runs only rewrite the configuration and start Asterisk (about a second).
    If it is already running, only reports. Prints the ARI URL, SIP port and agents.
    """
    try:
        cfg = dataclasses.replace(
            _config(root, ari_port, sip_port, agents, agent_port_base, numbers), ready_timeout=timeout
        )
        st = provision.up(cfg, log=_log)
    except ProvisionError as exc:
        _fail(exc)
        return
    c = st.config or cfg
    typer.echo(
        f"export HOTLINE_ARI_URL={c.ari_url} HOTLINE_ARI_USER={c.ari_user} HOTLINE_ARI_PASSWORD={c.ari_password}"
    )


@asterisk_app.command()
def down(
    root: Optional[Path] = typer.Option(None, "--root", help=_ROOT_HELP),
) -> None:
    """Stop the local Asterisk (`core stop now`, then signals if needed) and unmount /dev and /proc.

    The cached root stays for the next `up`; delete it only after `down`
    (it has /dev bind-mounted while Asterisk runs).
    """
    try:
        provision.down(_config(root, None, None), log=_log)
    except ProvisionError as exc:
        _fail(exc)


@asterisk_app.command()
def status(
    root: Optional[Path] = typer.Option(None, "--root", help=_ROOT_HELP),
    ari_port: Optional[int] = typer.Option(None, "--ari-port", help=_ARI_HELP),
    sip_port: Optional[int] = typer.Option(None, "--sip-port", help=_SIP_HELP),
    json_output: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Report running/stopped, Asterisk version, pid, ports and log locations.

    Exit code 0 when running with ARI answering, 3 when stopped, 1 on errors.
    """
    try:
        st = provision.status(_config(root, ari_port, sip_port))
    except ProvisionError as exc:
        _fail(exc)
        return
    if json_output:
        c = st.config
        typer.echo(
            json.dumps(
                {
                    "running": st.running,
                    "ari_ready": st.ari_ready,
                    "pid": st.pid,
                    "version": st.version,
                    "root": str(st.root),
                    "bootstrapped": st.bootstrapped,
                    "ari_url": c.ari_url if c else None,
                    "sip_port": c.sip_port if c else None,
                    "agents": c.agent_ports() if c else None,
                    "numbers": list(c.numbers) if c else None,
                    "messages_log": str(st.messages_log),
                    "mounts": st.mounts,
                },
                indent=2,
            )
        )
    else:
        for line in st.describe():
            typer.echo(line)
    raise typer.Exit(0 if st.running and st.ari_ready else 3)


if __name__ == "__main__":
    asterisk_app()
