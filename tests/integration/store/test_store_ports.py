"""The SQL repositories offer every method of their ports, with the same parameters."""

from __future__ import annotations

import inspect

import pytest

from adapters.store.airings import SqlAirings
from adapters.store.audit import SqlAudit
from adapters.store.call_records import SqlCallRecords
from adapters.store.catalog import SqlCatalog
from adapters.store.customers import SqlCustomers
from adapters.store.eventlog import SqlEventLog
from adapters.store.membership import SqlMemberships
from adapters.store.orders import SqlOrders
from adapters.store.tickets import SqlTickets
from app import ports
from core.customers import CustomerRepository
from core.membership import MembershipRepository


@pytest.mark.parametrize(
    "port, implementation",
    [
        (CustomerRepository, SqlCustomers),
        (MembershipRepository, SqlMemberships),
        (ports.CatalogRepository, SqlCatalog),
        (ports.OrderRepository, SqlOrders),
        (ports.AiringRepository, SqlAirings),
        (ports.CallRecordRepository, SqlCallRecords),
        (ports.CallbackTicketRepository, SqlTickets),
        (ports.EventLogRepository, SqlEventLog),
        (ports.AuditRepository, SqlAudit),
    ],
)
def test_repository_implements_its_port(port, implementation):
    for name, method in vars(port).items():
        if name.startswith("_") or not callable(method):
            continue
        assert hasattr(implementation, name), f"{implementation.__name__} lacks {name}"
        wanted = list(inspect.signature(method).parameters)
        assert list(inspect.signature(getattr(implementation, name)).parameters)[: len(wanted)] == wanted, name
