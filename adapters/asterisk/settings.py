"""The live driver's settings (``hotline live run``): one object, read from the ``HOTLINE_*`` environment
once at the entry point and passed in; command-line options override them there. The store's part is
``StoreSettings``; the development Asterisk's (``hotline asterisk``) are ``provision.AsteriskDevSettings``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.asterisk.ari import DEV_PASSWORD, AriSettings
from adapters.store.settings import StoreSettings

DEFAULT_NUMBERS = "4008001000,4008002000,4008003000"


class LiveSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", frozen=True, extra="ignore")

    store: StoreSettings = Field(default_factory=StoreSettings, exclude=True)
    ari_url: str = Field("", description="Asterisk's HTTP server without /ari (default http://127.0.0.1:ARI_PORT)")
    ari_port: int = Field(18088, description="the ARI port on 127.0.0.1 when HOTLINE_ARI_URL is not set")
    ari_user: str = Field("hotline", description="the ARI user")
    ari_password: str = Field(DEV_PASSWORD, description="the ARI password (set it in production)")
    env: str = Field("", description="production: the development ARI password is refused")
    numbers: str = Field(DEFAULT_NUMBERS, description="development model: hotline numbers, comma-separated")
    agents: int = Field(4, ge=0, description="development model: agents agent001..agentNNN")
    live_dir: Path = Field(Path("live"), description="the journal and event log (queue_log) directory")
    live_source: str = Field("live", description="the event-log source name in the store (one per call center)")
    ticket_source: str = Field("", description="the callback tickets' source (as the console's)")
    metrics_port: int = Field(
        0, ge=0, le=65535, description="port of the driver's Prometheus /metrics on 127.0.0.1 (0: none)"
    )
    metrics_host: str = Field("127.0.0.1", description="address the driver's /metrics listens on")
    log_format: str = Field("json", pattern="^(json|text)$", description="log lines: json (with the call id) or text")

    def ari(self, url: str | None = None) -> AriSettings:
        """The ARI client's settings; ``url`` (a command-line option) over the environment's. With
        ``HOTLINE_ENV=production`` the development password is refused (``ValueError``)."""
        if self.env.strip().lower() == "production" and self.ari_password == DEV_PASSWORD:
            raise ValueError(
                "HOTLINE_ARI_PASSWORD must be set (and not the development one) with HOTLINE_ENV=production"
            )
        return AriSettings(
            url=url or self.ari_url or f"http://127.0.0.1:{self.ari_port}",
            user=self.ari_user,
            password=self.ari_password,
        )

    def number_list(self, raw: str | None = None) -> tuple[str, ...]:
        return tuple(n.strip() for n in (raw or self.numbers).split(",") if n.strip())
