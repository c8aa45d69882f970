"""``guarded(app, engine, permission)``: an ASGI app that lets a request through to ``app`` only for a logged-in
user whose role has ``permission`` -- how the console puts pages it does not own (the dashboards, mounted at
/dash by ``hotline serve``) behind its own login and roles.

The login is the console's token, from ``Authorization: Bearer <token>`` or from the session cookie
(``console.session_cookie.SESSION_COOKIE``), checked by ``console.accounts.SqlAccounts.user_for_token``.
The user's name goes on to the page in ``X-Hotline-User`` (a client's own is dropped). No login -> 401, a role without the permission -> 403; both answer in a few words of HTML (or JSON for a
client that asks for it) in English and Chinese.
"""

from __future__ import annotations

import json
import time
from http.cookies import SimpleCookie
from typing import Callable

from anyio import to_thread
from sqlalchemy import Engine

from console.accounts import SqlAccounts
from console.models import AppUser
from console.permissions import can
from console.session_cookie import SESSION_COOKIE

Scope = dict
USER_HEADER = b"x-hotline-user"
ASGIApp = Callable

MESSAGES = {
    401: ("Log in first: the console's login page, or send Authorization: Bearer <token>.", "请先登录。"),
    403: ("Your role may not open this page (planner, supervisor or admin only).", "您的角色无权打开此页面。"),
}


def request_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The bearer token of a request, else its session cookie's value, else None."""
    cookie_token = None
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
        elif name == b"cookie":
            jar = SimpleCookie()
            jar.load(value.decode("latin-1"))
            if SESSION_COOKIE in jar:
                cookie_token = jar[SESSION_COOKIE].value
    return cookie_token


async def _refuse(send, status: int, wants_json: bool) -> None:
    english, chinese = MESSAGES[status]
    if wants_json:
        body = json.dumps({"detail": english}).encode()
        kind = b"application/json"
    else:
        body = (
            f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{status}</title>"
            f"<p id='refused'>{status}: {english}</p><p lang='zh-CN'>{chinese}</p></html>"
        ).encode()
        kind = b"text/html; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def guarded(app: ASGIApp, engine: Engine, permission: str, clock: Callable[[], float] = time.time) -> ASGIApp:
    accounts = SqlAccounts(engine)

    def user_of(token: str) -> AppUser | None:
        return accounts.user_for_token(token, clock())

    async def guard(scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        wants_json = any(n == b"accept" and b"application/json" in v for n, v in headers)
        token = request_token(headers)
        user = await to_thread.run_sync(user_of, token) if token else None
        if user is None:
            await _refuse(send, 401, wants_json)
        elif not can(user.role, permission):
            await _refuse(send, 403, wants_json)
        else:  # the page learns who uses it from a header only this guard sets
            kept = [(n, v) for n, v in headers if n != USER_HEADER]
            await app({**scope, "headers": kept + [(USER_HEADER, user.username.encode())]}, receive, send)

    return guard
