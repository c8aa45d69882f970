"""Warehouses and couriers in the back office, beside the stock page: the warehouses (the areas each ships to
first), the couriers (areas served, warehouses they collect at, cash on delivery), and a form for a new one
of each. Adding goes through ``app.places`` (checked against the division table, audited); a refused field
shows its message beside it, what was typed kept."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from adapters.geo.divisions import load_divisions
from adapters.store.catalog import SqlCatalog
from app.places import AddCourier, AddWarehouse, PlaceError, add_courier, add_warehouse
from console.deps import EngineDep, Now, UnitOfWorkDep, require
from console.models import AppUser
from console.web.forms import FormDep, submit
from console.web.i18n import add_messages
from console.web.render import Labels, add_nav, render
from core.catalog import CatalogError

router = APIRouter()
StockKeeper = Annotated[AppUser, require("stock.manage")]

add_nav("stock.manage", "/office/places", "nav.places")
add_messages(
    {
        "nav.places": ("仓库与快递", "Warehouses & couriers"),
        "places.title": ("仓库与快递", "Warehouses and couriers"),
        "places.warehouses": ("仓库", "Warehouses"),
        "places.couriers": ("快递公司", "Couriers"),
        "places.id": ("编号", "ID"),
        "places.serves": ("服务区域", "Areas served"),
        "places.serves_hint": (
            "行政区划代码前缀，逗号分隔，如 11, 4403；空 = 全国",
            "division-code prefixes, comma-separated, e.g. 11, 4403; empty = everywhere",
        ),
        "places.anywhere": ("全国", "everywhere"),
        "places.any_warehouse": ("任意仓库", "any warehouse"),
        "places.rank": ("优先级（小者优先）", "Rank (lower first)"),
        "places.collects": ("取货仓库", "Collects at"),
        "places.collects_hint": ("仓库编号，逗号分隔；空 = 任意仓库", "warehouse IDs, comma-separated; empty = any"),
        "places.cod": ("货到付款", "Cash on delivery"),
        "places.yes": ("是", "yes"),
        "places.no": ("否", "no"),
        "places.add_warehouse": ("新增仓库", "Add a warehouse"),
        "places.add_courier": ("新增快递", "Add a courier"),
        "places.warehouse_added": ("已新增仓库 {id}", "Warehouse {id} added"),
        "places.courier_added": ("已新增快递 {id}", "Courier {id} added"),
    }
)


class WarehouseForm(BaseModel):
    warehouse_id: str = Field(min_length=1, max_length=64)
    warehouse_serves: str = Field(default="", max_length=500)
    warehouse_rank: int = Field(default=0, ge=0, le=1000)


class CourierForm(BaseModel):
    courier_id: str = Field(min_length=1, max_length=64)
    courier_serves: str = Field(default="", max_length=500)
    courier_warehouses: str = Field(default="", max_length=500)
    courier_rank: int = Field(default=0, ge=0, le=1000)


def area_names(prefixes) -> dict[str, str]:
    """Each stored prefix with its division's name (11 -> 北京市, 4403 -> 深圳市)."""
    divisions = load_divisions()
    names = {}
    for prefix in {p for p in prefixes if p}:
        division = divisions.get(prefix.ljust(6, "0"))
        names[prefix] = division.name if division else ""
    return names


def _page(request: Request, user: AppUser, engine, values: dict | None = None, errors: dict | None = None, **context):
    catalog = SqlCatalog(engine)
    warehouses, couriers = catalog.warehouses(), catalog.couriers()
    names = area_names([p for w in warehouses for p in w.serves] + [p for c in couriers for p in c.serves])
    values = values or {}
    return render(
        request,
        "office/places.html",
        user,
        warehouses=warehouses,
        couriers=couriers,
        names=names,
        values=values,
        errors=errors or {},
        cod=values.get("cash_on_delivery", "on" if not values else "") == "on",
        **context,
    )


@router.get("/office/places")
def places(request: Request, user: StockKeeper, engine: EngineDep):
    return _page(request, user, engine)


def _refused_field(prefix: str):
    """The field a refused warehouse or courier is shown beside: the one the rule names, else its ID (a race
    on the same ID)."""
    return lambda refused: f"{prefix}_{refused.field if isinstance(refused, PlaceError) else 'id'}"


@router.post("/office/places/warehouses")
def new_warehouse(
    request: Request, t: Labels, form: FormDep, user: StockKeeper, engine: EngineDep, uow: UnitOfWorkDep, now: Now
):
    def act(parsed: WarehouseForm) -> str:
        command = AddWarehouse(
            now, parsed.warehouse_id.strip(), parsed.warehouse_serves, parsed.warehouse_rank, user.username
        )
        return t("places.warehouse_added", id=add_warehouse(command, uow, load_divisions()).warehouse_id)

    page = partial(_page, request, user, engine)
    return submit(form, WarehouseForm, t, act, page, {CatalogError: _refused_field("warehouse")})


@router.post("/office/places/couriers")
def new_courier(
    request: Request, t: Labels, form: FormDep, user: StockKeeper, engine: EngineDep, uow: UnitOfWorkDep, now: Now
):
    def act(parsed: CourierForm) -> str:
        command = AddCourier(
            now,
            parsed.courier_id.strip(),
            parsed.courier_serves,
            parsed.courier_warehouses,
            form.get("cash_on_delivery") == "on",
            parsed.courier_rank,
            user.username,
        )
        return t("places.courier_added", id=add_courier(command, uow, load_divisions()).courier_id)

    page = partial(_page, request, user, engine)
    return submit(form, CourierForm, t, act, page, {CatalogError: _refused_field("courier")})
