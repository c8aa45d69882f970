"""FastAPI dependencies, as ``Annotated`` aliases (the full-stack template's style):

* ``SessionDep`` -- the request's ``StoreSession``: its one database connection, taken at first use and given
  back when the endpoint returns; ``session.connection()`` for reads through the store's repositories;
* ``EngineDep`` -- the store's engine (``app.state.engine``), for what runs beside the request's connection;
* ``UnitOfWorkDep`` -- a fresh unit of work (``app.state.unit_of_work()``) for a use case of ``app/``, on the
  request's connection;
* ``SettingsDep`` -- ``ConsoleSettings``; ``Now`` -- the request's time (``app.state.clock``, epoch seconds);
* ``CurrentUser`` -- the user of the bearer token, or of the web console's login cookie (``TOKEN_COOKIE``:
  HttpOnly, SameSite=Strict, so another site's page cannot send it) (401 without a valid one);
  ``CurrentToken`` -- that token;
* ``require(permission)`` -- the current user if their role has ``permission`` (403 otherwise; ``ensure_can``
  for a permission that depends on the request), e.g.
  ``user: Annotated[AppUser, require("customers.read")]``;
* ``Unmasked`` -- whether this user may see full phone numbers (``phones.unmasked``);
* ``AuditDep`` -- ``audit(action, entity, ids, detail="")`` writes the audit rows of a read for this user and
  request (``app.audit.note_access``) on the request's connection and commits them with the read's transaction
  (``audit.rows([...])``: several in one commit); a change writes its own inside its use case.

One connection per request (issue 14): the token check, the reads, the use case's unit and the audit rows all
run on ``SessionDep``'s connection, so a request costs one pool checkout. When the token cache misses, the
token check gives its connection back before the endpoint waits for a worker thread (two checkouts then: a
queued request holds no connection); the reads, the unit and the audit rows of a request share one
transaction on PostgreSQL.

Dependencies that do no I/O are ``async``: FastAPI runs a sync dependency in its thread pool, and a hop per
dependency per request cost more than the work. ``get_current_user`` answers from the worker's
``TokenCache`` (``HOTLINE_TOKEN_CACHE_TTL`` seconds) and reads the database in the thread pool otherwise.
"""

from __future__ import annotations

from typing import Annotated, AsyncIterator, Sequence

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from adapters.store.uow import StoreSession
from app.audit import note_access
from app.ports import AuditEntry, UnitOfWork
from console.accounts import SqlAccounts
from console.models import AppUser
from console.on_loop import in_store, session_engine
from console.permissions import ALL_PERMISSIONS, can
from console.session_cookie import SESSION_COOKIE
from console.settings import ConsoleSettings


async def get_engine(request: Request) -> Engine:
    return request.app.state.engine


async def get_settings(request: Request) -> ConsoleSettings:
    return request.app.state.settings


async def get_now(request: Request) -> float:
    return float(request.app.state.clock())


async def get_session(request: Request) -> AsyncIterator[StoreSession]:
    """The request's connection (on the loop's async engine for an ``@on_event_loop`` endpoint), given back
    when the endpoint returns (a rollback, in the thread pool, only when something was left uncommitted: a
    read without an audit row)."""
    session = StoreSession(session_engine(request))
    try:
        yield session
    finally:
        if session.idle and not session.engine.dialect.is_async:
            session.close()
        else:
            await in_store(session, session.close)


# scope "function": the connection goes back to the pool as the endpoint returns, before the answer is sent (a
# recording streamed to a slow client holds none)
SessionDep = Annotated[StoreSession, Depends(get_session, scope="function")]


async def get_unit_of_work(request: Request, session: SessionDep) -> UnitOfWork:
    """The request's unit of work; under an ``Idempotency-Key`` it writes the key with its change."""
    return request.app.state.unit_of_work(idempotency=getattr(request.state, "idempotency", None), session=session)


EngineDep = Annotated[Engine, Depends(get_engine)]
UnitOfWorkDep = Annotated[UnitOfWork, Depends(get_unit_of_work)]
SettingsDep = Annotated[ConsoleSettings, Depends(get_settings)]
Now = Annotated[float, Depends(get_now)]

_bearer = HTTPBearer(auto_error=False, description="The token POST /api/login returns.")
TOKEN_COOKIE = SESSION_COOKIE  # one name for the pages, the stream and the dashboards


async def get_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> str | None:
    """The bearer token, else the web console's login cookie."""
    return credentials.credentials if credentials is not None else request.cookies.get(TOKEN_COOKIE)


CurrentToken = Annotated[str | None, Depends(get_token)]


class TokenCache:
    """Tokens this worker checked in the last ``ttl`` seconds, with their user: most requests need no database
    for their login. A logout, deactivation or password change reaches the other workers within ``ttl``
    (``forget`` drops a token at once here)."""

    def __init__(self, ttl: float, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._users: dict[str, tuple[float, AppUser]] = {}

    def get(self, token: str, now: float) -> AppUser | None:
        found = self._users.get(token) if self.ttl > 0 else None
        if found is None or found[0] <= now:
            return None
        return found[1]

    def put(self, token: str, user: AppUser, now: float) -> None:
        if self.ttl <= 0:
            return
        if len(self._users) >= self.size:
            self._users.clear()  # a crude bound: the next requests ask the database again
        self._users[token] = (now + self.ttl, user)

    def forget(self, token: str | None = None) -> None:
        if token is None:
            self._users.clear()
        else:
            self._users.pop(token, None)


async def get_token_cache(request: Request) -> TokenCache:
    return request.app.state.token_cache


# a logout, a password change or a revocation drops the tokens it ends from this worker's cache at once
TokenCacheDep = Annotated[TokenCache, Depends(get_token_cache)]


def _user_for_token(engine: Engine, session: StoreSession, token: str, now: float) -> AppUser | None:
    """The token's user, read on the request's session. For the thread pool the connection goes back to the
    pool at once (the endpoint takes one again in its own thread): a request queued for a worker thread must
    hold no connection, or under a surge the queued requests hold the pool and the running ones time out
    waiting for it; nor may a transaction stay open while an endpoint waits (the idle-in-transaction timeout).
    On the event loop (``console.on_loop``) the endpoint goes on at once: it keeps the connection and its
    transaction (two round trips and a checkout fewer)."""
    try:
        return SqlAccounts(engine, session.connection()).user_for_token(token, now)
    finally:
        if not session.engine.dialect.is_async:
            session.close()


async def get_current_user(request: Request, now: Now, token: CurrentToken, session: SessionDep) -> AppUser:
    """Async: a cached token costs no thread hop; an unknown one is checked on the request's connection (in
    the thread pool, or in a greenlet on the loop)."""
    if not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "not logged in: send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    cache: TokenCache = request.app.state.token_cache
    user = cache.get(token, now)
    if user is None:
        user = await in_store(session, _user_for_token, session.engine, session, token, now)
        if user is not None:
            cache.put(token, user, now)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "the token is invalid or has expired: log in again",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


CurrentUser = Annotated[AppUser, Depends(get_current_user)]


def ensure_can(user: AppUser, permission: str) -> None:
    """403 unless the user's role grants ``permission`` (for a permission that depends on the request body or
    query; otherwise declare it with ``require``)."""
    if not can(user.role, permission):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {user.role} lacks permission {permission}")


def require(permission: str):
    """A dependency: the current user, if their role grants ``permission``; 403 otherwise."""
    if permission not in ALL_PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    async def check(user: CurrentUser) -> AppUser:
        ensure_can(user, permission)
        return user

    return Depends(check)


async def get_unmasked(user: CurrentUser) -> bool:
    return can(user.role, "phones.unmasked")


Unmasked = Annotated[bool, Depends(get_unmasked)]


class Audit:
    """The audit rows of a read by ``user`` at ``now``, committed at once on the request's connection (with the
    read's transaction on PostgreSQL)."""

    def __init__(self, request: Request, session: StoreSession, user: AppUser, now: float) -> None:
        self.request, self.session, self.user, self.now = request, session, user, now

    def __call__(self, action: str, entity: str, ids: Sequence[str], detail: str = "") -> None:
        self.rows([(action, entity, ids, detail)])

    def rows(self, rows: Sequence[tuple[str, str, Sequence[str], str]]) -> None:
        """Several rows, ``(action, entity, ids, detail)`` each, in one commit."""
        entries = [AuditEntry(self.now, self.user.username, a, e, tuple(ids), d) for a, e, ids, d in rows]
        note_access(entries, self.request.app.state.unit_of_work(session=self.session))


async def get_audit(request: Request, user: CurrentUser, now: Now, session: SessionDep) -> Audit:
    return Audit(request, session, user, now)


AuditDep = Annotated[Audit, Depends(get_audit)]
