"""The console's settings (``hotline serve``): one object, read from the ``HOTLINE_*`` environment once at the
entry point and passed to ``create_app``. The store's are ``StoreSettings`` (``HOTLINE_DATABASE_URL``, the
pool and the timeouts); docs/operator.md lists every variable (a test checks the list against these classes).
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.store.settings import StoreSettings

DEFAULT_TOKEN_TTL = 12 * 3600.0


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", frozen=True, extra="ignore")

    store: StoreSettings = Field(default_factory=StoreSettings, exclude=True)
    token_ttl: float = Field(DEFAULT_TOKEN_TTL, gt=0, description="seconds a login token is valid (default 12 h)")
    token_cache_ttl: float = Field(5.0, ge=0, description="seconds a worker trusts a token it has checked without "
                                                          "asking the database again (0: ask every time)")
    area_code: str | None = Field(None, description="the center's own area code, for local numbers typed "
                                                     "without one (e.g. 010)")
    ticket_source: str = Field("", description="the callback tickets the console works on (the live center's: '')")
    command_wait: float = Field(5.0, gt=0, description="seconds a command to the live driver waits to be taken, "
                                                       "then it is withdrawn")
    workers: int = Field(1, ge=1, description="worker processes of hotline serve (--workers overrides)")
    retry_after: int = Field(2, ge=1, description="seconds a 503 (database unavailable) tells clients to wait")
    log_format: str = Field("json", pattern="^(json|text)$", description="request log lines: json or text")

    @property
    def default_area_code(self) -> str | None:
        return self.area_code or None
