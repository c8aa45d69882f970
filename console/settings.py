"""The console's settings (``hotline serve``): one object, read from the ``HOTLINE_*`` environment once at the
entry point and passed to ``create_app``. The store's are ``StoreSettings`` (``HOTLINE_DATABASE_URL``, the
pool and the timeouts); docs/operator.md lists every variable (a test checks the list against these classes).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.store.settings import StoreSettings

DEFAULT_TOKEN_TTL = 12 * 3600.0
DEFAULT_DISCOUNT_LIMITS = {"agent": 0.1, "supervisor": 0.3, "admin": 1.0}


def parse_discount_limits(text: str) -> dict[str, float]:
    """``agent=0.1,supervisor=0.3`` -> {role: share of the subtotal}; roles not named keep the default."""
    limits = dict(DEFAULT_DISCOUNT_LIMITS)
    for item in filter(None, (part.strip() for part in text.split(","))):
        role, _, share = item.partition("=")
        try:
            value = float(share)
        except ValueError:
            value = -1.0
        if role.strip() not in limits or not 0 <= value <= 1:
            raise ValueError(f"HOTLINE_DISCOUNT_LIMITS: {item!r} is not role=share with a share from 0 to 1")
        limits[role.strip()] = value
    return limits


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", frozen=True, extra="ignore")

    store: StoreSettings = Field(default_factory=StoreSettings, exclude=True)
    token_ttl: float = Field(DEFAULT_TOKEN_TTL, gt=0, description="seconds a login token is valid (default 12 h)")
    token_cache_ttl: float = Field(
        5.0,
        ge=0,
        description="seconds a worker trusts a token it has checked without "
        "asking the database again (0: ask every time)",
    )
    area_code: str | None = Field(
        None, description="the center's own area code, for local numbers typed without one (e.g. 010)"
    )
    ticket_source: str = Field("", description="the callback tickets the console works on (the live center's: '')")
    command_wait: float = Field(
        5.0, gt=0, description="seconds a command to the live driver waits to be taken, then it is withdrawn"
    )
    workers: int = Field(1, ge=1, description="worker processes of hotline serve (--workers overrides)")
    retry_after: int = Field(2, ge=1, description="seconds a 503 (database unavailable) tells clients to wait")
    log_format: str = Field("json", pattern="^(json|text)$", description="request log lines: json or text")
    max_body: int = Field(1 << 20, ge=1024, description="the largest request body in bytes (1 MiB)")
    max_upload: int = Field(32 << 20, ge=1024, description="the largest upload, e.g. a schedule CSV (32 MiB)")
    env: str = Field("", description="production: no /docs or /redoc pages (they load scripts from a public CDN)")
    trusted_proxies: str = Field(
        "",
        description="addresses of the reverse proxies whose X-Forwarded-For / -Proto "
        "are believed (comma-separated); none by default",
    )
    password_checks: int = Field(2, ge=1, description="password checks (argon2, 64 MiB each) at once per process")
    lookup_limit: int = Field(
        30,
        ge=1,
        description="phone lookups a user may make per minute; past it 429 and a security alert for supervisors",
    )
    discount_limits: str = Field(
        "",
        description="the largest discount each role may give alone, as a share of "
        "the subtotal (agent=0.1,supervisor=0.3,admin=1)",
    )
    recordings_dir: Path | None = Field(
        None,
        description="where the live driver's call recordings are (Asterisk's "
        "recording spool), for playing them in the console",
    )

    @field_validator("discount_limits")
    @classmethod
    def _discount_limits_parse(cls, text: str) -> str:
        parse_discount_limits(text)
        return text

    @property
    def default_area_code(self) -> str | None:
        return self.area_code or None

    @property
    def docs(self) -> bool:
        return self.env.strip().lower() != "production"

    @property
    def lookups_per_minute(self) -> int:
        return self.lookup_limit

    @property
    def role_discount_limits(self) -> dict[str, float]:
        return parse_discount_limits(self.discount_limits)
