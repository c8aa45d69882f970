"""The order form of the screen pop: ``POST /agent/order`` with ``step`` = ``review`` (check the form and show
the read-back), ``edit`` (back to the form, as typed) or ``confirm`` (register a new customer if need be, then
place the order through ``app.orders.place_order``: the stock is held, all or nothing)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.customers import RegisterCustomer, register_customer
from app.orders import place_order
from console.deps import EngineDep, Now, SettingsDep, UnitOfWorkDep, Unmasked
from console.web.forms import FormDep
from console.web.i18n import translator
from console.web.order_form import customers_of, product_choices, read_order
from console.web.render import render, request_language
from console.web.routers.agent import LiveUser, call_event
from core.catalog import OutOfStock
from core.orders import PlaceOrder

router = APIRouter()


def _form(request, user, values: dict, errors: dict, engine, status_code: int = 200):
    products = product_choices(engine, values.get("airing_id", ""))
    return render(request, "agent/order.html", user, values=values, errors=errors, products=products,
                  customers=customers_of(engine, values), status_code=status_code)


@router.post("/agent/order")
def order(request: Request, form: FormDep, user: LiveUser, engine: EngineDep, settings: SettingsDep, now: Now,
          uow: UnitOfWorkDep, unmasked: Unmasked):
    t = translator(request_language(request))
    seq = form.get("seq", "")
    event = call_event(engine, user, int(seq)) if seq.isdigit() else None
    caller = event["payload"].get("caller") or "" if event else ""
    step = form.get("step", "review")
    if step == "edit":
        return _form(request, user, form, {}, engine)
    draft, errors = read_order(engine, form, user, caller, settings.default_area_code, t)
    if draft is None:
        return _form(request, user, form, errors, engine, status_code=422)
    if step != "confirm":
        return render(request, "agent/readback.html", user, values=form, draft=draft)
    values = dict(form)
    customer_id = draft.customer_id
    if not customer_id:
        customer = register_customer(RegisterCustomer(now, user.username, draft.new_name,
                                                      [draft.new_phone or caller], draft.address,
                                                      settings.default_area_code), uow)
        customer_id = values["customer"] = customer.customer_id  # a retry after a stock problem reuses it
        values["address"] = "0"
        uow = request.app.state.unit_of_work()
    command = PlaceOrder(now=now, customer_id=customer_id, lines=draft.lines, payment=draft.payment,
                         address=draft.address, survey=draft.survey, hotline=event["payload"].get("hotline", "") if event else "",
                         call_id=event["call_id"] if event else "", agent_id=user.username, discount=draft.discount)
    try:
        placed = place_order(command, uow)
    except OutOfStock as error:
        return _form(request, user, values, {"lines": t("order.out_of_stock", detail=str(error))}, engine, 409)
    except ValueError as error:  # a rule of the core: the message says which
        return _form(request, user, values, {"lines": str(error)}, engine, 422)
    return render(request, "agent/order_done.html", user, order=placed,
                  notice=t("order.placed", id=placed.order_id, total=f"¥{placed.total}"))

