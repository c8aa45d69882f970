"""The console's settings: the store's (``StoreSettings.from_env``: ``HOTLINE_DATABASE_URL`` or the SQLite
file in ``HOTLINE_DATA_DIR``) plus the few the web service needs of its own:

* ``HOTLINE_TOKEN_TTL`` -- seconds a login token is valid (default 12 hours, one shift and a bit);
* ``HOTLINE_AREA_CODE`` -- the center's own area code, for local numbers typed without one (e.g. ``010``);
* ``HOTLINE_TICKET_SOURCE`` -- the callback tickets the console works on (the live center's is "");
* ``HOTLINE_COMMAND_WAIT`` -- seconds a command to the live driver waits to be taken (default 5), then it is
  withdrawn (never applied later).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from adapters.store.settings import StoreSettings

TOKEN_TTL_ENV = "HOTLINE_TOKEN_TTL"
AREA_CODE_ENV = "HOTLINE_AREA_CODE"
TICKET_SOURCE_ENV = "HOTLINE_TICKET_SOURCE"
COMMAND_WAIT_ENV = "HOTLINE_COMMAND_WAIT"
DEFAULT_TOKEN_TTL = 12 * 3600.0


@dataclass(frozen=True)
class ConsoleSettings:
    store: StoreSettings = field(default_factory=StoreSettings.from_env)
    token_ttl: float = DEFAULT_TOKEN_TTL
    default_area_code: str | None = None
    ticket_source: str = ""
    command_wait: float = 5.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "ConsoleSettings":
        env = os.environ if environ is None else environ
        return cls(store=StoreSettings.from_env(env),
                   token_ttl=float(env.get(TOKEN_TTL_ENV) or DEFAULT_TOKEN_TTL),
                   default_area_code=env.get(AREA_CODE_ENV) or None,
                   ticket_source=env.get(TICKET_SOURCE_ENV, ""),
                   command_wait=float(env.get(COMMAND_WAIT_ENV) or 5.0))
