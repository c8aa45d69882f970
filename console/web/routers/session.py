"""Logging in and out, the language switch, one's own password; ``/`` opens the first page of the role."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from console.accounts import SqlAccounts
from console.deps import TOKEN_COOKIE, AuditDep, CurrentToken, CurrentUser, EngineDep, SettingsDep, TokenCacheDep
from console.models import PASSWORD_MAX, PASSWORD_MIN
from console.permissions import can
from console.routers.auth import authenticate
from console.web.forms import FormDep, check
from console.web.i18n import LANG_COOKIE, LANGUAGES
from console.web.render import NAV, Labels, render

router = APIRouter()
YEAR = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """Only a path of this site (never ``//elsewhere`` or ``https://...``): no open redirect."""
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def set_token_cookie(response, request: Request, token: str, ttl: float) -> None:
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=int(ttl),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


@router.get("/")
def home(request: Request, user: CurrentUser):
    first = next((path for permission, path, _ in NAV if can(user.role, permission)), "/account/password")
    return RedirectResponse(first, status_code=303)


class LoginForm(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)


@router.get("/login")
def login_page(request: Request, next: str = "/"):
    return render(request, "login.html", values={"next": safe_next(next)}, errors={})


@router.post("/login")
async def login(request: Request, t: Labels, form: FormDep, settings: SettingsDep):
    """The API's ``authenticate`` (lockout, bounded password checks, every try audited), answered as a page."""
    values = {"username": form.get("username", ""), "next": safe_next(form.get("next"))}
    parsed, errors = check(LoginForm, form, t)
    if parsed is None:
        return render(request, "login.html", values=values, errors=errors, status_code=422)
    try:
        token, _, _ = await authenticate(request, parsed.username, parsed.password)
    except HTTPException as refused:  # 401 wrong password; 429 locked out for a while; 503 too many at once
        message = t("login.failed") if refused.status_code == 401 else str(refused.detail)
        page = render(
            request, "login.html", values=values, errors={"password": message}, status_code=refused.status_code
        )
        page.headers.update(refused.headers or {})
        return page
    response = RedirectResponse(values["next"], status_code=303)
    set_token_cookie(response, request, token, settings.token_ttl)
    return response


@router.post("/logout")
def logout(request: Request, token: CurrentToken, engine: EngineDep, cache: TokenCacheDep):
    if token:
        SqlAccounts(engine).end_token(token)
        cache.forget(token)
    response = RedirectResponse("/login?bye=1", status_code=303)
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


@router.get("/lang/{lang}")
def switch_language(lang: str, next: str = "/"):
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=YEAR, path="/", samesite="lax")
    return response


class PasswordForm(BaseModel):
    current: str = Field(min_length=1, max_length=PASSWORD_MAX)
    new: str = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)
    repeat: str = Field(min_length=1, max_length=PASSWORD_MAX)


@router.get("/account/password")
def password_page(request: Request, user: CurrentUser):
    return render(request, "password.html", user, values={}, errors={})


@router.post("/account/password")
def change_password(
    request: Request,
    t: Labels,
    form: FormDep,
    user: CurrentUser,
    token: CurrentToken,
    engine: EngineDep,
    audit: AuditDep,
    cache: TokenCacheDep,
):
    """Passwords are never sent back into the page: on an error the fields come back empty, with the message."""
    parsed, errors = check(PasswordForm, form, t)
    if parsed is not None and parsed.new != parsed.repeat:
        errors = {"repeat": t("password.mismatch")}
    elif parsed is not None:
        if SqlAccounts(engine).change_password(user.id or 0, parsed.current, parsed.new, keep_token=token or ""):
            audit("users.password", "user", [str(user.id)], "own password changed")
            cache.forget()
            return render(request, "password.html", user, values={}, errors={}, notice=t("password.changed"))
        errors = {"current": t("password.wrong")}
    return render(request, "password.html", user, values={}, errors=errors, status_code=422)
