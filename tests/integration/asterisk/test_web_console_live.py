"""The web console on the live center, in a real Chromium: `hotline live run` on the project's Asterisk and
the console (uvicorn) share one SQLite store. The agent logs out and in again at its extension from the
state bar, a SIPp call pops the right customer (number masked; a supervisor's view of the same pop shows it
in full), the agent orders from the pop, and the order, its stock hold and the call record are in the store;
then the agent pauses, a caller gives up waiting, and the ticket is claimed from the callback worklist."""

from __future__ import annotations

import time

import httpx
import pytest

from adapters.store.call_records import SqlCallRecords
from adapters.store.catalog import SqlCatalog
from adapters.store.orders import SqlOrders
from adapters.store.tickets import SqlTickets
from core.log import Verb
from tests.browser import screenshot
from tests.integration.asterisk.live_checks import dial, phone, wait_for
from tests.integration.web.conftest import log_in as log_in_page
from tests.integration.web.conftest import serve, store_with_users
from tests.integration.web.shop import CALLER, ON_AIR_SKU, STOCK, seed_shop

pytestmark = [pytest.mark.asterisk, pytest.mark.browser, pytest.mark.xdist_group("asterisk")]
GIVES_UP = "13900000102"


def test_a_sipp_call_pops_the_customer_the_agent_orders_and_an_abandon_is_claimed_from_the_worklist(
    live, asterisk_config, sipp_workdir, tmp_path, browser
):
    cfg = asterisk_config
    url, engine = store_with_users(tmp_path)
    shop = seed_shop(engine, time.time(), cfg.numbers[0])
    proc = live("--database-url", url, "--agents", "1", "--ivr-after", "0", "--wrapup", "5")
    agent_phone = phone(cfg, sipp_workdir, answer_delay_ms=300, talk_ms=120_000)
    _, server = serve(engine, url)
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    callers = []
    try:
        log_in_page(page, server.url, "agent001", next_path="/agent")
        page.wait_for_selector("body[data-stream=open]")
        page.wait_for_selector("#state[data-state=ready]")  # the development model logs its agents in
        page.click("button[data-command=logout]")  # hot-desking: out, then in again at an extension
        page.wait_for_selector("#state[data-state=out]")
        page.fill("#extension", "agent001")
        page.click("button[data-command=login]")
        page.wait_for_selector("#state[data-state=ready]")

        callers.append(dial(cfg, sipp_workdir, CALLER, hold_ms=120_000))
        page.wait_for_selector("#pop .customer-name", timeout=20_000)
        assert page.locator("#pop .customer-name").inner_text() == "张伟"
        assert page.locator("#pop-caller").inner_text() == "139****0101"
        assert "AIR-1" in page.locator("#pop-on-air").inner_text()
        seq = page.locator("#pop").get_attribute("data-seq")
        call_id = page.locator("#pop").get_attribute("data-call")
        page.wait_for_selector("#state[data-state=talking]", timeout=20_000)
        screenshot(page, "live-screen-pop")

        supervisor = context.browser.new_context(locale="en-US")
        sup_page = supervisor.new_page()
        log_in_page(sup_page, server.url, "sup", next_path=f"/agent/pop?seq={seq}")
        assert sup_page.locator("#pop-caller").inner_text() == CALLER  # a supervisor sees the whole number

        page.click(f"button[data-add=qty_{ON_AIR_SKU}]")
        page.click("#order-review")
        page.click("#order-confirm")
        page.wait_for_selector("#order-placed")
        order = SqlOrders(engine).get(page.locator("#order-placed").get_attribute("data-order-id"))
        assert order.customer_id == shop.customer.customer_id and order.call_id == call_id
        assert order.hotline == cfg.numbers[0] and SqlCatalog(engine).available(ON_AIR_SKU) == STOCK - 1

        token = next(c["value"] for c in supervisor.cookies() if c["name"] == "hotline_token")
        ended = httpx.post(
            f"{server.url}/api/supervision/calls/{call_id}/hang-up",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert ended.status_code == 200, ended.text
        page.wait_for_selector("#record-form", timeout=20_000)
        page.select_option("#record-form select[name=business_type]", "order")
        page.click("#record-save")
        page.wait_for_selector("#record-saved")
        records = SqlCallRecords(engine).for_customer(shop.customer.customer_id)
        assert [(r.call_id, r.order_id, r.agent_id) for r in records] == [(call_id, order.order_id, "agent001")]
        assert records[0].answered_at is not None and records[0].ended_at >= records[0].answered_at

        page.wait_for_selector("#state[data-state=ready]", timeout=20_000)  # after the wrap-up
        page.select_option("#pause-reason", "meeting")
        page.click("button[data-command=pause]")
        page.wait_for_selector("#state[data-state=paused]")
        callers.append(dial(cfg, sipp_workdir, GIVES_UP, hold_ms=2_000))
        created = wait_for(
            lambda: next((r for r in proc.records() if r.verb == Verb.CALLBACK_CREATED), None),
            30,
            "the abandon's ticket",
            proc,
        )
        wait_for(lambda: SqlTickets(engine).get(created.field("ticket")), 10, "the ticket in the store", proc)
        sup_page.goto(f"{server.url}/callbacks")
        assert sup_page.locator(f"tr[data-ticket='{created.field('ticket')}'] .number").inner_text() == GIVES_UP
        page.goto(f"{server.url}/callbacks")
        row = page.locator(f"#waiting tr[data-ticket='{created.field('ticket')}']")
        assert row.locator(".number").inner_text() == "139****0102"
        screenshot(page, "callbacks")
        page.click("#claim-next")
        page.wait_for_selector(f"#mine tr[data-ticket='{created.field('ticket')}']")
        ticket = SqlTickets(engine).get(created.field("ticket"))
        assert ticket.status == "claimed" and ticket.claimer == "agent001"
        screenshot(page, "callbacks-claimed")
        supervisor.close()
    finally:
        context.close()
        for caller in callers:
            caller.stop()
        agent_phone.stop()
        server.stop()
        engine.dispose()
