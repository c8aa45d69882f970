"""Products: the catalog with what each can still sell."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from adapters.store.catalog import SqlCatalog
from console.deps import EngineDep, require
from console.models import AppUser
from console.paging import DEFAULT_LIMIT, Limit, Offset, page
from console.schemas import ProductPublic, product_out

router = APIRouter(prefix="/products", tags=["products"])
Reader = Annotated[AppUser, require("products.read")]


@router.get("", response_model=list[ProductPublic])
def list_products(
    user: Reader,
    engine: EngineDep,
    active_only: bool = True,
    airing_id: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> list[ProductPublic]:
    """Products by SKU (only those still sold unless ``active_only=false``); with ``airing_id``, what the
    agent offers a caller who saw that airing."""
    catalog = SqlCatalog(engine)
    products = catalog.for_airing(airing_id) if airing_id else catalog.products(active_only=active_only)
    return [product_out(p) for p in page(products, limit, offset)]


@router.get("/{sku}", response_model=ProductPublic)
def get_product(sku: str, user: Reader, engine: EngineDep) -> ProductPublic:
    catalog = SqlCatalog(engine)
    return product_out(catalog.get_product(sku), catalog.available(sku))
