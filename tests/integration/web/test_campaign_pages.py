"""Outbound campaigns in a real Chromium, in Chinese and English: a supervisor creates a campaign (the core's
refusals beside their fields), imports a list with bad rows (each named; refused whole when asked), cannot
approve it herself; a second supervisor approves it; the results export and the outbound report (Excel)
show what the dialer recorded. The agent desk's preview card shows the customer and the script, then the
agent dials from the keyboard: a real core (``CallCenter``) behind the store's live channel carries out
the command, and the attempt is in the store."""

from __future__ import annotations

import io
import json
import threading
import time
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from adapters.asterisk.outbound import campaign_message
from adapters.asterisk.publisher import preview_event
from adapters.store.campaigns import SqlCampaigns
from adapters.store.live_channel import SqlLiveCommands, SqlLiveEvents, SqlLiveStates
from adapters.store.uow import SqlUnitOfWork
from app.campaigns import (
    AddDoNotCall,
    ApproveCampaign,
    CreateCampaign,
    ImportNumbers,
    add_do_not_call,
    approve_campaign,
    create_campaign,
)
from app.campaigns import import_numbers as import_list
from app.core_records import persist_core_records
from app.live import DONE, REJECTED, AgentStatus
from console.accounts import SqlAccounts
from core.campaigns import SiteZone
from core.center import CallCenter, CommandRejected
from core.config import SITE_ZONE
from core.log import NONE, LogRecord, Verb
from core.messages import LogIn
from core.outbound_messages import CalleeAnswered, CalleeHungUp, ConnectOutbound
from tests.browser import screenshot
from tests.helpers import wait_until
from tests.integration.web.conftest import PASSWORD, log_in
from tests.integration.web.shop import CALLER, seed_shop
from tests.unit.fakes import make_config

pytestmark = pytest.mark.browser
DO_NOT_CALL = "137 0000 0000"
LABELS = {"zh": ("外呼活动", "放弃率上限 (%)"), "en": ("Outbound campaigns", "Drop cap (%)")}


def today() -> str:
    return datetime.now(SITE_ZONE).date().isoformat()


def second_supervisor(engine) -> None:
    SqlAccounts(engine).create_user("sup2", PASSWORD, "supervisor", time.time())


def fill_campaign(page, **fields) -> None:
    for name, value in fields.items():
        if name == "mode":
            page.select_option("#campaign-form select[name=mode]", value)
        else:
            page.fill(f"#campaign-form [name={name}]", value)


def bad_rows(page) -> dict[str, str]:
    return {
        row.get_attribute("data-row"): row.get_attribute("data-kind")
        for row in page.locator("#bad-rows tbody tr").all()
    }


def import_file(page, tmp_path, text: str, strict: bool) -> None:
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8")
    page.set_input_files("#import input[type=file]", str(path))
    page.set_checked("#strict", strict)
    page.click("#import button[type=submit]")
    page.wait_for_load_state()


def workbook_of(download) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()))


def dialler_records(campaign_id: str, now: float) -> list[LogRecord]:
    """What the dialer logs for two attempts: a sale to the first number, no answer (and given up) at the second."""
    return [
        LogRecord(now, "att-1", campaign_id, "agent001", Verb.OUTBOUND_DIAL, "+8613800138001", 1, "preview"),
        LogRecord(now + 5, "att-1", campaign_id, NONE, Verb.OUTBOUND_ANSWER, 5.0),
        LogRecord(now + 6, "att-1", campaign_id, "agent001", Verb.OUTBOUND_CONNECT, 1.0, "+8613800138001"),
        LogRecord(now + 66, "att-1", campaign_id, "agent001", Verb.OUTBOUND_COMPLETE, 60.0, "callee"),
        LogRecord(now + 70, "att-1", campaign_id, "agent001", Verb.OUTBOUND_RESULT, "sale", "+8613800138001"),
        LogRecord(now + 70, NONE, campaign_id, NONE, Verb.OUTBOUND_DONE, "+8613800138001", "contacted", 1),
        LogRecord(now + 80, "att-2", campaign_id, NONE, Verb.OUTBOUND_DIAL, "+8613900139002", 1, "preview"),
        LogRecord(now + 110, "att-2", campaign_id, NONE, Verb.OUTBOUND_FAIL, "no_answer", 30.0),
        LogRecord(now + 110, NONE, campaign_id, NONE, Verb.OUTBOUND_DONE, "+8613900139002", "no_answer", 1),
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_campaign_is_created_imported_approved_by_another_and_reported(site, page, tmp_path, lang):
    second_supervisor(site.engine)
    log_in(page, site.url, "sup", next_path="/office/campaigns")
    page.goto(f"{site.url}/lang/{lang}?next=/office/campaigns")
    assert page.inner_text("h1") == LABELS[lang][0]
    page.click("#new-campaign")
    page.wait_for_selector("#campaign-form")
    assert LABELS[lang][1] in page.inner_text("#campaign-form")

    # preview mode without agents, a drop cap of 150 %: each refusal beside its field, what was typed kept
    fill_campaign(page, campaign_id="c1", name="老客户回访", mode="preview", agents="", drop_cap="150")
    page.keyboard.press("Enter")
    page.wait_for_selector("#err-drop_cap")
    assert page.input_value("[name=name]") == "老客户回访" and page.input_value("[name=drop_cap]") == "150"
    page.fill("[name=drop_cap]", "3")
    page.click("#campaign-form button[type=submit]")
    page.wait_for_selector("#err-agents")  # the core's rule: a preview campaign names its agents
    assert "agents" in page.inner_text("#err-agents") or "skill" in page.inner_text("#err-agents")
    fill_campaign(page, agents="agent001", script="您好，我是电视购物的回访专员。", result_codes="sale, not_interested")
    page.click("#campaign-form button[type=submit]")
    page.wait_for_selector("#status[data-status=draft]")
    assert SqlCampaigns(site.engine).get("c1").campaign.drop_cap == pytest.approx(0.03)
    page.click("#edit")  # the draft may change: its ID stays
    page.wait_for_selector("#campaign-form")
    assert page.input_value("[name=agents]") == "agent001" and page.input_value("[name=drop_cap]") == "3"
    page.fill("[name=max_attempts]", "4")
    page.click("#campaign-form button[type=submit]")
    page.wait_for_selector("#status[data-status=draft]")
    assert SqlCampaigns(site.engine).get("c1").campaign.max_attempts == 4

    # a list with a malformed number, a duplicate and an empty phone: refused whole, then good rows kept
    listing = "phone,name\n13800138001,王芳\n12345,坏号码\n13800138001,重复\n13900139002,李雷\n,没有号码\n"
    import_file(page, tmp_path, listing, strict=True)
    assert set(bad_rows(page)) == {"3", "4", "6"} and page.inner_text("#n-numbers") == "0"
    import_file(page, tmp_path, listing, strict=False)
    assert bad_rows(page) == {"3": "invalid", "4": "duplicate", "6": "invalid"}
    assert [n["number"] for n in SqlCampaigns(site.engine).numbers("c1")] == ["+8613800138001", "+8613900139002"]
    if lang == "zh":
        screenshot(page, "campaigns-import-zh")

    # one number by hand: a bad one refused beside the field with what was typed kept, a good one added, removed
    page.fill("#add-one [name=phone]", "12345")
    page.fill("#add-one [name=name]", "手输")
    page.click("#add-one button[type=submit]")
    page.wait_for_selector("#err-phone")
    assert page.input_value("#add-one [name=name]") == "手输"
    page.fill("#add-one [name=phone]", "139-0013-9003")
    page.click("#add-one button[type=submit]")
    page.wait_for_selector("#numbers tr[data-number='+8613900139003']")
    page.click("#numbers tr[data-number='+8613900139003'] button[type=submit]")
    page.wait_for_selector(".notice")
    assert [n["number"] for n in SqlCampaigns(site.engine).numbers("c1")] == ["+8613800138001", "+8613900139002"]

    # the creator cannot approve it; a second supervisor can
    page.click("#approve")
    page.wait_for_selector("#err-approve")
    assert SqlCampaigns(site.engine).get("c1").status == "draft"
    page.context.clear_cookies()
    log_in(page, site.url, "sup2", next_path="/office/campaigns/c1")
    page.goto(f"{site.url}/lang/{lang}?next=/office/campaigns/c1")
    page.click("#approve")
    page.wait_for_selector("#status[data-status=approved]")
    assert page.inner_text("#approved-by").startswith("sup2")

    # what the dialer recorded reaches the progress, the results export and the report
    persist_core_records(dialler_records("c1", time.time()), "live", SqlUnitOfWork(site.engine))
    page.goto(f"{site.url}/office/campaigns/c1")
    assert page.inner_text("#n-attempts") == "2"
    with page.expect_download() as download:
        page.click("#export-xlsx")
    rows = list(workbook_of(download.value).active.iter_rows(values_only=True))
    exported = {(r[2].lstrip("'"), r[6]) for r in rows[1:]}  # a leading + is quoted against formulas
    assert exported == {("+8613800138001", "contacted"), ("+8613900139002", "no_answer")}

    # numbers with no answer re-used in another campaign
    create_campaign(
        CreateCampaign(
            time.time(),
            "sup2",
            dict(campaign_id="c2", name="未接通重拨", mode="manual", first_day=today(), last_day=today()),
        ),
        SqlUnitOfWork(site.engine),
    )
    page.goto(f"{site.url}/office/campaigns/c1")
    page.check("#reuse input[value=no_answer]")
    page.select_option("#reuse select[name=to_campaign]", "c2")
    page.click("#reuse button[type=submit]")
    page.wait_for_selector(".notice")
    assert [n["number"] for n in SqlCampaigns(site.engine).numbers("c2")] == ["+8613900139002"]

    page.goto(f"{site.url}/office/campaigns")
    row = page.locator("#campaigns tr[data-campaign=c1]")
    assert row.get_attribute("data-status") == "approved" and "0.0% / 3%" in row.inner_text()
    if lang == "en":
        screenshot(page, "campaigns")
    page.click("#campaigns-report")
    per_campaign = page.locator("[data-report=outbound_campaigns] tbody tr").first.locator("td").all_inner_texts()
    assert per_campaign[:4] == ["c1", "2", "1", "1"]  # campaign, attempts, answered, contacts
    with page.expect_download() as download:
        page.click("#report-xlsx")
    workbook = workbook_of(download.value)
    assert "outbound_campaigns" in workbook.sheetnames
    values = list(workbook["outbound_campaigns"].iter_rows(values_only=True))
    assert values[1][0] == "c1" and values[1][1] == 2


class CoreBehindTheStore:
    """The live center's side of the store's live channel, with a real core and no Asterisk: it claims the
    console's commands, turns them into core messages as the live driver does (``campaign_message``),
    publishes the preview events the live publisher would, and persists the core's records as drivers do.
    ``answer_and_hang_up`` plays the callee of a dialled attempt."""

    def __init__(self, engine, agent: str) -> None:
        self.engine, self.started = engine, time.time()
        self.core = CallCenter(make_config((agent,)), zones=SiteZone())
        self.commands, self.events, self.states = SqlLiveCommands(engine), SqlLiveEvents(engine), SqlLiveStates(engine)
        self.handled = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.feed(LogIn(time.time(), agent))
        self.states.put_agents([AgentStatus(agent, "ready", "", "", "", time.time())])  # as the publisher would
        self.thread = threading.Thread(target=self.run, daemon=True)

    def now(self) -> float:
        return time.time()

    def feed(self, message) -> list:
        with self.lock:
            before = len(self.core.log)
            actions = self.core.handle(message)
            records = list(self.core.log[before:])
        self.events.publish([preview_event(time.time(), a) for a in actions if type(a).__name__ == "ShowPreview"])
        if records:
            persist_core_records(records, "live", SqlUnitOfWork(self.engine))
        return actions

    def run(self) -> None:
        while not self.stop.is_set():
            now = time.time()
            self.states.beat(now, self.started)
            for command in self.commands.claim(now):
                try:
                    actions = self.feed(campaign_message(command, self, self.engine))
                    self.commands.finish(command.id, DONE, json.dumps({"actions": len(actions)}), time.time())
                except (CommandRejected, ValueError) as refused:
                    self.commands.finish(command.id, REJECTED, json.dumps({"message": str(refused)}), time.time())
                self.handled += 1
            self.stop.wait(0.05)

    def answer_and_hang_up(self, attempt_id: str) -> None:
        actions = self.feed(CalleeAnswered(time.time(), attempt_id))
        assert any(isinstance(a, ConnectOutbound) for a in actions)
        self.feed(CalleeHungUp(time.time() + 30, attempt_id))


@pytest.fixture
def core_side(site):
    side = CoreBehindTheStore(site.engine, "agent001")
    side.thread.start()
    yield side
    side.stop.set()
    side.thread.join(5)


def approved_preview_campaign(engine) -> None:
    second_supervisor(engine)
    document = dict(
        campaign_id="vip",
        name="会员回访",
        mode="preview",
        first_day=today(),
        last_day=today(),
        window=[0, 86400],
        calling_hours=[0, 86400],
        agents=["agent001"],
        script="您好张先生，感谢您上周购买不粘锅。",
        result_codes=["sale", "not_interested"],
    )
    create_campaign(CreateCampaign(time.time(), "sup", document), SqlUnitOfWork(engine))
    rows = [(2, {"phone": CALLER, "name": "张伟"})]
    import_list(ImportNumbers(time.time(), "sup", "vip", rows), SqlUnitOfWork(engine), zones=SiteZone())
    approve_campaign(ApproveCampaign(time.time(), "sup2", "vip"), SqlUnitOfWork(engine))
    add_do_not_call(AddDoNotCall(time.time(), "sup", DO_NOT_CALL, "asked not to be called"), SqlUnitOfWork(engine))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_desk_previews_the_customer_then_dials_and_takes_the_result_code(site, core_side, browser, lang):
    seed_shop(site.engine, time.time(), "4008001234")
    approved_preview_campaign(site.engine)

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN" if lang == "zh" else "en-US")
    page = context.new_page()
    try:
        log_in(page, site.url, "sup", next_path="/office/campaigns/vip")
        for action in ("start", "pause", "start"):  # load, pause, resume: the page answers once the center did
            with page.expect_navigation():
                page.click(f"#{action}")
            assert page.locator(".notice").count() == 1, page.inner_text("main")
            if action == "pause":
                assert core_side.core.outbound.runs["vip"].stopped
                assert SqlCampaigns(site.engine).get("vip").status == "approved"
        assert not core_side.core.outbound.runs["vip"].stopped
        context.clear_cookies()

        log_in(page, site.url, "agent001", next_path="/agent")
        page.wait_for_selector("#preview-card")
        assert page.inner_text("#preview-name") == "张伟"
        phone = page.inner_text("#preview-phone")
        assert phone != CALLER and phone[-4:] == CALLER[-4:]  # masked for an agent
        assert "不粘锅" in page.inner_text("#preview-script")
        assert page.evaluate("document.activeElement.id") == "preview-dial"
        if lang == "en":
            screenshot(page, "campaign-desk")
        attempt = page.get_attribute("#preview-card", "data-attempt")
        page.keyboard.press("Enter")  # Dial
        page.wait_for_selector("#outbound-notice")
        wait_until(
            lambda: (
                [(r["id"], r["agent_id"]) for r in SqlCampaigns(site.engine).results("vip")] == [(attempt, "agent001")]
            ),
            10,
            "the dial recorded in the store",
        )
        assert any(isinstance(r, LogRecord) and r.verb == Verb.OUTBOUND_DIAL for r in core_side.core.log)

        core_side.answer_and_hang_up(attempt)
        page.reload()
        page.wait_for_selector("#result-form")
        page.keyboard.press("1")  # the campaign's first code, "sale"
        page.keyboard.press("Enter")
        page.wait_for_selector("#outbound-notice")
        wait_until(
            lambda: SqlCampaigns(site.engine).results("vip")[0]["result_code"] == "sale",
            10,
            "the result code recorded in the store",
        )

        page.fill("#manual-form input[name=phone]", DO_NOT_CALL)  # click to call: the core refuses this one
        page.keyboard.press("Enter")
        page.wait_for_selector("#err-phone")
        assert "do-not-call" in page.inner_text("#err-phone")
        assert page.input_value("#manual-form input[name=phone]") == DO_NOT_CALL
        assert len(SqlCampaigns(site.engine).results("vip")) == 1
    finally:
        context.close()
