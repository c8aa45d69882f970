"""Callback tickets in the database (SQLite and PostgreSQL): the core's rules, the sink that follows the
core's event stream, housekeeping and the ``hotline callbacks`` commands."""

from __future__ import annotations

import dataclasses

import pytest
from typer.testing import CliRunner

from adapters.store.eventlog import EventLogSink, FanOut, SqlEventLog
from adapters.store.periodic import housekeeping_round
from adapters.store.ticket_sink import TicketSink
from adapters.store.tickets import DEFAULT_RETRY_AFTER, DEFAULT_TTL, SqlTickets, TicketConflict
from core.log import NONE, LogRecord, Verb
from core.tickets import Ticket, TicketError, UnknownTicket
from entrypoints.store_cli import store_app
from tests.helpers import wait_until
from tests.integration.store.conftest import REPO

DAY = 86400.0
T0 = 1_700_000_000.0


def ticket(ticket_id: str, number: str, created_at: float, priority: str = "normal", queue: str = "sales") -> Ticket:
    return Ticket(
        ticket_id=ticket_id,
        call_id=ticket_id.removeprefix("cb-"),
        number=number,
        priority=priority,
        hotline="400",
        airing="air-1",
        created_at=created_at,
        queue=queue,
    )


@pytest.fixture
def tickets(engine) -> SqlTickets:
    return SqlTickets(engine)


def test_create_and_read_back(tickets):
    made = tickets.create(ticket("cb-c1", "139", T0, "urgent"))
    assert made.status == "open" and made.claimer is None
    got = tickets.get("cb-c1")
    assert got == dataclasses.replace(made)
    assert (got.number, got.priority, got.hotline, got.airing, got.queue, got.created_at) == (
        "139",
        "urgent",
        "400",
        "air-1",
        "sales",
        T0,
    )
    assert tickets.open_ticket_for("139").ticket_id == "cb-c1"
    assert tickets.open_ticket_for("140") is None
    assert tickets.expires_at("cb-c1") == T0 + 3 * DAY


def test_one_open_ticket_per_number(tickets):
    tickets.create(ticket("cb-c1", "139", T0))
    with pytest.raises(TicketError, match="already has an open ticket"):
        tickets.create(ticket("cb-c2", "139", T0 + 1))
    with pytest.raises(TicketError, match="exists already"):
        tickets.create(ticket("cb-c1", "150", T0 + 1))
    with pytest.raises(TicketError, match="priority"):
        tickets.create(ticket("cb-c3", "151", T0, priority="vip"))
    tickets.claim("cb-c1", "a1", T0 + 10)
    tickets.complete("cb-c1", "a1", "ordered", T0 + 20)
    tickets.create(ticket("cb-c2", "139", T0 + 30))  # the first one is closed: a new one is fine


def test_callback_order_is_urgent_first_then_first_come(tickets):
    for i, (number, priority) in enumerate(
        [("n1", "normal"), ("v1", "urgent"), ("n2", "normal"), ("i1", "urgent"), ("v2", "urgent")]
    ):
        tickets.create(ticket(f"cb-c{i}", number, T0 + i, priority))
    assert [t.number for t in tickets.ordered(T0 + 10)] == ["v1", "i1", "v2", "n1", "n2"]
    assert [t.number for t in tickets.ordered(T0 + 10, limit=2)] == ["v1", "i1"]
    taken = [tickets.claim_next(f"a{i}", T0 + 10).number for i in range(5)]
    assert taken == ["v1", "i1", "v2", "n1", "n2"]
    assert tickets.claim_next("a9", T0 + 10) is None


def test_order_is_per_queue_on_request(tickets):
    tickets.create(ticket("cb-1", "1", T0, "normal", queue="sales"))
    tickets.create(ticket("cb-2", "2", T0 + 1, "urgent", queue="service"))
    assert [t.ticket_id for t in tickets.ordered(T0 + 5, queues=["sales"])] == ["cb-1"]
    assert tickets.claim_next("a1", T0 + 5, queues=["sales"]).ticket_id == "cb-1"


def test_one_claimer_at_a_time(tickets):
    tickets.create(ticket("cb-c1", "139", T0))
    claimed = tickets.claim("cb-c1", "a1", T0 + 5)
    assert (claimed.status, claimed.claimer) == ("claimed", "a1")
    with pytest.raises(TicketConflict, match="already claimed by a1"):
        tickets.claim("cb-c1", "a2", T0 + 6)
    with pytest.raises(TicketError, match="not claimed by a2"):
        tickets.complete("cb-c1", "a2", "ordered", T0 + 7)
    for unknown in (
        lambda: tickets.claim("cb-nope", "a2", T0 + 6),
        lambda: tickets.complete("cb-nope", "a2", "ordered", T0 + 6),
        lambda: tickets.release("cb-nope", "a2", T0 + 6),
    ):
        with pytest.raises(UnknownTicket, match="no ticket"):
            unknown()
    assert tickets.ordered(T0 + 6) == []


def test_release_gives_the_ticket_back(tickets):
    tickets.create(ticket("cb-c1", "139", T0))
    tickets.claim("cb-c1", "a1", T0 + 5)
    with pytest.raises(TicketError):
        tickets.release("cb-c1", "a2", T0 + 6)
    assert tickets.release("cb-c1", "a1", T0 + 6).status == "open"
    assert tickets.claim("cb-c1", "a2", T0 + 7).claimer == "a2"


@pytest.mark.parametrize("outcome", ["ordered", "cancelled", "inquiry", "complaint"])
def test_final_outcomes_close_the_ticket(tickets, outcome):
    tickets.create(ticket("cb-c1", "139", T0))
    tickets.claim("cb-c1", "a1", T0 + 5)
    done = tickets.complete("cb-c1", "a1", outcome, T0 + 60)
    assert (done.status, done.outcome, done.attempts, done.claimer) == ("done", outcome, 1, None)
    with pytest.raises(TicketError, match="is done"):
        tickets.claim("cb-c1", "a2", T0 + 70)
    assert tickets.open_ticket_for("139") is None


def test_unknown_outcome_is_refused(tickets):
    tickets.create(ticket("cb-c1", "139", T0))
    tickets.claim("cb-c1", "a1", T0 + 5)
    with pytest.raises(TicketError, match="outcome 'maybe'"):
        tickets.complete("cb-c1", "a1", "maybe", T0 + 60)


def test_unreachable_is_retried_after_the_retry_delay(tickets):
    tickets.create(ticket("cb-c1", "139", T0))
    tickets.claim("cb-c1", "a1", T0 + 5)
    waiting = tickets.complete("cb-c1", "a1", "unreachable", T0 + 60)
    assert (waiting.status, waiting.next_try_at, waiting.attempts) == ("waiting", T0 + 60 + DEFAULT_RETRY_AFTER, 1)
    assert tickets.open_ticket_for("139").ticket_id == "cb-c1"  # still open for the duplicate rule
    with pytest.raises(TicketError, match="waits for its retry"):
        tickets.claim("cb-c1", "a2", T0 + 61)
    assert tickets.ordered(T0 + 61) == []
    due = T0 + 60 + DEFAULT_RETRY_AFTER
    assert [t.ticket_id for t in tickets.ordered(due)] == ["cb-c1"]  # claimable once the retry is due
    assert [t.ticket_id for t in tickets.retry_due(due)] == ["cb-c1"]
    assert tickets.get("cb-c1").status == "open"
    tickets.claim("cb-c1", "a2", due + 1)
    assert tickets.complete("cb-c1", "a2", "ordered", due + 100).attempts == 2


def test_unreachable_too_close_to_expiry_expires(tickets):
    tickets.create(ticket("cb-c1", "139", T0))
    late = T0 + DEFAULT_TTL - DEFAULT_RETRY_AFTER + 1
    tickets.claim("cb-c1", "a1", late - 10)
    assert tickets.complete("cb-c1", "a1", "unreachable", late).status == "expired"


def test_expiry_after_three_days(tickets):
    tickets.create(ticket("cb-old", "1", T0))
    tickets.create(ticket("cb-waiting", "2", T0 + 1))
    tickets.create(ticket("cb-claimed", "3", T0 + 2))
    tickets.create(ticket("cb-young", "4", T0 + DAY))
    tickets.claim("cb-waiting", "a1", T0 + 10)
    tickets.complete("cb-waiting", "a1", "unreachable", T0 + 20)
    tickets.claim("cb-claimed", "a2", T0 + 3 * DAY - 5)
    with pytest.raises(TicketError, match="expired"):
        tickets.claim("cb-old", "a3", T0 + 3 * DAY)  # past expiry: not claimable even before the sweep
    assert tickets.expire(T0 + 3 * DAY - 1) == []
    expired = tickets.expire(T0 + 3 * DAY + 5)
    assert [t.ticket_id for t in expired] == ["cb-old", "cb-waiting"]  # the claimed one is being worked
    assert {t.ticket_id: t.status for t in tickets.all()} == {
        "cb-old": "expired",
        "cb-waiting": "expired",
        "cb-claimed": "claimed",
        "cb-young": "open",
    }
    assert tickets.expire(T0 + 3 * DAY + 5) == []
    assert tickets.open_ticket_for("1") is None


def test_expire_can_log_what_it_expired(engine):
    tickets = SqlTickets(engine, log_source="store")
    tickets.create(ticket("cb-c1", "139", T0))
    tickets.expire(T0 + 4 * DAY)
    [record] = SqlEventLog(engine).records("store")
    assert (record.verb, record.field("ticket"), record.call_id, record.queue, record.time) == (
        Verb.CALLBACK_EXPIRED,
        "cb-c1",
        "c1",
        "sales",
        T0 + 4 * DAY,
    )


def test_housekeeping_round_reopens_due_retries_and_expires(tickets):
    tickets.create(ticket("cb-a", "1", T0))
    tickets.create(ticket("cb-b", "2", T0 + 2 * DAY))
    tickets.claim("cb-b", "a1", T0 + 2 * DAY + 1)
    tickets.complete("cb-b", "a1", "unreachable", T0 + 2 * DAY + 2)
    assert housekeeping_round(tickets, T0 + 3 * DAY) == (1, 1)
    assert tickets.get("cb-a").status == "expired" and tickets.get("cb-b").status == "open"


# --- the sink ------------------------------------------------------------------------------------


def cb(time, verb, ticket_id, *data, agent=NONE, call="c1", queue="sales"):
    return LogRecord(time, call, queue, agent, verb, ticket_id, *data)


def test_sink_follows_the_core_records(engine):
    sink = TicketSink(engine)
    stream = [
        LogRecord(T0 - 30, "c1", "sales", NONE, Verb.ENTERQUEUE, "", "139", 1, "400", "normal"),
        cb(T0, Verb.CALLBACK_CREATED, "cb-c1", "139", "urgent", "400", "air-1"),
        cb(T0 + 5, Verb.CALLBACK_CLAIMED, "cb-c1", agent="a1"),
        cb(T0 + 65, Verb.CALLBACK_DONE, "cb-c1", "unreachable", 1, 60.0, agent="a1"),
        cb(T0 + 65, Verb.CALLBACK_RETRY, "cb-c1", T0 + 65 + 1800),
    ]
    for record in stream:
        sink.append(record)
    got = SqlTickets(engine).get("cb-c1")
    assert (got.status, got.attempts, got.outcome, got.next_try_at, got.priority, got.airing) == (
        "waiting",
        1,
        "unreachable",
        T0 + 1865,
        "urgent",
        "air-1",
    )
    # the core reopens it from its timer without a record, then an agent claims it
    sink.append(cb(T0 + 2000, Verb.CALLBACK_CLAIMED, "cb-c1", agent="a2"))
    sink.append(cb(T0 + 2010, Verb.CALLBACK_RELEASED, "cb-c1", agent="a2"))
    sink.append(cb(T0 + 2020, Verb.CALLBACK_CLAIMED, "cb-c1", agent="a3"))
    sink.append(cb(T0 + 2080, Verb.CALLBACK_DONE, "cb-c1", "ordered", 2, 60.0, agent="a3"))
    got = SqlTickets(engine).get("cb-c1")
    assert (got.status, got.attempts, got.outcome, got.claimer) == ("done", 2, "ordered", None)
    assert sink.conflicts == []
    sink.append(cb(T0 + 1, Verb.CALLBACK_CREATED, "cb-c2", "150", "normal", "400", "", call="c2"))
    sink.append(cb(T0 + 3 * DAY + 1, Verb.CALLBACK_EXPIRED, "cb-c2", call="c2"))
    assert SqlTickets(engine).get("cb-c2").status == "expired"


def test_sink_reports_records_that_contradict_the_database_instead_of_raising(engine):
    sink = TicketSink(engine)
    records = [
        cb(T0, Verb.CALLBACK_CREATED, "cb-c1", "139", "normal", "400", ""),
        cb(T0 + 5, Verb.CALLBACK_CLAIMED, "cb-c1", agent="a1"),
    ]
    assert sink.consume(records) == 2
    assert sink.consume(records) == 0  # replayed: nothing changes
    assert len(sink.conflicts) == 2
    assert "exists already" in sink.conflicts[0] and "claimed by a1" in sink.conflicts[1]
    assert SqlTickets(engine).get("cb-c1").claimer == "a1"


def _twin_run():
    from twin.build import build_model, replication_seeds
    from twin.site import load_scenario

    scenario = load_scenario(REPO / "scenarios" / "live_program.yaml")
    model = build_model(scenario, replication_seeds(scenario)[0])
    model.run()
    return model.center


@pytest.mark.parametrize("mode", ["append", "consume"])
def test_sink_fed_by_a_twin_run_ends_where_the_core_ends(engine, mode):
    center = _twin_run()
    log = center.log
    assert sum(r.verb == Verb.CALLBACK_CREATED for r in log) > 100
    tickets = SqlTickets(
        engine, source="twin", ttl=center.policy.callback_ttl, retry_after=center.policy.callback_retry_after
    )
    sink = TicketSink(
        engine, source="twin", ttl=center.policy.callback_ttl, retry_after=center.policy.callback_retry_after
    )
    if mode == "append":  # as a live EventSink beside the core's own list and the event-log table
        events = EventLogSink(engine, source="twin")
        mirror: list = []
        tee = FanOut(mirror, sink, events)
        for record in log:
            tee.append(record)
        events.flush()
        assert mirror == log and SqlEventLog(engine).count("twin") == len(log)
    else:
        sink.consume(log)
    assert sink.conflicts == []
    tickets.retry_due(log[-1].time)  # the core reopened due retries from its timers, without records
    expected = {t.ticket_id: t for t in center.tickets.tickets.values()}
    got = {t.ticket_id: t for t in tickets.all()}
    assert got.keys() == expected.keys()
    for ticket_id, want in expected.items():
        have = got[ticket_id]
        assert dataclasses.astuple(have) == pytest.approx(dataclasses.astuple(want)), ticket_id
    # and the database lists the open ones in the core's order
    core_order = [t.ticket_id for t in center.tickets.ordered()]
    assert [t.ticket_id for t in tickets.ordered()] == core_order


# --- commands ------------------------------------------------------------------------------------


def test_callbacks_expire_command_prints_how_many_expired(engine, database, monkeypatch):
    _, url = database
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    tickets = SqlTickets(engine)
    for i in range(3):
        tickets.create(ticket(f"cb-{i}", str(i), T0 + i))
    tickets.create(ticket("cb-new", "9", T0 + 2 * DAY))
    runner = CliRunner()
    result = runner.invoke(store_app(), ["callbacks", "list", "--now", str(T0 + 10)])
    assert result.exit_code == 0, result.output
    assert "4 ticket(s)" in result.output and "cb-0" in result.output
    result = runner.invoke(store_app(), ["callbacks", "expire", "--now", str(T0 + 3 * DAY + 60)])
    assert result.exit_code == 0, result.output
    assert "3 callback ticket(s) expired" in result.output
    assert [t.ticket_id for t in tickets.ordered(T0 + 3 * DAY + 60)] == ["cb-new"]
    assert len(SqlEventLog(engine).records("store")) == 3
    result = runner.invoke(store_app(), ["callbacks", "expire", "--now", str(T0 + 3 * DAY + 60)])
    assert "0 callback ticket(s) expired" in result.output


def test_the_periodic_task_expires_in_the_background(engine):
    from adapters.store.periodic import start_housekeeping_thread

    tickets = SqlTickets(engine)
    tickets.create(ticket("cb-c1", "139", T0))
    thread, stop = start_housekeeping_thread(tickets, every_s=0.02, clock=lambda: T0 + 4 * DAY)
    try:
        wait_until(lambda: tickets.get("cb-c1").status == "expired", 20, "the housekeeping thread to expire cb-c1")
    finally:
        stop.set()
        thread.join(10)
    assert tickets.get("cb-c1").status == "expired" and not thread.is_alive()


def test_the_periodic_task_runs_as_an_asyncio_task(engine):
    import asyncio

    from adapters.store.periodic import housekeeping_loop

    tickets = SqlTickets(engine)
    tickets.create(ticket("cb-c1", "139", T0))

    async def main() -> None:
        task = asyncio.create_task(housekeeping_loop(tickets, every_s=0.02, clock=lambda: T0 + 4 * DAY))
        try:
            for _ in range(500):
                if tickets.get("cb-c1").status == "expired":
                    break
                await asyncio.sleep(0.02)
        finally:
            task.cancel()

    asyncio.run(main())
    assert tickets.get("cb-c1").status == "expired"
