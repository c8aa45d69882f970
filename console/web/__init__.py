"""The web console: server-rendered pages (Jinja2) on the API's accounts, roles and use cases.

``mount_web(app)`` adds the page routers (one module per page group in ``routers/``), the static files
(``static/``: hand-written CSS and JS, nothing from a CDN) and the HTML answers of pages: not logged in ->
the login page, a role without the permission -> a 403 page. Pages log in with the API's tokens, carried in an
HttpOnly SameSite cookie; the API's own dependencies (``console.deps.require``) check the roles.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from console.web.render import HERE, render
from console.web.routers import (
    admin,
    agent,
    callbacks,
    campaigns,
    complaints,
    fulfilment,
    members,
    office,
    order_entry,
    outbound_desk,
    places,
    recordings,
    session,
    wallboard,
)
from console.web.screen_pop import phone_regions
from core.phones import parse_phone

PAGE_ROUTERS = (
    session,
    agent,
    order_entry,
    callbacks,
    complaints,
    wallboard,
    fulfilment,
    places,
    members,
    office,
    recordings,
    campaigns,
    outbound_desk,
    admin,
)


async def page_or_api_error(request: Request, error: Exception):
    assert isinstance(error, HTTPException)
    if request.url.path.startswith("/api") or request.url.path.startswith("/static"):
        return await http_exception_handler(request, error)
    if error.status_code == 401:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    key = {403: "error.forbidden", 404: "error.not_found"}.get(error.status_code, "error.title")
    return render(request, "error.html", None, status_code=error.status_code, message_key=key, detail=str(error.detail))


def warm_up() -> None:
    """Load the phone-region data before the first screen pop (its first lookup takes about a second)."""
    phone_regions().region_of(parse_phone("13800138000"))


def mount_web(app: FastAPI) -> None:
    for module in PAGE_ROUTERS:
        app.include_router(module.router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_exception_handler(HTTPException, page_or_api_error)
