"""SqlCustomers on SQLite and PostgreSQL: round trips, lookup by any spelling of a number, history."""

from __future__ import annotations

import pytest

from adapters.store.call_records import SqlCallRecords
from adapters.store.customers import SqlCustomers
from adapters.store.ids import SqlIds
from adapters.store.orders import SqlOrders
from core.call_records import INQUIRY, CallRecord
from core.customers import CustomerError, UnknownCustomer, add_phone, find_customers, register_customer
from core.phones import parse_phone
from tests.integration.store.business_fixtures import (
    HAIDIAN,
    HOME,
    SPELLINGS_OF_13800138000,
    T0,
    order_command,
    stocked_store,
)


def test_a_customer_round_trips_with_phones_region_and_addresses(engine):
    customers = SqlCustomers(engine)
    created = register_customer(
        customers, SqlIds(engine), name=" 李先生 ", phones=["010-6234 5678 转 123", "13912345678"], now=T0, address=HOME
    )
    created.region = HAIDIAN
    created.notes = "prefers evening calls"
    customers.update(created)
    loaded = customers.get(created.customer_id)
    assert loaded.customer_id.startswith("C") and loaded.name == "李先生"
    assert loaded.phones == created.phones and loaded.phones[0].extension == "123"
    assert loaded.addresses == [HOME] and loaded.addresses[0].phone == HOME.phone
    assert (loaded.region, loaded.notes, loaded.created_at) == (HAIDIAN, "prefers evening calls", T0)


def test_ids_from_the_database_do_not_repeat(engine):
    ids = SqlIds(engine)
    made = [ids.new_id("C") for _ in range(5)]
    assert len(set(made)) == 5 and all(i.startswith("C") for i in made)


def test_unknown_and_duplicate_customers_are_refused(engine):
    customers = SqlCustomers(engine)
    with pytest.raises(UnknownCustomer):
        customers.get("C404")
    customer = register_customer(customers, SqlIds(engine), name="A", phones=["13800000001"], now=T0)
    with pytest.raises(CustomerError):
        customers.add(customer)
    customer.customer_id = "C-nobody"
    with pytest.raises(UnknownCustomer):
        customers.update(customer)


@pytest.mark.parametrize("spelling", SPELLINGS_OF_13800138000)
def test_lookup_by_phone_in_any_spelling_finds_every_customer_with_the_number(engine, spelling):
    customers, ids = SqlCustomers(engine), SqlIds(engine)
    first = register_customer(customers, ids, name="王女士", phones=["13800138000"], now=T0)
    second = register_customer(customers, ids, name="王先生", phones=["+8613800138000", "13900000000"], now=T0 + 5)
    register_customer(customers, ids, name="someone else", phones=["13900000001"], now=T0 + 1)
    found = find_customers(customers, spelling)
    assert [c.customer_id for c in found] == [first.customer_id, second.customer_id]  # oldest first
    assert find_customers(customers, "010 6234 5678") == []


def test_a_fixed_line_typed_with_or_without_trunk_and_country_code_is_one_number(engine):
    customers = SqlCustomers(engine)
    customer = register_customer(customers, SqlIds(engine), name="Office", phones=["010-62345678"], now=T0)
    for spelling in ("(010) 6234 5678", "+86 10 6234 5678", "0086-10-62345678", "010-62345678-801"):
        assert [c.customer_id for c in find_customers(customers, spelling)] == [customer.customer_id], spelling


def test_adding_a_phone_makes_the_customer_findable_by_it(engine):
    customers = SqlCustomers(engine)
    customer = register_customer(customers, SqlIds(engine), name="A", phones=["13800000001"], now=T0)
    add_phone(customers, customer.customer_id, "139 1111 2222")
    assert [c.customer_id for c in customers.find_by_phone(parse_phone("13911112222"))] == [customer.customer_id]
    assert len(customers.get(customer.customer_id).phones) == 2


def test_history_combines_orders_and_call_records_newest_first(engine):
    _, customer = stocked_store(engine)
    orders, calls = SqlOrders(engine), SqlCallRecords(engine)
    calls.add(
        CallRecord(
            "R1",
            "call-0",
            customer.phones[0].key,
            "agent-7",
            T0 + 10,
            T0 + 40,
            T0 + 15,
            business_type=INQUIRY,
            summary="asked about the pan",
            customer_id=customer.customer_id,
        )
    )
    order = orders.place(order_command(customer.customer_id, {"PAN-1": 1}, now=T0 + 100))
    calls.add(
        CallRecord(
            "R2",
            "call-2",
            customer.phones[0].key,
            "agent-7",
            T0 + 500,
            T0 + 560,
            T0 + 505,
            business_type=INQUIRY,
            summary="where is my order",
            customer_id=customer.customer_id,
        )
    )
    history = SqlCustomers(engine).history(customer.customer_id)
    assert [(e.kind, e.at) for e in history] == [("call", T0 + 500), ("order", T0 + 100), ("call", T0 + 10)]
    assert history[1].item.order_id == order.order_id and history[1].item.lines == order.lines
    assert SqlCustomers(engine).history(customer.customer_id, limit=1)[0].item.record_id == "R2"
    assert SqlCustomers(engine).history("C-nobody") == []
