"""The database, not luck, makes a callback ticket have one claimer: 50 agents in 50 threads, each on its
own connection, claim at the same instant. On PostgreSQL (the production database) and on SQLite."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import text

from adapters.store.migrate import upgrade
from adapters.store.settings import make_engine
from adapters.store.tickets import SqlTickets, TicketConflict
from core.tickets import Ticket, TicketError
from tests.helpers import open_connections, race
from tests.integration.store.conftest import PG

AGENTS = 50
T0 = 1_700_000_000.0


def _race(engine, work) -> list:
    """``work(agent_index)`` in AGENTS threads released together, each on a connection opened beforehand."""
    open_connections(engine, AGENTS)
    return race(AGENTS, work, timeout=120)


def test_fifty_agents_claim_one_ticket_at_once_and_exactly_one_wins(engine):
    tickets = SqlTickets(engine)
    tickets.create(Ticket("cb-1", "c1", "13900000000", "urgent", "400", "air", T0, queue="sales"))
    results = _race(engine, lambda i: tickets.claim("cb-1", f"agent-{i:02d}", T0 + 60))
    winners = [r for r in results if isinstance(r, Ticket)]
    losers = [r for r in results if isinstance(r, TicketError)]
    assert len(winners) == 1, results
    assert len(losers) == AGENTS - 1 and all(isinstance(r, TicketConflict) for r in losers), Counter(map(type, results))
    stored = tickets.get("cb-1")
    assert (stored.status, stored.claimer) == ("claimed", winners[0].claimer)
    with engine.connect() as connection:  # one change, one version bump
        assert connection.execute(text("SELECT version FROM callback_ticket WHERE id = 'cb-1'")).scalar() == 2


def test_fifty_agents_take_the_next_ticket_at_once_and_none_is_taken_twice(engine):
    tickets = SqlTickets(engine)
    n = 20
    for i in range(n):
        tickets.create(Ticket(f"cb-{i}", f"c{i}", f"139{i:08d}", "normal", "400", "", T0 + i, queue="sales"))
    results = _race(engine, lambda i: tickets.claim_next(f"agent-{i:02d}", T0 + 60))
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    taken = [r.ticket_id for r in results if r is not None]
    assert sorted(taken) == sorted(f"cb-{i}" for i in range(n))  # every ticket once, none twice
    assert sum(r is None for r in results) == AGENTS - n
    stored = {t.ticket_id: t.claimer for t in tickets.all()}
    assert {r.ticket_id: r.claimer for r in results if r is not None} == stored


@PG
def test_postgres_claims_really_overlap(fresh_postgres):
    """On PostgreSQL, show the race is real: a claim in an open transaction blocks a second claim of the
    same ticket, which then finds it claimed and changes nothing."""
    engine = make_engine(fresh_postgres)
    upgrade(engine)
    try:
        _overlap(engine)
    finally:
        engine.dispose()


def _overlap(engine) -> None:
    tickets = SqlTickets(engine)
    tickets.create(Ticket("cb-1", "c1", "139", "normal", "400", "", T0, queue="sales"))
    first = engine.connect()
    transaction = first.begin()
    first.execute(
        text(
            "UPDATE callback_ticket SET status = 'claimed', claimer = 'a1', version = version + 1 "
            "WHERE id = 'cb-1' AND status = 'open'"
        )
    )
    outcome: list = []
    second = threading.Thread(target=lambda: outcome.append(_try(tickets.claim, "cb-1", "a2", T0 + 1)))
    second.start()
    second.join(1.0)
    assert second.is_alive(), "the second claim should wait for the first transaction's row lock"
    transaction.commit()
    first.close()
    second.join(30)
    assert isinstance(outcome[0], TicketConflict)
    assert tickets.get("cb-1").claimer == "a1"


def _try(fn, *args):
    try:
        return fn(*args)
    except Exception as error:  # noqa: BLE001
        return error


def _claim_in_a_process(url: str, barrier, results, agent_id: str) -> None:
    engine = make_engine(url)  # a process of its own: its own engine and connection
    try:
        tickets = SqlTickets(engine)
        with engine.connect():
            pass  # connect before the start signal
        barrier.wait()
        try:
            tickets.claim("cb-1", agent_id, T0 + 60)
            results.put((agent_id, "won"))
        except TicketConflict:
            results.put((agent_id, "conflict"))
        except Exception as error:  # noqa: BLE001
            results.put((agent_id, f"error {error!r}"))
    finally:
        engine.dispose()


def test_fifty_processes_claim_one_ticket_at_once_and_exactly_one_wins(engine, database):
    import multiprocessing

    _, url = database
    tickets = SqlTickets(engine)
    tickets.create(Ticket("cb-1", "c1", "13900000000", "normal", "400", "", T0, queue="sales"))
    engine.dispose()  # nothing of the parent's pool goes into the children
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(AGENTS)
    results = context.Queue()
    processes = [
        context.Process(target=_claim_in_a_process, args=(url, barrier, results, f"agent-{i:02d}"))
        for i in range(AGENTS)
    ]
    for process in processes:
        process.start()
    outcomes = dict(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(60)
    assert Counter(outcomes.values()) == {"won": 1, "conflict": AGENTS - 1}, outcomes
    [winner] = [agent for agent, outcome in outcomes.items() if outcome == "won"]
    assert tickets.get("cb-1").claimer == winner
