"""The order form of the screen pop: ``POST /agent/order`` with ``step`` = ``lookup`` (customers of another
number), ``review`` (check the form and show the read-back), ``edit`` (back to the form, as typed) or ``confirm`` (register a new customer if need be, then
place the order through ``app.orders.place_order``: the stock is held, all or nothing)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from adapters.store.customers import SqlCustomers
from app.customers import RegisterCustomer, register_customer
from app.orders import place_order
from console.deps import AuditDep, EngineDep, Now, SettingsDep, UnitOfWorkDep, Unmasked
from console.permissions import mask_phone
from console.web.forms import FormDep
from console.web.order_form import NEW, customers_of, product_choices, read_order
from console.web.render import Labels, render
from console.web.routers.agent import LiveUser, call_event
from core.catalog import OutOfStock
from core.customers import find_customers
from core.orders import PlaceOrder

router = APIRouter()


def _form(request, user, values: dict, errors: dict, engine, status_code: int = 200):
    products = product_choices(engine, values.get("airing_id", ""))
    return render(
        request,
        "agent/order.html",
        user,
        values=values,
        errors=errors,
        products=products,
        customers=customers_of(engine, values),
        status_code=status_code,
    )


def _lookup(request, user, form: dict, engine, settings, audit, t):
    """Another number the caller gives: its customers join the form's choices, the first one chosen."""
    values, typed = dict(form), form.get("lookup", "").strip()
    try:
        found = find_customers(SqlCustomers(engine), typed, default_area_code=settings.default_area_code)
    except ValueError:
        return _form(request, user, values, {"lookup": t("field.invalid")}, engine, 422)
    audit("customers.lookup", "customer", [c.customer_id for c in found], f"order form lookup {mask_phone(typed)}")
    if not found:
        return _form(request, user, values, {"lookup": t("order.lookup_none")}, engine, 404)
    known = [i for i in values.get("customer_ids", "").split(",") if i]
    values["customer_ids"] = ",".join(dict.fromkeys(known + [c.customer_id for c in found]))
    values["customer"], values["address"] = found[0].customer_id, "0" if found[0].addresses else NEW
    return _form(request, user, values, {}, engine)


@router.post("/agent/order")
def order(
    request: Request,
    t: Labels,
    form: FormDep,
    user: LiveUser,
    engine: EngineDep,
    settings: SettingsDep,
    now: Now,
    uow: UnitOfWorkDep,
    unmasked: Unmasked,
    audit: AuditDep,
):
    seq = form.get("seq", "")
    event = call_event(engine, user, int(seq)) if seq.isdigit() else None
    caller = (event["payload"].get("caller") or "") if event else ""
    step = form.get("step", "review")
    if step == "edit":
        return _form(request, user, form, {}, engine)
    if step == "lookup":
        return _lookup(request, user, form, engine, settings, audit, t)
    draft, errors = read_order(engine, form, user, caller, settings.default_area_code, t)
    if draft is None:
        return _form(request, user, form, errors, engine, status_code=422)
    if step != "confirm":
        return render(request, "agent/readback.html", user, values=form, draft=draft)
    values = dict(form)
    customer_id = draft.customer_id
    if not customer_id:
        customer = register_customer(
            RegisterCustomer(
                now,
                user.username,
                draft.new_name,
                [draft.new_phone or caller],
                draft.address,
                settings.default_area_code,
            ),
            uow,
        )
        customer_id = values["customer"] = customer.customer_id  # a retry after a stock problem reuses it
        values["address"] = "0"
        uow = request.app.state.unit_of_work()
    command = PlaceOrder(
        now=now,
        customer_id=customer_id,
        lines=draft.lines,
        payment=draft.payment,
        address=draft.address,
        survey=draft.survey,
        hotline=event["payload"].get("hotline", "") if event else "",
        call_id=event["call_id"] if event else "",
        agent_id=user.username,
        discount=draft.discount,
    )
    try:
        placed = place_order(command, uow)
    except OutOfStock as error:
        return _form(request, user, values, {"lines": t("order.out_of_stock", detail=str(error))}, engine, 409)
    except ValueError as error:  # a rule of the core: the message says which
        return _form(request, user, values, {"lines": str(error)}, engine, 422)
    return render(
        request,
        "agent/order_done.html",
        user,
        order=placed,
        notice=t("order.placed", id=placed.order_id, total=f"¥{placed.total}"),
    )
