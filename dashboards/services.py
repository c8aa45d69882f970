"""What the pages' data modules reach: the store's engine, made once per process.

Background callbacks run in processes of their own (Dash's ``DiskcacheManager`` forks), so the engine is
remade in a process that did not make it: a pooled connection must never cross a fork.
"""

from __future__ import annotations

import os

from sqlalchemy import Engine

from adapters.store.settings import StoreSettings, make_engine

_settings: StoreSettings | None = None
_engine: tuple[int, Engine] | None = None


def configure(settings: StoreSettings, engine: Engine | None = None) -> None:
    global _settings, _engine
    _settings = settings
    _engine = (os.getpid(), engine) if engine is not None else None


def engine() -> Engine:
    global _engine
    if _settings is None:
        raise RuntimeError("dashboards.services.configure(settings) was not called (dashboards.app.create_dash does)")
    if _engine is None or _engine[0] != os.getpid():
        _engine = (os.getpid(), make_engine(_settings))
    return _engine[1]
