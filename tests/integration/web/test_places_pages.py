"""Warehouses and couriers in the back office, in a real Chromium: the lists (areas with their division names,
where a courier collects, cash on delivery), a new warehouse and a new courier added (audited, and the new
warehouse takes goods in on the stock page), every refused field with its message beside it and what was
typed kept; agents may not open the page."""

from __future__ import annotations

import time

import pytest

from adapters.store.audit import SqlAudit
from adapters.store.catalog import SqlCatalog
from core.orders import Courier
from tests.browser import screenshot
from tests.integration.web.conftest import log_in
from tests.integration.web.shop import OTHER_SKU, seed_shop

pytestmark = pytest.mark.browser


def submit(page, form: str, **fields: str) -> None:
    for name, value in fields.items():
        page.fill(f"{form} input[name={name}]", value)
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state()


def test_a_supervisor_adds_a_warehouse_and_a_courier(site, page):
    seed_shop(site.engine, time.time(), "4008001234")
    log_in(page, site.url, "sup", next_path="/office/places")
    assert page.inner_text("#warehouses tr[data-warehouse=W-BJ] [data-area='11']") == "11 北京市"
    assert page.get_attribute("#couriers tr[data-courier=SF]", "data-cod") == "yes"

    submit(page, "#warehouse-form", warehouse_id="W-SZ", warehouse_serves="4403, 99", warehouse_rank="1")
    assert "99" in page.inner_text("#err-warehouse_serves")  # no division 99xxxx
    assert page.input_value("#warehouse-form input[name=warehouse_id]") == "W-SZ"  # kept
    submit(page, "#warehouse-form", warehouse_id="W-BJ", warehouse_serves="4403")
    assert "exists" in page.inner_text("#err-warehouse_id")
    submit(page, "#warehouse-form", warehouse_id="W-SZ", warehouse_serves="4403，44", warehouse_rank="1")
    assert page.inner_text("#warehouses tr[data-warehouse=W-SZ] [data-area='4403']") == "4403 深圳市"
    assert page.locator("#warehouses tr[data-warehouse=W-SZ] [data-area='44']").count() == 1

    page.uncheck("#courier-form input[name=cash_on_delivery]")
    submit(
        page, "#courier-form", courier_id="ZTO", courier_serves="44", courier_warehouses="W-SZ, W-XX", courier_rank="2"
    )
    assert "W-XX" in page.inner_text("#err-courier_warehouses")
    assert page.input_value("#courier-form input[name=courier_serves]") == "44"
    assert not page.is_checked("#courier-form input[name=cash_on_delivery]")  # the unticked box stays unticked
    submit(page, "#courier-form", courier_id="中通 ZTO", courier_serves="44", courier_warehouses="W-SZ")
    assert "letters, digits" in page.inner_text("#err-courier_id")
    submit(page, "#courier-form", courier_id="ZTO", courier_serves="44", courier_warehouses="W-SZ", courier_rank="2")
    assert page.get_attribute("#couriers tr[data-courier=ZTO]", "data-cod") == "no"
    assert page.inner_text("#couriers tr[data-courier=ZTO] .collects") == "W-SZ"
    screenshot(page, "places")

    catalog = SqlCatalog(site.engine)
    assert Courier("ZTO", ("44",), frozenset({"W-SZ"}), False, 2) in catalog.couriers()
    assert [(w.warehouse_id, w.serves, w.rank) for w in catalog.warehouses()] == [
        ("W-BJ", ("11",), 0),
        ("W-SZ", ("4403", "44"), 1),
    ]
    assert sorted(
        (e.action, e.entity_id) for e in SqlAudit(site.engine).entries(user="sup") if e.action.endswith(".add")
    ) == [("courier.add", "ZTO"), ("warehouse.add", "W-SZ")]

    page.goto(f"{site.url}/office/stock")  # the new warehouse takes goods in
    page.fill("#stock-form input[name=sku]", OTHER_SKU)
    page.select_option("#stock-form select[name=warehouse]", "W-SZ")
    page.fill("#stock-form input[name=quantity]", "7")
    page.click("#stock-form button[value=receive]")
    assert page.inner_text(f"#stock-levels tr[data-level='{OTHER_SKU}@W-SZ'] .on-hand") == "7"
    page.goto(f"{site.url}/lang/zh?next=/office/places")
    assert (
        page.inner_text("h1") == "仓库与快递" and page.inner_text("#couriers tr[data-courier=ZTO] td >> nth=3") == "否"
    )


def test_agents_may_not_open_the_places_page(site, page):
    log_in(page, site.url, "agent001", next_path="/agent")
    answer = page.goto(f"{site.url}/office/places")
    assert answer is not None and answer.status == 403
