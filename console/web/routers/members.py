"""Membership points in the back office: a customer's balance and ledger (earned on delivered orders, a bonus
with the first purchase, redeemed, taken back on returns), newest first. Points change only through the
order steps (``app.orders.fulfil_order``); this page reads them, audited like every customer read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from adapters.store.customers import SqlCustomers
from adapters.store.membership import SqlMemberships
from console.deps import AuditDep, EngineDep, require
from console.models import AppUser
from console.web.i18n import add_messages
from console.web.render import Labels, add_nav, render
from core.customers import UnknownCustomer

router = APIRouter()
Reader = Annotated[AppUser, require("orders.fulfil")]
CustomerId = Annotated[str, Query(max_length=32, pattern=r"^[A-Za-z0-9_-]*$")]

add_nav("orders.fulfil", "/office/members", "nav.members")
add_messages(
    {
        "nav.members": ("会员积分", "Members"),
        "members.title": ("会员积分", "Membership points"),
        "members.customer": ("客户编号", "Customer ID"),
        "members.show": ("查询", "Show"),
        "members.balance": ("积分余额", "Balance"),
        "members.since": ("入会时间", "Member since"),
        "members.not_member": (
            "该客户还不是会员（首单签收后入会）",
            "Not a member yet (a customer joins when their first order is delivered)",
        ),
        "members.at": ("时间", "Time"),
        "members.kind": ("类型", "Kind"),
        "members.points": ("积分", "Points"),
        "members.order": ("订单", "Order"),
        "members.note": ("备注", "Note"),
        "points.earned": ("消费积分", "earned"),
        "points.bonus": ("奖励", "bonus"),
        "points.redeemed": ("兑换", "redeemed"),
        "points.reversed": ("退货扣回", "taken back"),
    }
)


@router.get("/office/members")
def members(request: Request, t: Labels, user: Reader, engine: EngineDep, audit: AuditDep, customer: CustomerId = ""):
    found, membership, errors = None, None, {}
    if customer:
        try:
            found = SqlCustomers(engine).get(customer)
        except UnknownCustomer as missing:
            errors = {"customer": str(missing)}
        else:
            membership = SqlMemberships(engine).get(customer)
            audit("customers.points", "customer", [customer], "membership points")
    return render(
        request,
        "office/members.html",
        user,
        customer=found,
        membership=membership,
        values={"customer": customer},
        errors=errors,
        status_code=404 if errors else 200,
        not_member=t("members.not_member"),
    )
