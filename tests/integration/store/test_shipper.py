"""``LogShipper`` on SQLite and PostgreSQL (no Asterisk): the records a real core writes land in the store
with their position, tickets and call records in the same transaction; a restart (a new shipper over the
same log) and a delivery of records already stored write nothing twice; a foreign log is refused; a
PostgreSQL restart in the middle loses nothing."""

from __future__ import annotations

import logging
import time
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from adapters.asterisk.stasis import build_config
from adapters.store.call_records import RECORD, to_call_record
from adapters.store.eventlog import SqlEventLog
from adapters.store.models import EventRecord
from adapters.store.settings import make_engine
from adapters.store.shipper import LogShipper
from adapters.store.tickets import SqlTickets
from adapters.store.uow import SqlUnitOfWork
from app.core_records import persist_core_records
from core import messages as m
from core.center import CallCenter
from core.log import TERMINAL_VERBS, Verb

SOURCE = "live"


def live_day(calls: int = 1) -> list:
    """What a real core writes for ``calls`` rounds of: an answered, recorded call; a caller who gives up
    (a ticket), the same number again (a duplicate); the ticket claimed and done."""
    records: list = []
    core = CallCenter(build_config(("4008001000",), 1, ring_timeout=15.0, ivr_after=None), log=records)
    core.handle(m.LogIn(100.0, "agent001"))
    t = 101.0
    for i in range(calls):
        a, b, c = (f"1700000{i:03d}.{k}" for k in (1, 2, 3))
        for message in (
            m.CallArrived(t, a, f"139{i:08d}", "4008001000"),
            m.AgentAnswered(t + 0.3, a, "agent001"),
            m.CallRecorded(t + 0.5, a, f"hotline-{a}.wav"),
            m.CallArrived(t + 1, b, f"138{i:08d}", "4008001000"),
            m.CallerHungUp(t + 3, b),
            m.CallArrived(t + 4, c, f"138{i:08d}", "4008001000"),
            m.CallerHungUp(t + 5, c),
            m.AgentHungUp(t + 9, a),
            m.ClaimCallback(t + 10, "agent001", f"cb-{b}"),
            m.CompleteCallback(t + 20, "agent001", f"cb-{b}", "ordered"),
        ):
            core.handle(message)
        t += 30
    return records


def stored(engine) -> list:
    table = EventRecord.__table__
    with engine.connect() as connection:
        return connection.execute(
            select(table.c.seq, table.c.verb, table.c.call_id).where(table.c.source == SOURCE).order_by(table.c.seq)
        ).all()


def call_records(engine) -> list:
    with engine.connect() as connection:
        return [to_call_record(row) for row in connection.execute(select(RECORD).order_by(RECORD.c.started_at))]


def ship(engine, records, **kw) -> LogShipper:
    shipper = LogShipper(engine, records, source=SOURCE, migrate=False, **kw).start()
    assert shipper.wait_shipped(len(records), 20), f"shipped {shipper.shipped} of {len(records)}"
    shipper.stop()
    return shipper


def assert_exactly_once(engine, records) -> None:
    rows = stored(engine)
    assert [(r.seq, r.verb, r.call_id) for r in rows] == [(i, r.verb, r.call_id) for i, r in enumerate(records)]
    created = [r.field("ticket") for r in records if r.verb == Verb.CALLBACK_CREATED]
    assert sorted(t.ticket_id for t in SqlTickets(engine).all()) == sorted(created)
    ended = [r.call_id for r in records if r.verb in TERMINAL_VERBS]
    assert sorted(c.call_id for c in call_records(engine)) == sorted(ended)


def test_records_tickets_and_call_records_land_in_one_go(engine):
    records = live_day()
    ship(engine, records)
    assert_exactly_once(engine, records)
    ticket = SqlTickets(engine).all()[0]
    assert (ticket.number, ticket.status, ticket.outcome) == ("13800000000", "done", "ordered")
    answered, abandoned, duplicate = call_records(engine)
    assert (answered.agent_id, answered.recording, answered.business_type) == (
        "agent001",
        f"hotline-{answered.call_id}.wav",
        "inquiry",
    )
    assert answered.answered_at == pytest.approx(101.3) and answered.ended_at == pytest.approx(110.0)
    assert answered.caller == "+8613900000000" and "talk 8.7 s" in answered.summary
    assert (abandoned.call_type, abandoned.business_type, abandoned.recording) == ("dropped", "callback", "")
    assert abandoned.answered_at is None and abandoned.duration == pytest.approx(2.0)
    assert duplicate.caller == abandoned.caller


def test_a_restart_ships_the_rest_and_nothing_twice(engine):
    """The driver appends while the first shipper runs; it dies; a second one goes on from the store's
    position, with a call that began before the restart and ended after it recorded whole."""
    full = live_day(3)
    cut = next(i for i, r in enumerate(full) if r.verb == Verb.CONNECT and i > len(full) // 2)
    log = full[: cut + 1]
    first = LogShipper(engine, log, source=SOURCE, migrate=False).start()
    assert first.wait_shipped(len(log), 20)
    first.stop()
    log.extend(full[cut + 1 :])  # what the driver wrote after the crash
    second = ship(engine, log)
    assert second.shipped == len(full)
    assert_exactly_once(engine, full)
    spanning = next(c for c in call_records(engine) if c.call_id == full[cut].call_id)
    assert spanning.started_at < full[cut].time < spanning.ended_at and spanning.answered_at == full[cut].time
    third = ship(engine, log)  # nothing new: writes nothing
    assert third.shipped == len(full)
    assert_exactly_once(engine, full)


def test_records_delivered_twice_are_refused_by_the_database(engine):
    records = live_day()
    ship(engine, records)
    with pytest.raises(IntegrityError):  # a commit whose answer was lost, sent again
        persist_core_records(records[3:6], SOURCE, SqlUnitOfWork(engine), first_seq=3)
    assert_exactly_once(engine, records)


def test_the_log_of_another_data_directory_is_refused(engine):
    ship(engine, live_day())
    other = live_day(2)[:5]
    other[-1] = other[-1]._replace(call_id="someone-else")
    shipper = LogShipper(engine, other, source=SOURCE, migrate=False).start()
    shipper.wait_shipped(len(other), 10)
    assert shipper.failed is not None and "does not match" in str(shipper.failed)
    assert len(stored(engine)) == len(live_day())


@pytest.mark.xdist_group("postgres")
def test_postgresql_restarted_while_shipping_loses_nothing_and_repeats_nothing(restartable_postgres, caplog):
    caplog.set_level(logging.INFO, logger="hotline.shipper")
    server = restartable_postgres
    engine = make_engine(server.url)
    full = live_day(40)
    log = full[:50]
    shipper = LogShipper(engine, log, source=SOURCE, migrate=False, backoff_max=0.2, batch=7).start()
    try:
        assert shipper.wait_shipped(50, 20)
        server.stop()
        for record in full[50:200]:  # the driver goes on while the database is away
            log.append(record)
            shipper.wake()
        deadline = time.monotonic() + 20
        while shipper.outage.count == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert shipper.outage.count == 1
        server.start()
        log.extend(full[200:])
        shipper.wake()
        assert shipper.wait_shipped(len(full), 30), f"shipped {shipper.shipped} of {len(full)}"
    finally:
        shipper.stop()
    assert_exactly_once(engine, full)
    assert Counter(r.levelname for r in caplog.records if r.name == "hotline.shipper") == {"WARNING": 1, "INFO": 1}
    assert SqlEventLog(engine).last_shipped(SOURCE)[0] == len(full) - 1
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(EventRecord.__table__)).scalar_one() == len(full)
    engine.dispose()
