"""The console's settings: the store's (``StoreSettings.from_env``: ``HOTLINE_DATABASE_URL`` or the SQLite
file in ``HOTLINE_DATA_DIR``) plus the few the web service needs of its own:

* ``HOTLINE_TOKEN_TTL`` -- seconds a login token is valid (default 12 hours, one shift and a bit);
* ``HOTLINE_AREA_CODE`` -- the center's own area code, for local numbers typed without one (e.g. ``010``);
* ``HOTLINE_TICKET_SOURCE`` -- the callback tickets the console works on (the live center's is "");
* ``HOTLINE_COMMAND_WAIT`` -- seconds a command to the live driver waits to be taken (default 5), then it is
  withdrawn (never applied later);
* ``HOTLINE_MAX_BODY`` / ``HOTLINE_MAX_UPLOAD`` -- the largest request body in bytes (1 MiB) and the largest
  upload (a schedule CSV, 32 MiB);
* ``HOTLINE_ENV=production`` -- no ``/docs`` or ``/redoc`` pages (they load scripts from a public CDN);
* ``HOTLINE_TRUSTED_PROXIES`` -- addresses of the reverse proxies whose ``X-Forwarded-For`` / ``-Proto`` are
  believed (comma-separated); none by default, so a client cannot choose the address it is logged under;
* ``HOTLINE_PASSWORD_CHECKS`` -- password checks (argon2, 64 MiB each) running at once per process (2);
* ``HOTLINE_LOOKUP_LIMIT`` -- phone lookups a user may make per minute (30); past it 429 and a
  ``security.alert`` for supervisors;
* ``HOTLINE_DISCOUNT_LIMITS`` -- the largest discount each role may give alone, as a share of the subtotal
  (``agent=0.1,supervisor=0.3,admin=1``); above it a supervisor's approval.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from adapters.store.settings import StoreSettings
from inputs.environment import is_production

TOKEN_TTL_ENV = "HOTLINE_TOKEN_TTL"
AREA_CODE_ENV = "HOTLINE_AREA_CODE"
TICKET_SOURCE_ENV = "HOTLINE_TICKET_SOURCE"
COMMAND_WAIT_ENV = "HOTLINE_COMMAND_WAIT"
DEFAULT_TOKEN_TTL = 12 * 3600.0
DEFAULT_DISCOUNT_LIMITS = {"agent": 0.1, "supervisor": 0.3, "admin": 1.0}


def parse_discount_limits(text: str) -> dict[str, float]:
    """``agent=0.1,supervisor=0.3`` -> {role: share of the subtotal}; roles not named keep the default."""
    limits = dict(DEFAULT_DISCOUNT_LIMITS)
    for item in filter(None, (part.strip() for part in text.split(","))):
        role, _, share = item.partition("=")
        if role.strip() not in limits or not 0 <= float(share) <= 1:
            raise ValueError(f"HOTLINE_DISCOUNT_LIMITS: {item!r} is not role=share with a share from 0 to 1")
        limits[role.strip()] = float(share)
    return limits


@dataclass(frozen=True)
class ConsoleSettings:
    store: StoreSettings = field(default_factory=StoreSettings.from_env)
    token_ttl: float = DEFAULT_TOKEN_TTL
    default_area_code: str | None = None
    ticket_source: str = ""
    command_wait: float = 5.0
    max_body: int = 1 << 20
    max_upload: int = 32 << 20
    docs: bool = True
    password_checks: int = 2
    lookups_per_minute: int = 30
    discount_limits: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_DISCOUNT_LIMITS))
    trusted_proxies: str = ""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "ConsoleSettings":
        env = os.environ if environ is None else environ
        return cls(store=StoreSettings.from_env(env),
                   token_ttl=float(env.get(TOKEN_TTL_ENV) or DEFAULT_TOKEN_TTL),
                   default_area_code=env.get(AREA_CODE_ENV) or None,
                   ticket_source=env.get(TICKET_SOURCE_ENV, ""),
                   command_wait=float(env.get(COMMAND_WAIT_ENV) or 5.0),
                   max_body=int(env.get("HOTLINE_MAX_BODY") or 1 << 20),
                   max_upload=int(env.get("HOTLINE_MAX_UPLOAD") or 32 << 20),
                   docs=not is_production(env),
                   password_checks=max(1, int(env.get("HOTLINE_PASSWORD_CHECKS") or 2)),
                   lookups_per_minute=int(env.get("HOTLINE_LOOKUP_LIMIT") or 30),
                   discount_limits=parse_discount_limits(env.get("HOTLINE_DISCOUNT_LIMITS", "")),
                   trusted_proxies=env.get("HOTLINE_TRUSTED_PROXIES", "").strip())
