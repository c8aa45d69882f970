"""Rendering a page: the Jinja2 templates of ``console/web/templates`` with what every page needs.

``render(request, name, user, **context)`` gives the template ``t`` (labels in the request's language),
``lang``, ``user``, ``nav`` (the pages the user's role may open, checked with ``permissions.can``), and the
filters ``when`` (epoch seconds -> the site's time zone), ``yuan`` (money), ``clock`` (seconds -> m:ss),
``mask`` (a phone number as agents see it) and ``zip_labels`` (a select's options with their labels); a
form's ``values`` and ``errors`` are empty unless given.
The navigation is one list, ``NAV``: a page group adds its entries with ``add_nav``. A handler that needs the
labels itself (a form's messages) takes ``t: Labels``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from console.models import AppUser
from console.permissions import can, mask_phone
from console.web.i18n import LANG_COOKIE, language_of, translator
from core.config import SITE_ZONE

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

# (permission, path, label key): the header's links, in this order
NAV: list[tuple[str, str, str]] = [
    ("live.self", "/agent", "nav.desk"),
    ("callbacks.claim", "/callbacks", "nav.callbacks"),
    ("complaints.read", "/complaints", "nav.complaints"),
]


def add_nav(permission: str, path: str, label: str) -> None:
    NAV.append((permission, path, label))


def when(epoch: float | None, with_date: bool = True) -> str:
    if epoch is None:
        return ""
    moment = datetime.fromtimestamp(float(epoch), SITE_ZONE)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def yuan(amount: Decimal | float | int | str | None) -> str:
    if amount is None or amount == "":
        return ""
    return f"¥{Decimal(str(amount)):,.2f}"


def clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def zip_labels(values, t, prefix: str) -> list[tuple[str, str]]:
    """(value, label) pairs for a select: the label is the catalogue's ``prefix + value``."""
    return [(value, t(prefix + value)) for value in values]


templates.env.filters.update(when=when, yuan=yuan, clock=clock, mask=mask_phone, zip_labels=zip_labels)


def request_language(request: Request) -> str:
    return language_of(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


async def request_labels(request: Request) -> Callable[..., str]:
    """The labels in the request's language: a page handler's ``t`` (async: cheap, so no thread-pool hop)."""
    return translator(request_language(request))


Labels = Annotated[Callable[..., str], Depends(request_labels)]


def render(
    request: Request, name: str, user: AppUser | None = None, status_code: int = 200, **context: object
) -> HTMLResponse:
    lang = request_language(request)
    nav = [(path, label) for permission, path, label in NAV if user is not None and can(user.role, permission)]
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": translator(lang),
            "lang": lang,
            "user": user,
            "nav": nav,
            "path": request.url.path,
            "values": {},  # a form page's typed values and its problems by field (console.web.forms)
            "errors": {},
            **context,
        },
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"  # pages carry customers' data
    return response
