"""The callback worklist, complaints and the call record in a real Chromium: bad input answered beside its
field with what was typed kept; claim, outcome, retry; open, take, hand over and resolve a complaint; numbers
masked for an agent and whole for a supervisor."""

from __future__ import annotations

import time

import pytest

from adapters.store.call_records import SqlCallRecords
from adapters.store.tickets import SqlTickets
from core.call_records import CallRecord
from core.tickets import Ticket
from tests.browser import screenshot
from tests.integration.web.conftest import log_in
from tests.integration.web.test_agent_pages import open_desk

pytestmark = pytest.mark.browser


def open_ticket(engine, number: str, ticket_id: str) -> None:
    SqlTickets(engine).create(
        Ticket(ticket_id, f"call-{ticket_id}", number, "normal", "4008001234", "", time.time() - 60, queue="sales")
    )


def test_a_ticket_is_claimed_worked_and_retried_from_the_worklist(site, page, browser):
    open_ticket(site.engine, "13900000102", "cb-1")
    open_ticket(site.engine, "13900000103", "cb-2")
    log_in(page, site.url, "agent001", next_path="/callbacks")
    assert page.locator("#waiting tr[data-ticket=cb-1] .number").inner_text() == "139****0102"
    page.click("#claim-next")
    page.wait_for_selector("#mine tr[data-ticket=cb-1]")
    page.click("#mine tr[data-ticket=cb-1] button.primary")  # no outcome chosen
    assert page.locator("#err-outcome-cb-1").inner_text() == "Choose one"
    page.select_option("#mine tr[data-ticket=cb-1] select[name=outcome]", "unreachable")
    page.click("#mine tr[data-ticket=cb-1] button.primary")
    assert "cb-1" in page.locator(".notice").inner_text()
    ticket = SqlTickets(site.engine).get("cb-1")
    assert ticket.status == "waiting" and ticket.attempts == 1  # comes back for a retry
    page.click("#waiting tr[data-ticket=cb-2] button")
    page.wait_for_selector("#mine tr[data-ticket=cb-2]")
    page.click("#mine tr[data-ticket=cb-2] form[action$=release] button")
    assert SqlTickets(site.engine).get("cb-2").status == "open"

    context = browser.new_context(locale="zh-CN")
    supervisor = context.new_page()
    try:
        log_in(supervisor, site.url, "sup", next_path="/callbacks")
        assert supervisor.locator("#waiting tr[data-ticket=cb-2] .number").inner_text() == "13900000103"
        assert supervisor.locator("h1").inner_text() == "回呼工单"
        screenshot(supervisor, "callbacks-zh")
    finally:
        context.close()


def test_complaints_are_opened_handed_over_and_resolved_with_errors_beside_the_fields(site, page):
    SqlCallRecords(site.engine).add(
        CallRecord(
            "R-1",
            "call-9",
            "+8613900000101",
            "agent001",
            time.time() - 300,
            time.time() - 200,
            business_type="complaint",
            summary="锅把手松了",
        )
    )
    log_in(page, site.url, "agent001", next_path="/complaints")
    page.fill("#open-complaint input[name=record_id]", "R-404")
    page.fill("#open-complaint input[name=category]", "质量")
    page.click("#open-complaint button")
    assert "R-404" in page.locator("#err-record_id").inner_text()
    assert page.input_value("#open-complaint input[name=category]") == "质量"  # kept
    page.fill("#open-complaint input[name=record_id]", "R-1")
    page.click("#open-complaint button")
    complaint_id = page.locator("#complaints tr[data-complaint]").first.get_attribute("data-complaint")
    row = f"#complaints tr[data-complaint='{complaint_id}']"
    page.fill(f"{row} input[name=note]", "请仓库核实")
    page.click(f"{row} button[value=hand_over]")  # nobody named
    assert page.locator(f"#err-{complaint_id}\\.handler").inner_text() == "Required"
    assert page.input_value(f"{row} input[name=note]") == "请仓库核实"
    page.fill(f"{row} input[name=handler]", "agent002")
    page.click(f"{row} button[value=hand_over]")
    assert SqlCallRecords(site.engine).get_complaint(complaint_id).handler == "agent002"
    page.fill(f"{row} input[name=resolution]", "换了一口新锅")
    page.press(f"{row} input[name=resolution]", "Enter")  # Enter resolves what was typed
    complaint = SqlCallRecords(site.engine).get_complaint(complaint_id)
    assert complaint.status == "resolved" and complaint.resolution == "换了一口新锅"
    screenshot(page, "complaints")


def test_the_call_record_refuses_a_customer_that_does_not_exist_keeps_the_summary_and_opens_a_complaint(site, page):
    driver = open_desk(page, site)
    driver.call("ringing", "agent001", "call-3")
    page.wait_for_selector("#pop")
    driver.call("connected", "agent001", "call-3")
    driver.state("agent001", "talking", "call-3")
    driver.state("agent001", "ready")
    page.wait_for_selector("#record-form")
    page.fill("#record-form input[name=customer_id]", "C404")
    page.fill("#record-form textarea[name=summary]", "问了价格")
    page.click("#record-save")
    page.wait_for_selector("#err-customer_id")
    assert page.locator("#err-customer_id").inner_text() == "No C404 exists"
    assert page.input_value("#record-form textarea[name=summary]") == "问了价格"
    page.fill("#record-form input[name=customer_id]", "")
    page.check("#record-form input[name=complaint]")
    page.fill("#record-form input[name=category]", "价格")
    page.click("#record-save")
    page.wait_for_selector("#err-business_type")
    assert page.locator("#err-business_type").inner_text() == "A complaint needs the disposition Complaint"
    assert page.is_checked("#record-form input[name=complaint]")
    page.select_option("#record-form select[name=business_type]", "complaint")
    page.click("#record-save")
    page.wait_for_selector("#record-saved")
    records = SqlCallRecords(site.engine).for_caller("+8613900000101")
    assert [r.summary for r in records] == ["问了价格"]
    complaints = SqlCallRecords(site.engine).complaints()
    assert [(c.record_id, c.category, c.description) for c in complaints] == [
        (records[0].record_id, "价格", "问了价格")
    ]
