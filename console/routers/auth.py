"""POST /api/login (username and password -> bearer token), GET /api/me."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from console.accounts import SqlAccounts
from console.deps import CurrentUser, EngineDep, Now, SettingsDep
from console.models import Login, TokenPublic, UserPublic
from console.permissions import PERMISSIONS

router = APIRouter(tags=["auth"])


@router.post("/login", response_model=TokenPublic)
def login(body: Login, engine: EngineDep, settings: SettingsDep, now: Now) -> TokenPublic:
    """A bearer token for ``Authorization: Bearer <token>``, valid ``HOTLINE_TOKEN_TTL`` seconds."""
    found = SqlAccounts(engine).login(body.username, body.password, now, settings.token_ttl)
    if found is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password, or the user is inactive")
    token, user = found
    return TokenPublic(access_token=token, expires=now + settings.token_ttl, user=UserPublic.model_validate(user))


class MePublic(UserPublic):
    permissions: list[str]


@router.get("/me", response_model=MePublic)
def me(user: CurrentUser) -> MePublic:
    return MePublic(**UserPublic.model_validate(user).model_dump(), permissions=sorted(PERMISSIONS[user.role]))
