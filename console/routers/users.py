"""Users (``users.manage``): create, list, change role, deactivate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from app.callbacks import ReleaseClaimsOf, release_claims_of
from console.accounts import SqlAccounts
from console.deps import AuditDep, EngineDep, Now, UnitOfWorkDep, require
from console.models import AppUser, UserCreate, UserPublic, UserUpdate
from console.paging import DEFAULT_LIMIT, Limit, Offset, page

router = APIRouter(prefix="/users", tags=["users"])
Admin = Annotated[AppUser, require("users.manage")]


@router.post("", response_model=UserPublic, status_code=201)
def create_user(body: UserCreate, user: Admin, engine: EngineDep, now: Now, audit: AuditDep) -> AppUser:
    created = SqlAccounts(engine).create_user(body.username, body.password, body.role, now)
    audit("users.create", "user", [str(created.id)], f"{created.username} as {created.role}")
    return created


@router.get("", response_model=list[UserPublic])
def list_users(user: Admin, engine: EngineDep, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> list[AppUser]:
    return page(SqlAccounts(engine).users(), limit, offset)


@router.patch("/{user_id}", response_model=UserPublic)
def update_user(user_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: UserUpdate, user: Admin, engine: EngineDep,
                uow: UnitOfWorkDep, now: Now, audit: AuditDep) -> AppUser:
    """Deactivate (``{"active": false}``: the user's tokens are revoked, their claimed callbacks released), reactivate, change role or password.
    An admin cannot deactivate or demote themselves (so that someone can always manage users)."""
    if user_id == user.id and (body.active is False or body.role not in (None, user.role)):
        raise HTTPException(409, "you cannot deactivate or demote yourself: ask another admin")
    changed = SqlAccounts(engine).update(user_id, active=body.active, role=body.role, password=body.password)
    if body.active is False:  # their claimed callbacks go back to the queue, or no customer would be called
        release_claims_of(ReleaseClaimsOf(now, user.username, changed.username), uow)
    audit("users.update", "user", [str(user_id)], ", ".join(k for k, v in body.model_dump().items() if v is not None))
    return changed
