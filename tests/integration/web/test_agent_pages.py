"""The agent's pages in a real Chromium, the live driver's side played through the store's live channel
(the events and states `hotline live run` publishes): the screen pop of a ringing call, an order from the pop
in at most 10 clicks and keys, the call record at the end; bad input in the order form."""

from __future__ import annotations

import time

import pytest

from adapters.store.call_records import SqlCallRecords
from adapters.store.catalog import SqlCatalog
from adapters.store.live_channel import SqlLiveEvents, SqlLiveStates
from adapters.store.orders import SqlOrders
from app.live import AgentStatus
from tests.browser import screenshot
from tests.helpers import wait_until
from tests.integration.web.conftest import log_in
from tests.integration.web.shop import CALLER, ON_AIR_SKU, STOCK, seed_shop

pytestmark = pytest.mark.browser
HOTLINE = "4008001234"


class FakeDriverSide:
    """Publishes what the live driver would: its heartbeat, the agent's state, call events."""

    def __init__(self, engine) -> None:
        self.events, self.states = SqlLiveEvents(engine), SqlLiveStates(engine)
        self.states.beat(time.time(), time.time())

    def state(self, agent: str, state: str, call_id: str = "") -> None:
        now = time.time()
        self.states.beat(now, now)
        self.states.put_agents([AgentStatus(agent, state, "", call_id, CALLER if call_id else "", now)])
        self.events.publish(
            [
                dict(
                    at=now,
                    kind="agent_state",
                    agent_id=agent,
                    call_id=call_id,
                    payload={"state": state, "reason": "", "caller": CALLER if call_id else ""},
                )
            ]
        )

    def call(self, kind: str, agent: str, call_id: str, caller: str = CALLER) -> None:
        self.events.publish(
            [
                dict(
                    at=time.time(),
                    kind=kind,
                    agent_id=agent,
                    call_id=call_id,
                    payload={"caller": caller, "hotline": HOTLINE, "queue": "sales"},
                )
            ]
        )


def open_desk(page, site, user: str = "agent001") -> FakeDriverSide:
    driver = FakeDriverSide(site.engine)
    driver.state(user, "ready")
    log_in(page, site.url, user, next_path="/agent")
    page.wait_for_selector("body[data-stream=open]")
    return driver


class Counter:
    """Counts the clicks and keys the agent spends (Playwright's own input, so nothing is missed)."""

    def __init__(self, page) -> None:
        self.page, self.used = page, 0

    def click(self, selector: str) -> None:
        self.used += 1
        self.page.click(selector)

    def press(self, selector: str, key: str) -> None:
        self.used += 1
        self.page.press(selector, key)


def test_a_ringing_call_pops_the_customer_and_one_product_is_ordered_in_three_clicks(site, page):
    shop = seed_shop(site.engine, time.time(), HOTLINE)
    driver = open_desk(page, site)
    driver.call("ringing", "agent001", "call-1")
    page.wait_for_selector("#pop .customer-name")
    assert page.locator("#pop .customer-name").inner_text() == "张伟"
    assert page.locator("#pop-caller").inner_text() == "139****0101"  # masked for an agent
    assert "北京" in page.locator("#pop-region").inner_text() or page.locator("#pop-region").inner_text() != "—"
    assert "AIR-1" in page.locator("#pop-on-air").inner_text()
    assert page.input_value("input[name=channel]") == "CCTV-2"  # the survey starts from the airing on air
    assert page.input_value("input[name=airing_id]") == "AIR-1"
    screenshot(page, "screen-pop")

    agent = Counter(page)
    agent.click(f"button[data-add=qty_{ON_AIR_SKU}]")
    agent.click("#order-review")
    page.wait_for_selector("#readback")
    assert "¥199.00" in page.locator("#readback-total").inner_text()
    screenshot(page, "order-readback")
    agent.press("#order-confirm", "Enter")
    page.wait_for_selector("#order-placed")
    assert agent.used <= 10 and agent.used == 3
    order_id = page.locator("#order-placed").get_attribute("data-order-id")
    order = SqlOrders(site.engine).get(order_id)
    assert order.customer_id == shop.customer.customer_id and order.call_id == "call-1"
    assert order.hotline == HOTLINE and order.survey.airing_id == "AIR-1" and order.agent_id == "agent001"
    assert SqlCatalog(site.engine).available(ON_AIR_SKU) == STOCK - 1  # held

    driver.call("connected", "agent001", "call-1")
    driver.state("agent001", "talking", "call-1")
    driver.state("agent001", "wrapup", "call-1")
    page.wait_for_selector("#record-form")
    assert page.input_value("#record-form select[name=business_type]") == "order"
    page.fill("#record-form textarea[name=summary]", "订了一口锅")
    screenshot(page, "call-record")
    page.click("#record-save")
    page.wait_for_selector("#record-saved")
    records = SqlCallRecords(site.engine).for_customer(shop.customer.customer_id)
    assert [(r.call_id, r.order_id, r.business_type, r.summary) for r in records] == [
        ("call-1", order_id, "order", "订了一口锅")
    ]

    driver.state("agent001", "ready")
    driver.call("ringing", "agent001", "call-1b")  # the customer calls again: the history, newest first
    page.wait_for_selector("#pop[data-call=call-1b]")
    rows = page.locator("#pop table.history tr").all_inner_texts()
    assert len(rows) == 2 and "Order" in rows[0] and order_id in rows[0] and "placed" in rows[0]
    assert "Call" in rows[1] and "订了一口锅" in rows[1]


def test_bad_input_in_the_order_form_is_answered_beside_each_field_and_nothing_typed_is_lost(site, page):
    seed_shop(site.engine, time.time(), HOTLINE)
    driver = open_desk(page, site)
    driver.call("ringing", "agent001", "call-2", caller="13700000999")  # nobody has this number
    page.wait_for_selector("#pop-no-customer")
    page.fill("input[name=new_name]", "")
    page.fill("input[name=city]", "QQQQ")
    page.fill("input[name=detail]", "人民路 8 号")
    page.fill(f"input[name=qty_{ON_AIR_SKU}]", "two")
    page.fill("input[name=discount]", "50")
    page.click("#order-review")
    page.wait_for_selector("#err-new_name")
    assert page.locator("#err-new_name").inner_text() == "Required"
    assert page.locator("#err-city").inner_text() == "No such city"
    assert page.locator(f"#err-qty_{ON_AIR_SKU}").inner_text() == "Enter a number"
    assert page.input_value("input[name=detail]") == "人民路 8 号"
    assert page.input_value("input[name=city]") == "QQQQ"
    assert page.input_value(f"input[name=qty_{ON_AIR_SKU}]") == "two"
    screenshot(page, "order-errors")
    page.fill("input[name=new_name]", "李娜")
    page.fill("input[name=city]", "BJHD")
    page.fill(f"input[name=qty_{ON_AIR_SKU}]", "1")
    page.click("#order-review")
    page.wait_for_selector("#err-discount")
    assert page.locator("#err-discount").inner_text() == "Your role may give at most 10%"
    page.fill("input[name=discount]", "19.90")
    page.click("#order-review")
    page.wait_for_selector("#readback")
    page.click("#order-confirm")
    page.wait_for_selector("#order-placed")
    order = SqlOrders(site.engine).get(page.locator("#order-placed").get_attribute("data-order-id"))
    assert str(order.total) == "179.10" and order.address.division.code == "110108"
    wait_until(lambda: order.customer_id, 1, "a new customer")


def store_site(engine, wrapup: float, agent_users: dict[str, str] | None = None) -> None:
    """A site configuration with agent001 and agent002, the test hotline, the caller as a VIP owned by
    agent002."""
    from adapters.store.site import SqlSiteConfigs
    from core.config import AgentProfile, CenterConfig, Hotline, Policy
    from twin.site import Site, site_document

    config = CenterConfig(
        agents=(AgentProfile("agent001", {"sales": 1}), AgentProfile("agent002", {"sales": 1})),
        hotlines=(Hotline(HOTLINE, "sales"),),
        policy=Policy(wrapup=wrapup),
        vip=frozenset({CALLER}),
        owners={CALLER: "agent002"},
    )
    SqlSiteConfigs(engine).save(site_document(Site(config, agent_users or {})), "test", time.time())


def test_vip_and_owner_flags_a_lookup_by_another_number_and_the_wrap_up_countdown(site, page):
    shop = seed_shop(site.engine, time.time(), HOTLINE)
    store_site(site.engine, wrapup=30)
    driver = open_desk(page, site)
    driver.call("ringing", "agent001", "call-4", caller="13700000999")  # not the customer's own phone
    page.wait_for_selector("#pop-no-customer")
    page.fill("input[name=lookup]", "139-0000-0101")
    page.click("#order-lookup")
    page.wait_for_selector(f"input[name=customer][value={shop.customer.customer_id}]:checked")
    page.click(f"button[data-add=qty_{ON_AIR_SKU}]")
    page.press("input[name=discount]", "Enter")  # Enter in a field reviews the order
    page.wait_for_selector("#readback")

    driver.call("ringing", "agent001", "call-5")  # the VIP's own number
    page.wait_for_selector("#pop[data-call=call-5]")
    assert page.locator("#pop .tag.vip").inner_text() == "VIP"
    assert page.locator("#pop .tag.owner").inner_text() == "Owner: agent002"
    driver.call("connected", "agent001", "call-5")
    driver.state("agent001", "talking", "call-5")
    driver.state("agent001", "wrapup", "call-5")
    page.wait_for_selector("#state[data-state=wrapup]")
    left = page.locator("#wrapup-left").inner_text()
    assert left.startswith("Wrap-up:") and 25 <= int(left.split()[1]) <= 30
    assert page.locator("button[data-command=end-wrapup]").is_visible()
    assert not page.locator("button[data-command=login]").is_visible()


def test_a_user_linked_to_another_agent_id_gets_that_agents_pops(site, page):
    seed_shop(site.engine, time.time(), HOTLINE)
    store_site(site.engine, wrapup=0, agent_users={"agent001": "agent002"})  # agent002 sits as agent001
    log_in(page, site.url, "agent002", next_path="/agent")
    assert page.get_attribute("body", "data-agent") == "agent001"
    page.wait_for_selector("body[data-stream=open]")
    FakeDriverSide(site.engine).call("ringing", "agent001", "call-6")
    page.wait_for_selector("#pop .customer-name")
    assert page.locator("#pop .customer-name").inner_text() == "张伟"


def test_a_call_that_rings_before_the_desks_stream_opens_still_pops(site, page):
    # on an empty event log the desk was drawn "after 0"; a ring between drawing and the socket must not be lost
    seed_shop(site.engine, time.time(), HOTLINE)
    store_site(site.engine, wrapup=0)
    urls = []

    def ring_then_connect(socket) -> None:
        urls.append(socket.url)
        if len(urls) == 1:
            FakeDriverSide(site.engine).call("ringing", "agent001", "call-7")
        socket.connect_to_server()

    page.route_web_socket("**/api/stream*", ring_then_connect)
    log_in(page, site.url, "agent001", next_path="/agent")
    page.wait_for_selector("#pop[data-call=call-7] .customer-name")
    assert urls[0].endswith("/api/stream?after=0")
