"""The order life cycle, membership points and the stock in the back office, in a real Chromium: a
cash-on-delivery order sorted, dispatched and delivered (paid then, its points on the
customer's ledger); a prepaid order refused dispatch until paid, then returned and put back on the shelf; goods in and a write-off with its errors beside the field. Every step is audited."""

from __future__ import annotations

import time

import pytest

from adapters.store.audit import SqlAudit
from adapters.store.catalog import SqlCatalog
from adapters.store.orders import SqlOrders
from app.orders import place_order
from core.orders import COD, PREPAID, PlaceOrder
from tests.browser import screenshot
from tests.integration.web.conftest import log_in
from tests.integration.web.shop import ON_AIR_SKU, OTHER_SKU, STOCK, seed_shop

pytestmark = pytest.mark.browser


def order(site, shop, payment: str, quantity: int = 2) -> str:
    command = PlaceOrder(
        time.time(), shop.customer.customer_id, [(ON_AIR_SKU, quantity)], payment, None, agent_id="agent001"
    )
    return place_order(command, site.app.state.unit_of_work()).order_id


def press(page, order_id: str, step: str) -> None:
    page.click(f"#orders tr[data-order='{order_id}'] button[value={step}]")
    page.wait_for_load_state()


def status(page, order_id: str) -> str:
    return page.get_attribute(f"#orders tr[data-order='{order_id}']", "data-status")


def test_an_order_goes_through_its_life_from_the_page(site, page):
    shop = seed_shop(site.engine, time.time(), "4008001234")
    cod, prepaid = order(site, shop, COD), order(site, shop, PREPAID)
    log_in(page, site.url, "sup", next_path="/office/orders")

    assert page.locator(f"#orders tr[data-order='{cod}'] button[value=dispatch]").count() == 0  # not sorted yet
    for step, expected in (("sort", "sorted"), ("dispatch", "dispatched"), ("deliver", "delivered")):
        press(page, cod, step)
        assert status(page, cod) == expected
    stored = SqlOrders(site.engine).get(cod)
    assert stored.status == "delivered" and stored.is_paid and stored.warehouse == "W-BJ" and stored.courier == "SF"
    page.goto(f"{site.url}/office/members?customer={shop.customer.customer_id}")
    assert page.inner_text("#balance") == "398"  # a point per yuan of the delivered order
    assert page.locator("#ledger tbody tr").evaluate_all("rows => rows.map(r => r.dataset.kind)") == ["earned"]
    screenshot(page, "members")
    page.goto(f"{site.url}/office/orders")

    press(page, prepaid, "sort")
    press(page, prepaid, "dispatch")  # prepaid and not paid: the core's reason beside the order
    assert "not paid" in page.inner_text(f"#err-{prepaid}")
    assert status(page, prepaid) == "sorted"
    press(page, prepaid, "pay")
    press(page, prepaid, "dispatch")
    press(page, prepaid, "return")  # without a reason
    assert "why" in page.inner_text(f"#err-{prepaid}")
    assert status(page, prepaid) == "dispatched"
    before = SqlCatalog(site.engine).available(ON_AIR_SKU)
    page.fill(f"#orders tr[data-order='{prepaid}'] input[name=reason]", "refused at the door")
    press(page, prepaid, "return")
    assert status(page, prepaid) == "returned"
    assert SqlCatalog(site.engine).available(ON_AIR_SKU) == before + 2  # back on the shelf
    screenshot(page, "orders")

    actions = [e.action for e in SqlAudit(site.engine).entries(user="sup", entity="customer")]
    assert sorted(set(actions)) == [
        "customers.points",
        "orders.deliver",
        "orders.dispatch",
        "orders.pay",
        "orders.return",
        "orders.sort",
    ]
    assert actions.count("orders.dispatch") == 2  # the refused dispatch wrote nothing


def test_goods_in_and_a_write_off_with_errors_beside_the_fields(site, page):
    seed_shop(site.engine, time.time(), "4008001234")
    log_in(page, site.url, "sup", next_path="/office/stock")

    def on_hand() -> str:
        return page.inner_text(f"#stock-levels tr[data-level='{OTHER_SKU}@W-BJ'] .on-hand")

    page.fill("#stock-form input[name=sku]", OTHER_SKU)
    page.fill("#stock-form input[name=quantity]", "5")
    page.click("#stock-form button[value=receive]")
    assert on_hand() == str(STOCK + 5)

    page.fill("#stock-form input[name=sku]", OTHER_SKU)
    page.fill("#stock-form input[name=quantity]", "3")
    page.click("#stock-form button[value=write_off]")  # no reason
    assert page.inner_text("#err-reason") and on_hand() == str(STOCK + 5)
    assert page.input_value("#stock-form input[name=quantity]") == "3"  # what was typed is kept

    page.fill("#stock-form input[name=quantity]", "1000")
    page.fill("#stock-form input[name=reason]", "water damage")
    page.click("#stock-form button[value=write_off]")
    assert page.inner_text("#err-quantity") and on_hand() == str(STOCK + 5)

    page.fill("#stock-form input[name=sku]", "NO-SUCH")
    page.fill("#stock-form input[name=quantity]", "1")
    page.click("#stock-form button[value=receive]")
    assert "NO-SUCH" in page.inner_text("#err-sku")

    page.fill("#stock-form input[name=sku]", OTHER_SKU)
    page.fill("#stock-form input[name=quantity]", "2")
    page.fill("#stock-form input[name=reason]", "water damage")
    page.click("#stock-form button[value=write_off]")
    assert on_hand() == str(STOCK + 3)
    assert [e.action for e in SqlAudit(site.engine).entries(entity="product")] == ["stock.write_off", "stock.receive"]
    screenshot(page, "stock")


def test_an_unknown_customer_is_named_beside_the_field(site, page):
    log_in(page, site.url, "sup", next_path="/office/members?customer=C404")
    assert "C404" in page.inner_text("#err-customer")
    assert page.input_value("#members-form input[name=customer]") == "C404"


def test_agents_may_not_open_the_fulfilment_pages(site, page):
    log_in(page, site.url, "agent001", next_path="/agent")
    assert page.request.get(f"{site.url}/office/members").status == 403
    assert page.request.get(f"{site.url}/office/orders").status == 403
    assert page.request.get(f"{site.url}/office/stock").status == 403
