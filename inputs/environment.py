"""``HOTLINE_ENV=production``: the one switch that says a process serves real customers. Then no development
default applies where it would be unsafe (the console's ``/docs`` pages, the ARI password)."""

from __future__ import annotations

import os
from typing import Mapping

ENV = "HOTLINE_ENV"


def is_production(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get(ENV, "").strip().lower() == "production"
