"""The campaign pages on the live center, in a real Chromium: `hotline live run` on the project's Asterisk and
the console share one SQLite store. A supervisor starts an approved preview campaign from its page; the
agent's desk shows the customer the live dialer offers (published by the live driver), the agent dials with
Enter, Asterisk rings the SIPp callee and connects it to the agent's SIPp phone; after the call the agent
records the result code from the keyboard, and the dial and its code are in the store."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from adapters.store.campaigns import SqlCampaigns
from adapters.store.live_channel import SqlLiveStates
from adapters.store.uow import SqlUnitOfWork
from app.campaigns import ApproveCampaign, CreateCampaign, ImportNumbers, approve_campaign, create_campaign
from app.campaigns import import_numbers as import_list
from console.accounts import SqlAccounts
from core.campaigns import SiteZone
from core.config import SITE_ZONE
from core.log import Verb
from devtools import sipp
from tests.integration.asterisk.live_checks import phone, wait_for
from tests.integration.web.conftest import PASSWORD, serve, store_with_users
from tests.integration.web.conftest import log_in as log_in_page
from tests.integration.web.shop import CALLER, seed_shop

pytestmark = [pytest.mark.asterisk, pytest.mark.browser, pytest.mark.xdist_group("asterisk")]


def preview_campaign(engine) -> None:
    today = datetime.now(SITE_ZONE).date().isoformat()
    SqlAccounts(engine).create_user("sup2", PASSWORD, "supervisor", time.time())
    document = dict(
        campaign_id="vip",
        name="会员回访",
        mode="preview",
        first_day=today,
        last_day=today,
        window=[0, 86400],
        calling_hours=[0, 86400],
        agents=["agent001"],
        script="您好张先生，感谢您上周购买不粘锅。",
        result_codes=["sale", "not_interested"],
        ring_timeout=15,
    )
    create_campaign(CreateCampaign(time.time(), "sup", document), SqlUnitOfWork(engine))
    rows = [(2, {"phone": CALLER, "name": "张伟"})]
    import_list(ImportNumbers(time.time(), "sup", "vip", rows), SqlUnitOfWork(engine), zones=SiteZone())
    approve_campaign(ApproveCampaign(time.time(), "sup2", "vip"), SqlUnitOfWork(engine))


def test_the_desk_previews_a_customer_and_dial_rings_the_sipp_callee(
    live, asterisk_config, sipp_workdir, tmp_path, browser
):
    cfg = asterisk_config
    url, engine = store_with_users(tmp_path)
    seed_shop(engine, time.time(), cfg.numbers[0])
    preview_campaign(engine)
    proc = live("--database-url", url, "--agents", "1", "--ivr-after", "0", "--wrapup", "5")
    agent_phone = phone(cfg, sipp_workdir, answer_delay_ms=200, talk_ms=0)
    callee = sipp.start_agent("customer", cfg.outbound_port, answer_delay_ms=300, talk_ms=2_000, workdir=sipp_workdir)
    _, server = serve(engine, url)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        log_in_page(page, server.url, "sup", next_path="/office/campaigns/vip")
        wait_for(lambda: SqlLiveStates(engine).heartbeat(), 60, "the live driver's heartbeat in the store", proc)
        page.click("#start")
        page.wait_for_selector(".notice", timeout=20_000)  # the live center took it; #err-live otherwise
        context.clear_cookies()

        log_in_page(page, server.url, "agent001", next_path="/agent")
        page.wait_for_selector("#preview-card", timeout=20_000)
        assert page.inner_text("#preview-name") == "张伟"
        assert page.inner_text("#preview-phone") == "139****0101"
        attempt = page.get_attribute("#preview-card", "data-attempt")
        assert [r for r in proc.records() if r.verb == Verb.OUTBOUND_DIAL] == []  # nothing before the agent says
        page.keyboard.press("Enter")  # Dial

        complete = wait_for(
            lambda: next((r for r in proc.records() if r.verb == Verb.OUTBOUND_COMPLETE), None),
            60,
            "the callee answered, talked to the agent and hung up",
            proc,
        )
        assert complete.call_id == attempt and complete.agent == "agent001"
        assert callee.calls_so_far(), "the SIPp callee was rung"
        page.wait_for_selector("#result-form", timeout=20_000)
        page.keyboard.press("1")  # the campaign's first code: sale
        page.keyboard.press("Enter")
        results = wait_for(
            lambda: [r for r in SqlCampaigns(engine).results("vip") if r["result_code"]],
            20,
            "the dial and its result code in the store",
            proc,
        )
        assert [(r["id"], r["agent_id"], r["result"], r["result_code"]) for r in results] == [
            (attempt, "agent001", "contacted", "sale")
        ]
    finally:
        context.close()
        callee.stop()
        agent_phone.stop()
        server.stop()
        engine.dispose()
