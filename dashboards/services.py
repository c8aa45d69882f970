"""What the pages' data modules reach: the store's engine, made once per process, and who uses the page.

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


def current_user() -> str:
    """Who uses the page: the console user the login check put in ``X-Hotline-User`` when mounted under
    ``hotline serve``, else "dashboard" (``hotline dash`` on a planner's own machine)."""
    from flask import has_request_context, request

    if has_request_context():
        return request.headers.get("X-Hotline-User", "dashboard") or "dashboard"
    return "dashboard"
