"""``SqlUnitOfWork`` on SQLite and PostgreSQL: the repositories of a use case share one transaction, so its
data and its audit row are stored together or not at all; a refused write inside a unit undoes only itself;
the database's concurrency rules hold across units."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from adapters.store.audit import SqlAudit
from adapters.store.customers import SqlCustomers
from adapters.store.eventlog import SqlEventLog
from adapters.store.models import OrderRow
from adapters.store.orders import SqlOrders
from adapters.store.tickets import SqlTickets, TicketConflict
from adapters.store.uow import SqlUnitOfWork
from app.callbacks import claim_callback
from app.orders import place_order
from app.ports import AuditEntry
from core.customers import Customer, CustomerError
from core.messages import ClaimCallback
from core.phones import parse_phone
from core.tickets import Ticket
from tests.integration.store.business_fixtures import T0, order_command, stocked_store
from tests.integration.store.test_concurrency import AGENTS, _race


def _orders(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(OrderRow.__table__)).scalar_one()


def _drop_the_audit_table(engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE audit_log"))


def test_what_a_unit_commits_is_stored_and_what_it_does_not_is_not(engine):
    catalog, customer = stocked_store(engine, units=5)
    with SqlUnitOfWork(engine) as uow:
        uow.orders.place(order_command(customer.customer_id, [("PAN-1", 2)]))
        uow.audit.add(AuditEntry(T0, "agent-7", "orders.create", "customer", (customer.customer_id,)))
        # left without commit
    assert _orders(engine) == 0 and catalog.available("PAN-1") == 5 and SqlAudit(engine).entries() == []
    placed = place_order(order_command(customer.customer_id, [("PAN-1", 2)]), SqlUnitOfWork(engine))
    assert SqlOrders(engine).get(placed.order_id).total == placed.total and catalog.available("PAN-1") == 3
    (row,) = SqlAudit(engine).entries()
    assert (row.user, row.action, row.entity_id) == ("agent-7", "orders.create", customer.customer_id)
    assert [r.field("order") for r in SqlEventLog(engine).records()] == [placed.order_id]


def test_an_order_whose_audit_row_cannot_be_written_is_not_stored(engine):
    catalog, customer = stocked_store(engine, units=5)
    _drop_the_audit_table(engine)
    with pytest.raises(DBAPIError):
        place_order(order_command(customer.customer_id, [("PAN-1", 2)]), SqlUnitOfWork(engine))
    assert _orders(engine) == 0 and catalog.available("PAN-1") == 5 and catalog.held("PAN-1") == 0
    assert SqlEventLog(engine).count() == 0  # no ORDER_PLACED either


def test_a_claim_whose_audit_row_cannot_be_written_leaves_the_ticket_open(engine):
    tickets = SqlTickets(engine)
    tickets.create(Ticket("cb-1", "c1", "13900000000", "urgent", "400", "", T0, queue="sales"))
    _drop_the_audit_table(engine)
    with pytest.raises(DBAPIError):
        claim_callback(ClaimCallback(T0 + 60, "a1", "cb-1"), SqlUnitOfWork(engine))
    stored = tickets.get("cb-1")
    assert (stored.status, stored.claimer) == ("open", None)


def test_a_refused_write_undoes_only_itself_and_the_unit_goes_on(engine):
    _, customer = stocked_store(engine, units=5)
    twin = Customer(customer.customer_id, "王女士", [parse_phone("13900000000")], T0)
    with SqlUnitOfWork(engine) as uow:
        with pytest.raises(CustomerError, match="already exists"):
            uow.customers.add(twin)  # the database refuses it (on PostgreSQL this would abort a plain transaction)
        uow.orders.place(order_command(customer.customer_id, [("PAN-1", 1)]))
        uow.commit()
    assert _orders(engine) == 1
    assert SqlCustomers(engine).find_by_phone(parse_phone("13900000000")) == []


def test_fifty_agents_claim_one_ticket_through_the_use_case_and_one_claim_is_audited(engine):
    SqlTickets(engine).create(Ticket("cb-1", "c1", "13900000000", "urgent", "400", "", T0, queue="sales"))
    results = _race(
        engine, lambda i: claim_callback(ClaimCallback(T0 + 60, f"agent-{i:02d}", "cb-1"), SqlUnitOfWork(engine))
    )
    winners = [r for r in results if isinstance(r, Ticket)]
    assert len(winners) == 1 and sum(isinstance(r, TicketConflict) for r in results) == AGENTS - 1, results
    (row,) = SqlAudit(engine).entries(entity="callback_ticket")
    assert (row.user, row.entity_id) == (winners[0].claimer, "cb-1")


def test_a_unit_is_used_once_at_a_time(engine):
    uow = SqlUnitOfWork(engine)
    with uow:
        with pytest.raises(RuntimeError, match="in use"):
            uow.__enter__()
    with uow:  # and again afterwards
        uow.commit()
