"""Back-office pages for orders and stock: the order life cycle (sort to a warehouse and courier, record a
prepaid order's payment, dispatch, deliver -- cash on delivery is paid then --, take back a return, cancel)
and the stock per warehouse (goods in, write-offs). Each button is one use case of ``app/`` with its audit
row; a step the order's status does not allow shows the core's reason beside the order."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from adapters.store.catalog import SqlCatalog
from adapters.store.orders import SqlOrders
from app.orders import FULFILMENT_STEPS, CancelOrder, FulfilOrder, cancel_order, fulfil_order
from app.stock import ReceiveStock, WriteOffStock, receive_stock, write_off_stock
from console.deps import EngineDep, Now, UnitOfWorkDep, require
from console.models import AppUser
from console.permissions import can
from console.web.forms import FormDep, submit
from console.web.i18n import add_messages
from console.web.render import Labels, add_nav, render
from core.catalog import CatalogError, UnknownProduct
from core.orders import CANCELLED, DELIVERED, DISPATCHED, RETURNED, SORTED, STATUSES, OrderError

router = APIRouter()
Fulfiller = Annotated[AppUser, require("orders.fulfil")]
StockKeeper = Annotated[AppUser, require("stock.manage")]
OrderId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
StatusFilter = Annotated[Literal[("", *STATUSES)], Query()]  # type: ignore[valid-type]
ORDERS_SHOWN = 200
# the status each step leads to: a button is shown only when the order may become it
STEP_TARGET = {"sort": SORTED, "dispatch": DISPATCHED, "deliver": DELIVERED, "return": RETURNED, "cancel": CANCELLED}

add_nav("orders.fulfil", "/office/orders", "nav.orders")
add_nav("stock.manage", "/office/stock", "nav.stock")
add_messages(
    {
        "nav.orders": ("订单处理", "Orders"),
        "nav.stock": ("库存", "Stock"),
        "orders.title": ("订单处理", "Order fulfilment"),
        "orders.status": ("状态", "Status"),
        "orders.all": ("全部", "all"),
        "orders.id": ("订单号", "Order"),
        "orders.placed": ("下单时间", "Placed"),
        "orders.customer": ("客户", "Customer"),
        "orders.items": ("商品", "Items"),
        "orders.total": ("金额", "Total"),
        "orders.payment": ("付款", "Payment"),
        "orders.where": ("仓库/快递", "Warehouse / courier"),
        "orders.paid": ("已付", "paid"),
        "orders.unpaid": ("未付", "unpaid"),
        "orders.reason": ("原因", "Reason"),
        "orders.restock": ("退回上架", "Back on the shelf"),
        "orders.changed": ("订单 {id}：{status}", "Order {id}: {status}"),
        "step.sort": ("分拣", "Sort"),
        "step.pay": ("确认收款", "Payment received"),
        "step.dispatch": ("发货", "Dispatch"),
        "step.deliver": ("签收", "Delivered"),
        "step.return": ("退货", "Returned"),
        "step.cancel": ("取消", "Cancel"),
        "stock.title": ("库存", "Stock"),
        "stock.sku": ("商品编码", "SKU"),
        "stock.product": ("商品", "Product"),
        "stock.warehouse": ("仓库", "Warehouse"),
        "stock.on_hand": ("在库", "On hand"),
        "stock.allocated": ("已分配", "Allocated"),
        "stock.held": ("订单占用", "Held by orders"),
        "stock.available": ("可售", "Available"),
        "stock.quantity": ("数量", "Quantity"),
        "stock.receive": ("入库", "Goods in"),
        "stock.write_off": ("报损", "Write off"),
        "stock.changed": ("{sku} 在 {warehouse} 的库存已更新", "Stock of {sku} at {warehouse} changed"),
    }
)


class StepForm(BaseModel):
    step: Literal[(*FULFILMENT_STEPS, "cancel")]  # type: ignore[valid-type]
    reason: str = Field(default="", max_length=500)
    restock: str = ""


class StockForm(BaseModel):
    action: Literal["receive", "write_off"]
    sku: str = Field(min_length=1, max_length=64)
    warehouse: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1_000_000)
    reason: str = Field(default="", max_length=500)


def allowed_steps(order, user: AppUser) -> list[str]:
    """The buttons an order shows: the steps its status allows (and paying a prepaid order not paid yet)."""
    steps = [s for s, target in STEP_TARGET.items() if order.can_become(target)]
    if order.awaits_payment:
        steps.insert(0, "pay")
    if "cancel" in steps and not can(user.role, "orders.cancel"):
        steps.remove("cancel")
    return steps


def _orders_page(request: Request, user: AppUser, engine, status: str, **context):
    orders = SqlOrders(engine).list(status or None, ORDERS_SHOWN)
    return render(
        request,
        "office/orders.html",
        user,
        orders=orders,
        status=status,
        statuses=STATUSES,
        steps={o.order_id: allowed_steps(o, user) for o in orders},
        **context,
    )


@router.get("/office/orders")
def orders(request: Request, user: Fulfiller, engine: EngineDep, status: StatusFilter = ""):
    return _orders_page(request, user, engine, status)


@router.post("/office/orders/{order_id}")
def order_step(
    request: Request,
    t: Labels,
    order_id: OrderId,
    form: FormDep,
    user: Fulfiller,
    engine: EngineDep,
    uow: UnitOfWorkDep,
    now: Now,
    status: StatusFilter = "",
):
    def act(parsed: StepForm) -> str:
        if parsed.step == "cancel":
            changed = cancel_order(CancelOrder(now, order_id, parsed.reason, user.username), uow)
        else:
            restock = parsed.restock == "on"
            command = FulfilOrder(now, order_id, parsed.step, user.username, parsed.reason, restock=restock)
            changed = fulfil_order(command, uow)
        return t("orders.changed", id=order_id, status=t("status." + changed.status))

    def page(notice: str = "", values: dict | None = None, errors: dict | None = None, status_code: int = 200):
        # one order's row carries the form: what was typed and the reason go to that row
        failed = {"failed": order_id, "failure": errors, "typed": values} if errors is not None else {}
        return _orders_page(request, user, engine, status, notice=notice, status_code=status_code, **failed)

    # the core's reason (status, payment, no warehouse) beside the step
    return submit(form, StepForm, t, act, page, {OrderError: "step", CatalogError: "step"})


def _stock_page(request: Request, user: AppUser, engine, **form):
    catalog = SqlCatalog(engine)
    products = {p.sku: p for p in catalog.products()}
    summary = [(sku, product.name, catalog.held(sku), catalog.available(sku)) for sku, product in products.items()]
    return render(
        request,
        "office/stock.html",
        user,
        levels=catalog.levels(),
        summary=summary,
        warehouses=[(w.warehouse_id, w.warehouse_id) for w in catalog.warehouses()],
        **form,
    )


@router.get("/office/stock")
def stock(request: Request, user: StockKeeper, engine: EngineDep):
    return _stock_page(request, user, engine)


@router.post("/office/stock")
def change_stock(
    request: Request, t: Labels, form: FormDep, user: StockKeeper, engine: EngineDep, uow: UnitOfWorkDep, now: Now
):
    def act(parsed: StockForm) -> str:
        if parsed.action == "receive":
            receive_stock(ReceiveStock(now, parsed.warehouse, parsed.sku, parsed.quantity, user.username), uow)
        else:
            write_off = WriteOffStock(now, parsed.warehouse, parsed.sku, parsed.quantity, user.username, parsed.reason)
            write_off_stock(write_off, uow)
        return t("stock.changed", sku=parsed.sku, warehouse=parsed.warehouse)

    # no such product; fewer free units there; a write-off without its reason
    refusals = {UnknownProduct: "sku", CatalogError: "quantity", ValueError: "reason"}
    return submit(form, StockForm, t, act, partial(_stock_page, request, user, engine), refusals)
