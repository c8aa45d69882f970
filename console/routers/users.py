"""Users (``users.manage``): create, list, change role, deactivate, end every login of a user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel

from app.callbacks import ReleaseClaimsOf, release_claims_of
from console.accounts import SqlAccounts
from console.deps import AuditDep, EngineDep, Now, TokenCacheDep, UnitOfWorkDep, require
from console.models import AppUser, UserCreate, UserPublic, UserUpdate
from console.paging import DEFAULT_LIMIT, Limit, Offset, page

router = APIRouter(prefix="/users", tags=["users"])
Admin = Annotated[AppUser, require("users.manage")]
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # the id column is a 32-bit integer on PostgreSQL


def add_user(body: UserCreate, engine, now: float, audit) -> AppUser:
    """Create a user and audit it (``UserExists`` for a taken name); the API and the admin page call this."""
    created = SqlAccounts(engine).create_user(body.username, body.password, body.role, now)
    audit("users.create", "user", [str(created.id)], f"{created.username} as {created.role}")
    return created


def change_user(actor: AppUser, user_id: int, body: UserUpdate, engine, audit, uow, now: float) -> AppUser:
    """Deactivate, reactivate, change role or password, audited. An admin cannot deactivate or demote themselves
    (so that someone can always manage users): 409. A deactivated user's claimed callbacks go back to the queue,
    or no customer would be called."""
    if user_id == actor.id and (body.active is False or body.role not in (None, actor.role)):
        raise HTTPException(409, "you cannot deactivate or demote yourself: ask another admin")
    changed = SqlAccounts(engine).update(user_id, active=body.active, role=body.role, password=body.password)
    if body.active is False:
        release_claims_of(ReleaseClaimsOf(now, actor.username, changed.username), uow)
    audit("users.update", "user", [str(user_id)], ", ".join(k for k, v in body.model_dump().items() if v is not None))
    return changed


def end_logins(user_id: int, engine, audit) -> int:
    revoked = SqlAccounts(engine).revoke_tokens(user_id)
    audit("users.revoke_tokens", "user", [str(user_id)], f"{revoked} tokens")
    return revoked


@router.post("", response_model=UserPublic, status_code=201)
def create_user(body: UserCreate, user: Admin, engine: EngineDep, now: Now, audit: AuditDep) -> AppUser:
    return add_user(body, engine, now, audit)


@router.get("", response_model=list[UserPublic])
def list_users(user: Admin, engine: EngineDep, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> list[AppUser]:
    return page(SqlAccounts(engine).users(), limit, offset)


@router.patch("/{user_id}", response_model=UserPublic)
def update_user(
    user_id: UserId,
    body: UserUpdate,
    user: Admin,
    engine: EngineDep,
    uow: UnitOfWorkDep,
    now: Now,
    audit: AuditDep,
    cache: TokenCacheDep,
) -> AppUser:
    """Deactivate (``{"active": false}``: the user's tokens are revoked, their claimed callbacks released), reactivate, change role or password.
    An admin cannot deactivate or demote themselves (so that someone can always manage users)."""
    changed = change_user(user, user_id, body, engine, audit, uow, now)
    cache.forget()  # a deactivated user, a new password or role: no cached login of theirs stays
    return changed


class Revoked(BaseModel):
    revoked: int


@router.post("/{user_id}/revoke-tokens", response_model=Revoked)
def revoke_tokens(
    user_id: UserId,
    user: Admin,
    engine: EngineDep,
    audit: AuditDep,
    cache: TokenCacheDep,
) -> Revoked:
    """Every login of the user ends at once (a lost laptop, a shared password); they can log in again."""
    revoked = end_logins(user_id, engine, audit)
    cache.forget()
    return Revoked(revoked=revoked)
