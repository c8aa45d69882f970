"""POST /api/login (username and password -> bearer token), POST /api/logout (the token ends), GET /api/me,
POST /api/me/password (change one's own password: the other logins end)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, Field

from console.accounts import SqlAccounts
from console.deps import TOKEN_COOKIE, AuditDep, CurrentToken, CurrentUser, EngineDep, Now, SettingsDep
from console.models import PASSWORD_MAX, PASSWORD_MIN, Login, TokenPublic, UserPublic
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


@router.post("/logout", status_code=204)
def logout(user: CurrentUser, token: CurrentToken, engine: EngineDep) -> Response:
    """End this token (and the web console's cookie): it logs nobody in any more."""
    SqlAccounts(engine).end_token(token or "")
    response = Response(status_code=204)
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


class PasswordChange(BaseModel):
    current: str = Field(min_length=1, max_length=PASSWORD_MAX)
    new: str = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)


@router.post("/me/password", status_code=204)
def change_password(body: PasswordChange, user: CurrentUser, token: CurrentToken, engine: EngineDep,
                    audit: AuditDep) -> Response:
    """A new password for oneself, given the current one (403 when it is wrong); one's other logins end."""
    if not SqlAccounts(engine).change_password(user.id or 0, body.current, body.new, keep_token=token or ""):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the current password is wrong")
    audit("users.password", "user", [str(user.id)], "own password changed")
    return Response(status_code=204)
