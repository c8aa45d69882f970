"""Callbacks dialled live on a real Asterisk: SIPp agents answer the callback ring, a SIPp UAS on the
outbound trunk's port plays the customer (answering, busy or never answering)."""

from __future__ import annotations

import time

import pytest

from adapters.asterisk import supervisor
from adapters.asterisk.callbacks import CALLBACK_PREFIX, CallbackOptions
from adapters.asterisk.journal import Journal
from adapters.asterisk.stasis import build_config
from core import messages as m
from core.center import CommandRejected
from devtools import sipp
from devtools.harness import InProcessDriver, ari_client, clear_asterisk
from tests.helpers import wait_until
from tests.integration.asterisk.live_checks import dial, phone, phones

pytestmark = [pytest.mark.asterisk, pytest.mark.xdist_group("asterisk")]

BUSY_CUSTOMER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="hotline busy customer">
  <recv request="INVITE" crlf="true">
    <action>
      <gettimeofday assign_to="t_s,t_us"/>
      <log message="HOTLINE event=invite call=[call_number] t=[$t_s] us=[$t_us]"/>
    </action>
  </recv>
  <send>
    <![CDATA[

      SIP/2.0 486 Busy Here
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]HLB[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK">
    <action>
      <gettimeofday assign_to="t_s,t_us"/>
      <log message="HOTLINE event=busy call=[call_number] t=[$t_s] us=[$t_us]"/>
    </action>
  </recv>
</scenario>
"""


def start_busy_customer(port: int, workdir) -> sipp.SippProcess:
    """A customer's phone that answers every INVITE with 486 Busy Here."""
    wd = sipp._workdir(workdir, "customer-busy")
    scenario = wd / "busy.xml"
    scenario.write_text(BUSY_CUSTOMER)
    proc = sipp.SippProcess(
        "customer:busy",
        [sipp.sipp_binary(), *sipp._common_args(wd, scenario, sipp.default_media_ports().take()), "-p", str(port)],
        wd,
        ("busy",),
    )
    proc.wait_listening(port)
    return proc


def logged(driver: InProcessDriver, verb: str, count: int = 1, timeout: float = 20.0):
    """The first ``count`` records of ``verb``, once there are that many."""

    def found():
        hits = [r for r in driver.records() if r.verb == verb]
        return hits[:count] if len(hits) >= count else None

    return wait_until(found, timeout, lambda: f"{count} x {verb} in {[r.verb for r in driver.records()]}")


def invites(proc: sipp.SippProcess) -> list[float]:
    return sorted(c.events["invite"] for c in proc.calls_so_far().values() if "invite" in c.events)


def feed(driver: InProcessDriver, message_type, *args) -> None:
    driver.call(driver.driver.feed(message_type(driver.driver.now(), *args)))


def own_ports(cfg, n: int) -> list[str]:
    """SIPp caller ``n``'s SIP and media ports in this Asterisk's agent port range (above its agents): SIPp's
    default 5060 is shared with every other SIPp on the machine, and a stray BYE for an old call there would
    end this test's call."""
    return ["-p", str(cfg.agent_port_base + 900 + n), "-mp", str(cfg.agent_port_base + 700 + 10 * n)]


def abandon(driver: InProcessDriver, cfg, caller_id: str, workdir) -> str:
    """A caller waits on hold and hangs up; returns their ticket."""
    caller = dial(cfg, workdir, caller_id, hold_ms=1_000, extra_args=own_ports(cfg, 0))
    result = caller.wait(timeout=20)
    assert result.outcomes == {"caller_bye": 1}, f"{result.summary()}\n{[tuple(r) for r in driver.records()]}"
    created = wait_until(
        lambda: [r for r in driver.records() if r.verb == "CALLBACK_CREATED" and r.field("number") == caller_id],
        20.0,
        f"a ticket for {caller_id}",
    )
    return created[0].field("ticket")


def start_one_agent(
    cfg,
    tmp_path,
    workdir,
    *,
    answer_delay_ms: int | None = 200,
    callbacks: CallbackOptions = CallbackOptions(),
    **policy,
):
    """A clean Asterisk, a driver with agent001 (callback_reserve 0 unless given) and agent001's SIPp phone."""
    clear_asterisk(cfg)
    config = build_config(cfg.numbers, 1, ivr_after=None, **{"callback_reserve": 0, **policy})
    driver = InProcessDriver(cfg, tmp_path / "live", config, callbacks=callbacks)
    agent = phone(cfg, workdir, answer_delay_ms=answer_delay_ms, talk_ms=0)
    return config, driver, agent


def start_customer(cfg, workdir, *, answer_delay_ms: int | None = 200, talk_ms: int = 1_000) -> sipp.SippProcess:
    """The customers' phone on the outbound trunk's port; it hangs up ``talk_ms`` after answering."""
    return sipp.start_agent(
        "customer", cfg.outbound_port, answer_delay_ms=answer_delay_ms, talk_ms=talk_ms, workdir=workdir
    )


def ticket_left_by(driver: InProcessDriver, cfg, caller_id: str, workdir) -> str:
    """agent001 is paused, so the caller waits and gives up: the ticket the callback is for."""
    feed(driver, m.MakeNotReady, "agent001", "meeting")
    return abandon(driver, cfg, caller_id, workdir)


def report_once_hung_up(
    driver: InProcessDriver, cfg, customer: sipp.SippProcess, agent_id: str, ticket: str, outcome: str
):
    """The customer's phone hangs up, then the agent reports ``outcome``; returns its CALLBACK_DONE."""
    wait_until(
        lambda: customer.calls_so_far() and all(c.outcome for c in customer.calls_so_far().values()),
        20.0,
        "the customer to be called and hang up",
    )
    driver.call(driver.driver.complete_callback(agent_id, ticket, outcome))
    [done] = logged(driver, "CALLBACK_DONE")
    wait_until(lambda: no_channels_left(cfg), 20.0, "no channels or bridges left")
    return done


def stop_everything(cfg, drivers, *phones: sipp.SippProcess | None) -> list[sipp.SippResult | None]:
    """Drivers and phones that were started (None: not yet), then a clean Asterisk; the phones' results."""
    for driver in drivers:
        if driver is not None:
            driver.stop()
    results = [phone.stop() if phone is not None else None for phone in phones]
    clear_asterisk(cfg)
    return results


def assert_called_back_once(
    driver: InProcessDriver, ticket: str, agent_result: sipp.SippResult, customer_result: sipp.SippResult
) -> None:
    """One ring of the agent, one INVITE to the customer, both answered; one claim, one outcome."""
    assert customer_result.outcomes == {"agent_bye": 1}, customer_result.summary()
    assert agent_result.outcomes == {"remote_bye": 1}, agent_result.summary()
    assert ticket_verbs(driver, ticket) == ["CALLBACK_CREATED", "CALLBACK_CLAIMED", "CALLBACK_DONE"]


def no_channels_left(cfg) -> bool:
    with ari_client(cfg) as ari:
        return ari.get("/channels").json() == [] and ari.get("/bridges").json() == []


def ticket_verbs(driver: InProcessDriver, ticket: str) -> list[str]:
    return [
        r.verb
        for r in driver.records()
        if r.verb.startswith("CALLBACK_") and r.verb != "CALLBACK_PROMPT" and r.field("ticket") == ticket
    ]


def test_an_abandoned_caller_is_called_back_and_the_outcome_is_stored(asterisk_config, tmp_path, sipp_workdir):
    cfg = asterisk_config
    _, driver, agent = start_one_agent(cfg, tmp_path, sipp_workdir, callbacks=CallbackOptions(dial_timeout=10))
    customer = start_customer(cfg, sipp_workdir, talk_ms=1_500)
    try:
        ticket = ticket_left_by(driver, cfg, "13900000301", sipp_workdir)
        feed(driver, m.MakeReady, "agent001")
        logged(driver, "CALLBACK_CLAIMED")
        # the customer answers, talks 1.5 s and hangs up; the agent's leg goes with it
        wait_until(
            lambda: agent.calls_so_far() and all(c.outcome for c in agent.calls_so_far().values()),
            20.0,
            "the agent's leg to end",
        )
        assert driver.driver.core.agents["agent001"].state == "callback"  # until the agent reports
        with pytest.raises(CommandRejected):
            driver.call(driver.driver.complete_callback("agent001", ticket, "maybe"))
        driver.call(driver.driver.complete_callback("agent001", ticket, "ordered"))
        [done] = logged(driver, "CALLBACK_DONE")
        wait_until(lambda: no_channels_left(cfg), 20.0, "no channels or bridges left")
    finally:
        agent_result, customer_result = stop_everything(cfg, [driver], agent, customer)
    assert (done.agent, done.field("ticket"), done.field("outcome"), done.field("attempt")) == (
        "agent001",
        ticket,
        "ordered",
        "1",
    )
    assert_called_back_once(driver, ticket, agent_result, customer_result)
    assert [c.info["from"] for c in customer_result.calls.values()] == [f"sip:{cfg.numbers[0]}"]  # the hotline
    assert [c.info["from"] for c in agent_result.calls.values()] == ["sip:13900000301"]  # whom they call back
    assert driver.driver.core.agents["agent001"].state == "ready"
    assert driver.driver.core.tickets.tickets[ticket].status == "done"


def test_an_unreachable_customer_is_dialled_again_after_the_retry_time(asterisk_config, tmp_path, sipp_workdir):
    cfg = asterisk_config
    retry_after = 5.0
    _, driver, agent = start_one_agent(
        cfg, tmp_path, sipp_workdir, callbacks=CallbackOptions(dial_timeout=2), callback_retry_after=retry_after
    )
    busy = start_busy_customer(cfg.outbound_port, sipp_workdir)
    silent = None
    try:
        ticket = ticket_left_by(driver, cfg, "13900000302", sipp_workdir)
        feed(driver, m.MakeReady, "agent001")
        [retry] = logged(driver, "CALLBACK_RETRY")
        busy_result = busy.stop()
        # the second attempt finds a phone that rings and is never answered (Asterisk gives up after 2 s)
        silent = start_customer(cfg, sipp_workdir, answer_delay_ms=None)
        first_claim, second_claim = logged(driver, "CALLBACK_CLAIMED", 2, timeout=retry_after + 20)
        first_done, second_done = logged(driver, "CALLBACK_DONE", 2)
        logged(driver, "CALLBACK_RETRY", 2)
        wait_until(lambda: no_channels_left(cfg), 20.0, "no channels or bridges left")
    finally:
        agent_result, busy_result, silent_result = stop_everything(cfg, [driver], agent, busy, silent)
    retry_at = float(retry.field("next_attempt_at"))
    assert retry_at == pytest.approx(float(first_done.time) + retry_after, abs=0.01)
    assert second_claim.time >= retry_at  # not before the retry time
    assert [(r.field("outcome"), r.field("attempt")) for r in (first_done, second_done)] == [
        ("unreachable", "1"),
        ("unreachable", "2"),
    ]
    assert ticket_verbs(driver, ticket)[:7] == [
        "CALLBACK_CREATED",
        "CALLBACK_CLAIMED",
        "CALLBACK_DONE",
        "CALLBACK_RETRY",
        "CALLBACK_CLAIMED",
        "CALLBACK_DONE",
        "CALLBACK_RETRY",
    ]
    assert busy_result.outcomes == {"busy": 1}, busy_result.summary()  # one INVITE per attempt
    assert silent_result.outcomes == {"cancelled": 1}, silent_result.summary()
    assert min(invites(silent)) >= retry_at
    assert agent_result.outcomes == {"remote_bye": 2}, agent_result.summary()
    assert first_claim.agent == second_claim.agent == "agent001"


def test_no_callback_is_dialled_while_only_the_reserve_is_free(asterisk_config, tmp_path, sipp_workdir):
    cfg = asterisk_config
    clear_asterisk(cfg)
    driver = InProcessDriver(
        cfg,
        tmp_path / "live",
        build_config(cfg.numbers, 2, ivr_after=None, callback_reserve=1),
        callbacks=CallbackOptions(dial_timeout=10),
    )
    agents = phones(cfg, sipp_workdir, 2, answer_delay_ms=200, talk_ms=0)
    customer = start_customer(cfg, sipp_workdir)
    try:
        talker = dial(cfg, sipp_workdir, "13900000311", hold_ms=60_000, extra_args=own_ports(cfg, 1))
        [connect] = logged(driver, "CONNECT")
        feed(driver, m.MakeNotReady, "agent002", "meeting")
        ticket = abandon(driver, cfg, "13900000312", sipp_workdir)
        feed(driver, m.MakeReady, "agent002")
        logged(driver, "UNPAUSE")
        # one agent free, the reserve is one: the ticket waits
        core = driver.driver.core
        assert core.n_idle == 1 and core.tickets.tickets[ticket].status == "open"
        assert "CALLBACK_CLAIMED" not in [r.verb for r in driver.records()]
        with ari_client(cfg) as ari:
            assert not [c for c in ari.get("/channels").json() if c["id"].startswith(CALLBACK_PREFIX)]
        assert invites(customer) == []
        driver.call(supervisor.force_hang_up(driver.driver, connect.call_id, "supervisor1"))
        [ended] = logged(driver, "COMPLETEAGENT")
        [claimed] = logged(driver, "CALLBACK_CLAIMED")
        done = report_once_hung_up(driver, cfg, customer, claimed.agent, ticket, "inquiry")
        talker.wait(timeout=10)
    finally:
        *_, customer_result = stop_everything(cfg, [driver], *agents.values(), customer)
    assert claimed.time >= ended.time  # dialled only once two agents were free
    assert claimed.agent == "agent002"  # the longest idle
    assert (done.field("ticket"), done.field("outcome")) == (ticket, "inquiry")
    assert customer_result.outcomes == {"agent_bye": 1}, customer_result.summary()


def test_a_restart_of_the_driver_during_a_callback_does_not_dial_twice(asterisk_config, tmp_path, sipp_workdir):
    cfg = asterisk_config
    options = CallbackOptions(dial_timeout=30)
    config, first, agent = start_one_agent(cfg, tmp_path, sipp_workdir, callbacks=options)
    # the customer's phone rings 6 s: the driver is restarted while it rings
    customer = start_customer(cfg, sipp_workdir, answer_delay_ms=6_000, talk_ms=1_500)
    second = None
    try:
        ticket = ticket_left_by(first, cfg, "13900000321", sipp_workdir)
        feed(first, m.MakeReady, "agent001")
        wait_until(lambda: invites(customer), 20.0, "the customer's phone to ring")
        first.stop()
        second = InProcessDriver(cfg, tmp_path / "live", config, callbacks=options)
        assert second.driver.recovery.messages > 0
        with ari_client(cfg) as ari:  # the ringing customer's leg is found, not dialled again
            bridge = f"callback-{next(iter(second.driver.callbacks.running))}"
            wait_until(
                lambda: len((ari.get(f"/bridges/{bridge}").json() or {}).get("channels", ())) == 2,
                20.0,
                "agent and customer bridged by the restarted driver",
            )
        done = report_once_hung_up(second, cfg, customer, "agent001", ticket, "ordered")
    finally:
        agent_result, customer_result = stop_everything(cfg, [first, second], agent, customer)
    assert len(invites(customer)) == 1
    assert_called_back_once(second, ticket, agent_result, customer_result)
    assert (done.field("outcome"), done.field("attempt")) == ("ordered", "1")


def test_an_agent_who_does_not_answer_the_callback_ring_gives_the_ticket_back(asterisk_config, tmp_path, sipp_workdir):
    cfg = asterisk_config
    _, driver, agent = start_one_agent(cfg, tmp_path, sipp_workdir, answer_delay_ms=None, ring_timeout=2.0)
    customer = start_customer(cfg, sipp_workdir)
    try:
        ticket = ticket_left_by(driver, cfg, "13900000331", sipp_workdir)
        feed(driver, m.MakeReady, "agent001")
        [released] = logged(driver, "CALLBACK_RELEASED")
        wait_until(lambda: no_channels_left(cfg), 20.0, "no channels or bridges left")
    finally:
        agent_result, customer_result = stop_everything(cfg, [driver], agent, customer)
    assert (released.agent, released.field("ticket")) == ("agent001", ticket)
    assert agent_result.outcomes == {"cancelled": 1}, agent_result.summary()  # rung once, for 2 s
    assert customer_result.created == 0 and invites(customer) == []  # the customer was never dialled
    core = driver.driver.core
    assert core.agents["agent001"].state == "paused" and core.agents["agent001"].reason == "ringnoanswer"
    t = core.tickets.tickets[ticket]
    assert (t.status, t.attempts) == ("open", 0)  # not counted as an attempt
    assert ticket_verbs(driver, ticket) == ["CALLBACK_CREATED", "CALLBACK_CLAIMED", "CALLBACK_RELEASED"]


def test_a_callback_the_driver_died_before_dialling_is_dialled_once_after_the_restart(
    asterisk_config, tmp_path, sipp_workdir
):
    """The crash window between the journal and the originate: the replayed core has the callback running, no
    step of it was written, so the resync rings the agent (once: the customer hears one INVITE)."""
    cfg = asterisk_config
    config, first, agent = start_one_agent(cfg, tmp_path, sipp_workdir)
    customer = start_customer(cfg, sipp_workdir)
    second = None
    try:
        ticket = ticket_left_by(first, cfg, "13900000341", sipp_workdir)
        first.stop()
        journal = Journal(tmp_path / "live" / "journal.jsonl")
        journal.open()
        journal.append(m.MakeReady(time.time(), "agent001"))  # journalled, then the driver died
        journal.close()
        second = InProcessDriver(cfg, tmp_path / "live", config)
        done = report_once_hung_up(second, cfg, customer, "agent001", ticket, "wrong_number")
    finally:
        agent_result, customer_result = stop_everything(cfg, [first, second], agent, customer)
    assert_called_back_once(second, ticket, agent_result, customer_result)
    assert (done.field("outcome"), done.field("attempt")) == ("wrong_number", "1")
    t = second.driver.core.tickets.tickets[ticket]
    assert (t.status, t.outcome) == ("done", "wrong_number")  # closed, no retry
