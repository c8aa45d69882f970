"""The development Asterisk's settings: ``AsteriskDevSettings`` (the ``HOTLINE_*`` environment, read once by the
caller) makes the ``LocalAsteriskConfig`` that provisioning, SIPp and the live tests share.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Log = Callable[[str], None]  # operator-readable progress lines

STASIS_APP = "hotline"
ANCHOR_PREFIX = "9"


class ProvisionError(RuntimeError):
    """Provisioning failed; the message says what to do next."""


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
