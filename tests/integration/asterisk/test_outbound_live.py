"""Outbound campaigns live on the real Asterisk: the core's dialer originates through ARI to SIPp callees on
the outbound trunk's port, an answer is detected by the callee's channel entering Stasis, the agent (a SIPp
phone) is bridged in; with no agent free the drop message plays; a voice broadcast plays its notice; an
unapproved campaign dials nothing. Each run's results go to a real store through ``persist_core_records``."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from adapters.asterisk.outbound import OutboundOptions
from adapters.asterisk.stasis import build_config
from adapters.store.campaigns import SqlCampaigns
from adapters.store.migrate import open_store
from adapters.store.settings import StoreSettings
from adapters.store.uow import SqlUnitOfWork
from app.core_records import persist_core_records
from core.campaigns import Campaign, ListEntry
from core.config import SITE_ZONE
from core.log import Verb
from core.outbound_messages import DialPreviewed, LoadCampaign, RecordResult
from devtools import sipp
from devtools.harness import InProcessDriver, clear_asterisk
from tests.helpers import wait_until
from tests.integration.asterisk.live_checks import dial, phone, records_of, wait_for_records

pytestmark = [pytest.mark.asterisk, pytest.mark.xdist_group("asterisk")]


def campaign(mode: str, n: int, **kw) -> tuple[Campaign, tuple[ListEntry, ...]]:
    today = datetime.fromtimestamp(time.time(), SITE_ZONE).date()
    kw.setdefault("approved_by", "boss")
    c = Campaign(
        f"live-{mode}",
        mode,
        mode,
        today,
        today,
        window=(0.0, 86400.0),
        calling_hours=(0.0, 86400.0),
        agents=("agent001",),
        ring_timeout=10,
        **kw,
    )
    return c, tuple(ListEntry(f"+86138{i:08d}", row=i + 2) for i in range(n))


@pytest.fixture
def live_run(asterisk_config, tmp_path):
    """A clean Asterisk, a driver with agent001 logged in, agent001's SIPp phone, and a store."""
    cfg = asterisk_config
    clear_asterisk(cfg)
    config = build_config(cfg.numbers, 1, ivr_after=None, callback_reserve=None)
    started: list = []

    def start(
        *, customer_answer_ms: int | None = 200, customer_talk_ms: int = 1_500, customer_dtmf: str = "", **options
    ):
        agent = phone(cfg, tmp_path / "sipp", answer_delay_ms=200, talk_ms=0)
        customer = sipp.start_agent(
            "customer",
            cfg.outbound_port,
            answer_delay_ms=customer_answer_ms,
            talk_ms=customer_talk_ms,
            dtmf=customer_dtmf,
            workdir=tmp_path / "sipp",
        )
        driver = InProcessDriver(
            cfg,
            tmp_path / "live",
            config,
            outbound=OutboundOptions(**{"drop_seconds": 2.0, "broadcast_seconds": 3.0, **options}),
        )
        started.extend([driver, agent, customer])
        return driver, customer

    engine = open_store(StoreSettings(database_url=f"sqlite:///{tmp_path}/hotline.db"))
    yield start, engine
    for thing in started:
        thing.stop()
    engine.dispose()


def store_results(driver: InProcessDriver, engine, c: Campaign, entries) -> list[dict]:
    uow = SqlUnitOfWork(engine)
    with uow:
        uow.campaigns.create(c, "planner", time.time())
        uow.campaigns.add_numbers(c.campaign_id, entries, time.time())
        uow.commit()
    persist_core_records(driver.records(), "live", SqlUnitOfWork(engine))
    return SqlCampaigns(engine).results(c.campaign_id)


def test_progressive_connects_each_answered_callee_to_the_agent(live_run):
    start, engine = live_run
    driver, customer = start()
    c, entries = campaign("progressive", 3)
    driver.call(driver.driver.feed(LoadCampaign(time.time(), c, entries)))
    completes = wait_for_records(driver, Verb.OUTBOUND_COMPLETE, 3, timeout=20)
    assert {r.agent for r in completes} == {"agent001"}
    connects = records_of(driver, Verb.OUTBOUND_CONNECT)
    driver.call(driver.driver.feed(RecordResult(time.time(), "agent001", connects[0].call_id, "sale")))
    wait_for_records(driver, Verb.OUTBOUND_RESULT, 1, timeout=60)
    assert records_of(driver, Verb.OUTBOUND_DROP) == []
    assert len(customer.calls_so_far()) == 3
    results = store_results(driver, engine, c, entries)
    assert [r["result"] for r in results] == ["contacted"] * 3
    assert {r["agent_id"] for r in results} == {"agent001"} and all(r["talk"] > 1 for r in results)
    assert [r["result_code"] for r in results].count("sale") == 1


def test_predictive_plays_the_drop_message_when_no_agent_is_free(live_run):
    start, engine = live_run
    driver, customer = start(customer_talk_ms=4_000)
    c, entries = campaign("predictive", 6, drop_cap=0.5, connect_within=1.0)
    driver.call(driver.driver.feed(LoadCampaign(time.time(), c, entries)))
    drops = wait_for_records(driver, Verb.OUTBOUND_DROP, 1, timeout=90)
    assert drops[0].field("how") == "message"
    answered = len(records_of(driver, Verb.OUTBOUND_ANSWER))
    assert len(records_of(driver, Verb.OUTBOUND_DROP)) <= 0.5 * answered
    wait_for_records(driver, Verb.OUTBOUND_COMPLETE, 2, timeout=90)
    results = store_results(driver, engine, c, entries)
    assert "dropped" in {r["result"] for r in results} and "contacted" in {r["result"] for r in results}


def test_voice_broadcast_plays_the_notice(live_run):
    start, engine = live_run
    driver, customer = start(customer_talk_ms=0)
    c, entries = campaign("broadcast", 2, recording="hello-world", broadcast_lines=2)
    driver.call(driver.driver.feed(LoadCampaign(time.time(), c, entries)))
    heard = wait_for_records(driver, Verb.OUTBOUND_BROADCAST, 2, timeout=60)
    assert {r.field("result") for r in heard} == {"heard"}
    results = store_results(driver, engine, c, entries)
    assert [r["result"] for r in results] == ["heard", "heard"]


def test_preview_shows_the_customer_and_dials_when_the_agent_says_so(live_run):
    start, engine = live_run
    driver, customer = start()
    c, entries = campaign("preview", 2)
    driver.call(driver.driver.feed(LoadCampaign(time.time(), c, entries)))
    preview = wait_for_records(driver, Verb.OUTBOUND_PREVIEW, 1, timeout=60)[0]
    assert preview.agent == "agent001" and records_of(driver, Verb.OUTBOUND_DIAL) == []
    assert customer.calls_so_far() == {}  # nothing dialled before the agent has seen the customer
    driver.call(driver.driver.feed(DialPreviewed(time.time(), "agent001", preview.call_id)))
    complete = wait_for_records(driver, Verb.OUTBOUND_COMPLETE, 1, timeout=60)[0]
    assert complete.call_id == preview.call_id and complete.agent == "agent001"
    results = store_results(driver, engine, c, entries)
    assert [(r["id"], r["result"]) for r in results] == [(preview.call_id, "contacted")]


def test_voice_broadcast_zero_reaches_the_agent(live_run):
    start, engine = live_run
    driver, customer = start(customer_talk_ms=3_000, customer_dtmf="0", broadcast_seconds=10.0)
    c, entries = campaign("broadcast", 1, recording="hello-world")
    driver.call(driver.driver.feed(LoadCampaign(time.time(), c, entries)))
    heard = wait_for_records(driver, Verb.OUTBOUND_BROADCAST, 1, timeout=60)[0]
    assert (heard.field("digits"), heard.field("result"), heard.agent) == ("0", "agent", "agent001")
    connect = wait_for_records(driver, Verb.OUTBOUND_CONNECT, 1, timeout=60)[0]
    assert connect.agent == "agent001"
    complete = wait_for_records(driver, Verb.OUTBOUND_COMPLETE, 1, timeout=60)[
        0
    ]  # the callee talked to agent001, then hung up
    assert (
        complete.agent == "agent001" and complete.field("hung_up_by") == "callee" and float(complete.field("talk")) > 2
    )
    assert [r["result"] for r in store_results(driver, engine, c, entries)] == ["contacted"]


def test_a_callee_who_never_answers_is_not_reached_and_retried(live_run):
    start, engine = live_run
    driver, customer = start(customer_answer_ms=None)
    c, entries = campaign("progressive", 1, max_attempts=1)
    driver.call(driver.driver.feed(LoadCampaign(time.time(), c, entries)))
    fails = wait_for_records(driver, Verb.OUTBOUND_FAIL, 1, timeout=40)
    assert fails[0].field("result") == "no_answer"
    assert [r["result"] for r in store_results(driver, engine, c, entries)] == ["no_answer"]


def test_an_unapproved_campaign_dials_nothing(live_run):
    start, engine = live_run
    driver, customer = start()
    c, entries = campaign("progressive", 2, approved_by="")
    driver.call(driver.driver.feed(LoadCampaign(time.time(), c, entries)))
    approved, more = campaign("progressive", 1)  # a later approved one does run: the driver is alive
    approved = Campaign(**{**approved.__dict__, "campaign_id": "live-approved"})
    driver.call(driver.driver.feed(LoadCampaign(time.time(), approved, more)))
    wait_for_records(driver, Verb.OUTBOUND_COMPLETE, 1, timeout=60)
    assert {r.queue for r in records_of(driver, Verb.OUTBOUND_DIAL)} == {"live-approved"}
    assert len(customer.calls_so_far()) == 1


def test_after_call_survey_is_stored_on_the_call_record(asterisk_config, tmp_path):
    """An inbound call: agent001 hangs up after talking, the caller hears the survey and presses 2."""
    from core.call_log import CallRecordFold
    from reports.outbound import survey_table

    cfg = asterisk_config
    clear_asterisk(cfg)
    config = _with_survey(build_config(cfg.numbers, 1, ivr_after=None, callback_reserve=None))
    agent = phone(cfg, tmp_path / "sipp", answer_delay_ms=200, talk_ms=1_500)
    driver = InProcessDriver(cfg, tmp_path / "live", config)
    engine = open_store(StoreSettings(database_url=f"sqlite:///{tmp_path}/hotline.db"))
    try:
        caller = dial(
            cfg,
            tmp_path / "sipp",
            "13912345678",
            hold_ms=0,
            dtmf="2",
            dtmf_delay_ms=5_000,
            extra_args=["-p", str(cfg.agent_port_base + 950), "-mp", str(cfg.agent_port_base + 750)],
        )
        survey = wait_for_records(driver, Verb.SURVEY, 1, timeout=60)[0]
        assert (survey.agent, survey.field("digit")) == ("agent001", "2")
        caller.wait(timeout=30)
        records = driver.records()
        fold = CallRecordFold()
        ended = [fields for fields in map(fold.add, records) if fields is not None]
        persist_core_records(records, "live", SqlUnitOfWork(engine), ended_calls=ended)
        assert _survey_of(engine, survey.call_id) == 2
        row = survey_table(records).to_dict("records")[0]
        assert (row["agent"], row["queue"], row["answers"], row["mean_score"]) == ("agent001", "sales", 1, 2.0)
    finally:
        driver.stop()
        agent.stop()
        engine.dispose()


def _with_survey(config):
    import dataclasses

    return dataclasses.replace(config, policy=dataclasses.replace(config.policy, survey=True))


def _survey_of(engine, call_id: str) -> int | None:
    from adapters.store.call_records import SqlCallRecords

    return SqlCallRecords(engine).survey_of(call_id)


def test_a_restarted_driver_picks_up_the_call_in_progress(asterisk_config, tmp_path):
    """The driver stops while the callee talks to agent001; a new one replays the journal, finds both legs in
    Asterisk and logs the call's end when the callee hangs up: nothing is dialled twice."""
    cfg = asterisk_config
    clear_asterisk(cfg)
    config = build_config(cfg.numbers, 1, ivr_after=None, callback_reserve=None)
    agent = phone(cfg, tmp_path / "sipp", answer_delay_ms=200, talk_ms=0)
    customer = sipp.start_agent(
        "customer", cfg.outbound_port, answer_delay_ms=200, talk_ms=8_000, workdir=tmp_path / "sipp"
    )
    first = InProcessDriver(cfg, tmp_path / "live", config)
    second = None
    try:
        c, entries = campaign("progressive", 1, max_attempts=1)
        first.call(first.driver.feed(LoadCampaign(time.time(), c, entries)))
        attempt = wait_for_records(first, Verb.OUTBOUND_CONNECT, 1, timeout=60)[0].call_id
        wait_until(
            lambda: getattr(first.driver.outbound.attempts.get(attempt), "talking", False),
            20,
            "callee and agent bridged",
        )
        first.stop()
        second = InProcessDriver(cfg, tmp_path / "live", config)
        complete = wait_for_records(second, Verb.OUTBOUND_COMPLETE, 1, timeout=30)[0]
        assert (
            complete.agent == "agent001"
            and complete.field("hung_up_by") == "callee"
            and float(complete.field("talk")) > 5
        ), [tuple(r)[:7] for r in second.records()]
        assert len(records_of(second, Verb.OUTBOUND_DIAL)) == 1 and len(customer.calls_so_far()) == 1
    finally:
        for thing in (second, first, agent, customer):
            if thing is not None:
                thing.stop()
