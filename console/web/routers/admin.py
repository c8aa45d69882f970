"""Admin pages: users and roles (create, change role, deactivate or reactivate, end every login) and the audit
log (who read or changed what, newest first, filtered). The rules are the API's (``console.routers.users``:
nobody deactivates or demotes themselves, every change audited), called here, never copied."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from adapters.store.audit import SqlAudit
from console.accounts import AccountError, SqlAccounts, UnknownUser
from console.deps import AuditDep, EngineDep, Now, TokenCacheDep, UnitOfWorkDep, require
from console.models import AppUser, UserCreate, UserUpdate
from console.permissions import ROLES
from console.routers.users import UserId, add_user, change_user, end_logins
from console.web.forms import FieldProblem, FormDep, check, submit
from console.web.i18n import add_messages
from console.web.render import Labels, add_nav, render

router = APIRouter()
Admin = Annotated[AppUser, require("users.manage")]
Auditor = Annotated[AppUser, require("audit.read")]
Filter = Annotated[str, Query(max_length=64)]
AUDIT_SHOWN = 200

add_nav("users.manage", "/admin/users", "nav.users")
add_nav("audit.read", "/admin/audit", "nav.audit")
add_messages(
    {
        "nav.users": ("用户", "Users"),
        "nav.audit": ("审计日志", "Audit log"),
        "users.title": ("用户与角色", "Users and roles"),
        "users.new": ("新建用户", "New user"),
        "users.username": ("用户名", "User name"),
        "users.password": ("初始密码", "First password"),
        "users.role": ("角色", "Role"),
        "users.active": ("状态", "Status"),
        "users.is_active": ("启用", "active"),
        "users.is_inactive": ("停用", "inactive"),
        "users.create": ("创建", "Create"),
        "users.set_role": ("改角色", "Change role"),
        "users.deactivate": ("停用", "Deactivate"),
        "users.activate": ("启用", "Reactivate"),
        "users.revoke": ("注销全部登录", "End all logins"),
        "users.created": ("已创建用户 {name}", "User {name} created"),
        "users.changed": ("已更新用户 {name}", "User {name} changed"),
        "users.revoked": ("已注销 {name} 的 {n} 个登录", "{n} logins of {name} ended"),
        "users.exists": ("该用户名已存在", "This user name is taken"),
        "audit.title": ("审计日志", "Audit log"),
        "audit.at": ("时间", "Time"),
        "audit.by": ("操作人", "By"),
        "audit.action": ("操作", "Action"),
        "audit.entity": ("对象", "Entity"),
        "audit.ids": ("编号", "IDs"),
        "audit.detail": ("说明", "Detail"),
        "audit.filter": ("筛选", "Filter"),
        "audit.shown": ("显示最新 {n} 条", "The newest {n} entries"),
    }
)


def _users_page(request: Request, user: AppUser, engine, **form):
    """``form``: what ``forms.submit`` gives a page (values, errors, notice, status_code)."""
    form.setdefault("values", {"role": "agent"})
    return render(request, "admin/users.html", user, users=SqlAccounts(engine).users(), roles=ROLES, **form)


@router.get("/admin/users")
def users(request: Request, user: Admin, engine: EngineDep):
    return _users_page(request, user, engine)


@router.post("/admin/users")
def create(request: Request, t: Labels, form: FormDep, user: Admin, engine: EngineDep, now: Now, audit: AuditDep):
    def act(parsed: UserCreate) -> str:
        if SqlAccounts(engine).by_username(parsed.username) is not None:
            raise FieldProblem("username", t("users.exists"))
        return t("users.created", name=add_user(parsed, engine, now, audit).username)

    # AccountError: the accounts' own rules (a taken name in a race, a policy)
    kept = {k: v for k, v in form.items() if k != "password"}  # what was typed stays, but never a password
    page = partial(_users_page, request, user, engine)
    return submit(form, UserCreate, t, act, page, {AccountError: "username"}, kept=kept)


@router.post("/admin/users/{user_id}")
def change(
    request: Request,
    t: Labels,
    user_id: UserId,
    form: FormDep,
    user: Admin,
    engine: EngineDep,
    audit: AuditDep,
    uow: UnitOfWorkDep,
    now: Now,
    cache: TokenCacheDep,
):
    """``action``: role (with ``role``), deactivate, activate or revoke."""
    try:
        target = SqlAccounts(engine).get(user_id)
    except UnknownUser:
        raise HTTPException(404, f"no user {user_id}") from None
    action = form.get("action", "")
    try:
        if action == "revoke":
            n = end_logins(user_id, engine, audit)
            cache.forget()
            return _users_page(request, user, engine, notice=t("users.revoked", n=n, name=target.username))
        if action == "role":
            body, errors = check(UserUpdate, {"role": form.get("role", "")}, t)
        elif action in ("deactivate", "activate"):
            body, errors = UserUpdate(active=action == "activate"), {}
        else:
            body, errors = None, {"action": t("field.choice")}
        if body is not None:
            change_user(user, user_id, body, engine, audit, uow, now)
            cache.forget()
            return _users_page(request, user, engine, notice=t("users.changed", name=target.username))
    except HTTPException as refused:  # the API's 409: yourself
        errors = {"action": str(refused.detail)}
    return _users_page(
        request,
        user,
        engine,
        status_code=422,
        errors={f"{user_id}.{name}": message for name, message in errors.items()},
    )


@router.get("/admin/audit")
def audit_log(
    request: Request, user: Auditor, engine: EngineDep, by: Filter = "", entity: Filter = "", entity_id: Filter = ""
):
    entries = SqlAudit(engine).entries(
        user=by or None, entity=entity or None, entity_id=entity_id or None, limit=AUDIT_SHOWN
    )
    return render(
        request,
        "admin/audit.html",
        user,
        entries=entries,
        limit=AUDIT_SHOWN,
        values={"by": by, "entity": entity, "entity_id": entity_id},
        errors={},
    )
