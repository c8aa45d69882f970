"""``create_dash(settings)``: the dashboards' Dash app, its pages (``dashboards.pages``) and the background
callback manager.

Long twin runs are background callbacks on Dash's ``DiskcacheManager``: each run is a process of its own
(forked), its progress and result pass through a diskcache directory, so the web process stays free; on two
cores a run's replications take both (``twin.run`` forks its own workers). ``prefix`` is where the app is
seen from the browser: "/" alone (``hotline dash``), "/dash/" under ``hotline serve``.
"""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path

import dash
import diskcache
from dash import Dash, DiskcacheManager, dcc, html
from sqlalchemy import Engine

from adapters.store.settings import StoreSettings
from dashboards import services
from dashboards.ui import bi

PAGES = ("plan", "live", "media", "history")


def create_dash(
    settings: StoreSettings, *, engine: Engine | None = None, prefix: str = "/", cache_dir: str | Path | None = None
) -> Dash:
    services.configure(settings, engine)
    cache = diskcache.Cache(str(cache_dir or Path(tempfile.gettempdir()) / "hotline-dash-cache"))
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        requests_pathname_prefix=prefix,
        routes_pathname_prefix="/",
        background_callback_manager=DiskcacheManager(cache),
        title="Hotline dashboards",
        suppress_callback_exceptions=True,
    )
    for page in PAGES:  # register_page needs the app first; the import registers each page and its callbacks
        importlib.import_module(f"dashboards.pages.{page}")
    app.layout = html.Div(
        [
            html.Nav(
                [html.Strong(bi("Hotline dashboards", "热线看板"), style={"marginRight": "1.5em"})]
                + [
                    dcc.Link(
                        page["name"],
                        href=page["relative_path"],
                        id=f"nav-{page['module'].rsplit('.', 1)[-1]}",
                        style={"marginRight": "1.2em"},
                    )
                    for page in dash.page_registry.values()
                ],
                style={"padding": "0.6em 1em", "borderBottom": "1px solid #ccc", "fontFamily": "sans-serif"},
            ),
            html.Main(dash.page_container, style={"padding": "0 1em", "fontFamily": "sans-serif"}),
        ]
    )
    return app
