"""The development Asterisk's configuration: ``asterisk_templates/`` rendered into ROOT/etc/asterisk on every ``up``
(ARI user, transport, one PJSIP endpoint per agent, the dialplan that sends each hotline number to the Stasis
app, the app_queue anchor, the outbound trunk).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from devtools.asterisk_settings import STASIS_APP, LocalAsteriskConfig

TEMPLATES = Path(__file__).with_name("asterisk_templates")
DRIVER_WAIT_S = 30  # a caller waits this long in the dialplan for the live driver to come back
# Files written under etc/asterisk on every `up` (asterisk_templates/<name>).
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


def render(template: str, values: dict) -> str:
    """Replace ``{{name}}`` placeholders; unknown names are an error."""

    def sub(m: re.Match) -> str:
        key = m.group(1)
        if key not in values:
            raise KeyError(f"template placeholder {{{{{key}}}}} has no value")
        return str(values[key])

    return re.sub(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", sub, template)


def write_config(cfg: LocalAsteriskConfig) -> list[Path]:
    """Render asterisk_templates/ into ROOT/etc/asterisk. Returns the files written."""
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
        "header": "Written by Hotline (devtools/asterisk_config.py) on every `up`; edits are overwritten.",
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
