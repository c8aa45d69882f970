"""POST /api/login (username and password -> bearer token), POST /api/logout (the token ends), GET /api/me,
POST /api/me/password (change one's own password: the other logins end).

A login is refused with 429 and ``Retry-After`` while its user or its address is locked out
(``accounts.USER_LOCKOUT`` / ``ADDRESS_LOCKOUT``, without checking the password); every try is audited
(``auth.login``, ``auth.login_failed``, ``auth.login_refused``: a row for the user name, one for the address).
The password check runs through the app's ``PasswordChecks`` (503 when too many wait)."""

from __future__ import annotations

import math

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from adapters.store.audit import SqlAudit
from app.audit import note_access
from app.ports import AuditEntry
from console.accounts import ADDRESS_LOCKOUT, USER_LOCKOUT, Busy, PasswordChecks, SqlAccounts
from console.deps import TOKEN_COOKIE, AuditDep, CurrentToken, CurrentUser, EngineDep, TokenCacheDep
from console.models import PASSWORD_MAX, PASSWORD_MIN, AppUser, Login, TokenPublic, UserPublic
from console.on_loop import off_loop, wait_for
from console.permissions import PERMISSIONS

router = APIRouter(tags=["auth"])
LOGIN_FAILED = "auth.login_failed"


def password_checks(request: Request) -> PasswordChecks:
    """The app's gate, made on first use inside its event loop."""
    state = request.app.state
    if getattr(state, "password_checks", None) is None:
        state.password_checks = PasswordChecks(state.settings.password_checks)
    return state.password_checks


def _audit_login(request: Request, now: float, username: str, address: str, action: str, detail: str = "") -> None:
    entries = (
        AuditEntry(now, username, action, "user", (username,), detail or f"from {address}"),
        AuditEntry(now, username, action, "address", (address,), detail),
    )
    for entry in entries:
        note_access(entry, request.app.state.unit_of_work())


def _lockout_wait(audit: SqlAudit, username: str, address: str, now: float) -> float:
    """Seconds this user and address must wait; a user's failures before their last success do not count."""
    successes = audit.times("auth.login", now - USER_LOCKOUT.window, entity="user", entity_id=username)
    since = successes[-1] if successes else now - USER_LOCKOUT.window
    by_user = [
        at for at in audit.times(LOGIN_FAILED, since, entity="user", entity_id=username) if at > since or not successes
    ]
    by_address = audit.times(LOGIN_FAILED, now - ADDRESS_LOCKOUT.window, entity="address", entity_id=address)
    return max(USER_LOCKOUT.wait(by_user, now), ADDRESS_LOCKOUT.wait(by_address, now))


@router.post(
    "/login",
    response_model=TokenPublic,
    responses={
        429: {"description": "locked out for a while after failed logins (Retry-After)"},
        503: {"description": "too many logins at once (Retry-After)"},
    },
)
async def login(body: Login, request: Request) -> TokenPublic:
    """A bearer token for ``Authorization: Bearer <token>``, valid ``HOTLINE_TOKEN_TTL`` seconds."""
    token, user, expires = await authenticate(request, body.username, body.password)
    return TokenPublic(access_token=token, expires=expires, user=UserPublic.model_validate(user))


async def authenticate(request: Request, username: str, password: str) -> tuple[str, AppUser, float]:
    """(token, user, expiry) for a right password: the lockout, the bounded password checks and the audit of
    every try, for the API's login and the web console's login page alike. 429 / 503 / 401 as ``login``."""
    state = request.app.state
    engine, settings, now = state.engine, state.settings, float(state.clock())
    username, address = username.lower(), request.client.host if request.client else "-"
    wait = await run_in_threadpool(_lockout_wait, SqlAudit(engine), username, address, now)
    if wait > 0:
        await run_in_threadpool(
            _audit_login,
            request,
            now,
            username,
            address,
            "auth.login_refused",
            f"from {address}: locked for {wait:.0f} s",
        )
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed logins: try again in {math.ceil(wait)} s",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    accounts = SqlAccounts(engine)
    try:
        found = await password_checks(request).run(
            lambda: accounts.login(username, password, now, settings.token_ttl), run_in_threadpool
        )
    except Busy as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error), headers={"Retry-After": "1"}) from None
    action = LOGIN_FAILED if found is None else "auth.login"
    await run_in_threadpool(_audit_login, request, now, username, address, action)
    if found is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password, or the user is inactive")
    token, user = found
    return token, user, now + settings.token_ttl


def approver(request: Request, username: str, password: str, now: float) -> AppUser | None:
    """A supervisor's approval typed at an agent's desk (an order's discount): the active user of this name
    and password, through the same lockout, password checks and audit as a login (``auth.approval``, or
    ``auth.login_failed``, which counts towards the lockout). For a sync endpoint, in a worker thread or on the
    loop (``console.on_loop``): its own reads and writes and the password check never hold up the loop."""
    state, username = request.app.state, username.lower()
    address = request.client.host if request.client else "-"
    wait = off_loop(_lockout_wait, SqlAudit(state.engine), username, address, now)
    if wait > 0:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed logins of {username}: try again in {math.ceil(wait)} s",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    accounts = SqlAccounts(state.engine)
    try:
        found = wait_for(
            password_checks(request).run, lambda: accounts.check_password(username, password), run_in_threadpool
        )
    except Busy as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error), headers={"Retry-After": "1"}) from None
    off_loop(
        _audit_login,
        request,
        now,
        username,
        address,
        LOGIN_FAILED if found is None else "auth.approval",
        f"approval from {address}",
    )
    return found


class MePublic(UserPublic):
    permissions: list[str]


@router.get("/me", response_model=MePublic)
def me(user: CurrentUser) -> MePublic:
    return MePublic(**UserPublic.model_validate(user).model_dump(), permissions=sorted(PERMISSIONS[user.role]))


@router.post("/logout", status_code=204)
def logout(user: CurrentUser, token: CurrentToken, engine: EngineDep, cache: TokenCacheDep) -> Response:
    """End this token (and the web console's cookie): it logs nobody in any more."""
    SqlAccounts(engine).end_token(token or "")
    cache.forget(token)
    response = Response(status_code=204)
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


class PasswordChange(BaseModel):
    current: str = Field(min_length=1, max_length=PASSWORD_MAX)
    new: str = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)


@router.post("/me/password", status_code=204)
def change_password(
    body: PasswordChange,
    user: CurrentUser,
    token: CurrentToken,
    engine: EngineDep,
    audit: AuditDep,
    cache: TokenCacheDep,
) -> Response:
    """A new password for oneself, given the current one (403 when it is wrong); one's other logins end."""
    if not SqlAccounts(engine).change_password(user.id or 0, body.current, body.new, keep_token=token or ""):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the current password is wrong")
    cache.forget()
    audit("users.password", "user", [str(user.id)], "own password changed")
    return Response(status_code=204)
