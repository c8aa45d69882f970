"""``SqlCustomers``: ``core.customers.CustomerRepository`` on the database, plus a customer's history
(orders and call records, newest first) for the agent's screen pop.

Phones are stored by their normalised key (``PhoneNumber.key``, E.164 without extension), so
``find_by_phone(parse_phone(text))`` finds a customer whatever spelling the number was typed in. One number
may belong to several customers; every one of them is returned, oldest first, and the agent picks.

New customer IDs: ``core.customers.register_customer(SqlCustomers(engine), SqlIds(engine), ...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from sqlalchemy import Connection, Engine, Select, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from adapters.store.addresses import address_columns, to_address
from adapters.store.call_records import to_call_record
from adapters.store.models import AddressRow, CallRecordRow, CustomerPhoneRow, CustomerRow, OrderRow
from adapters.store.pipeline import pipelined, send_read
from adapters.store.settings import StoreAccess
from core.call_records import CallRecord
from core.customers import Customer, CustomerError, UnknownCustomer
from core.orders import Order
from core.phones import PhoneNumber
from core.regions import Address, Division

CUSTOMER = CustomerRow.__table__
PHONE = CustomerPhoneRow.__table__
ADDRESS = AddressRow.__table__


def _customer_reads(chosen: Select) -> tuple[Select, Select, Select]:
    """The customers whose IDs ``chosen`` selects (oldest first), their phones and their addresses."""
    return (
        select(CUSTOMER).where(CUSTOMER.c.id.in_(chosen)).order_by(CUSTOMER.c.created_at, CUSTOMER.c.id),
        select(PHONE).where(PHONE.c.customer_id.in_(chosen)).order_by(PHONE.c.position),
        select(ADDRESS).where(ADDRESS.c.customer_id.in_(chosen)).order_by(ADDRESS.c.position),
    )


_BY_PHONE = _customer_reads(select(PHONE.c.customer_id).where(PHONE.c.key == bindparam("key")))
_BY_ID = _customer_reads(select(CUSTOMER.c.id).where(CUSTOMER.c.id == bindparam("customer_id")))


# --- history -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of a customer's history: ``kind`` "order" (``item`` an Order) or "call" (a CallRecord)."""

    at: float
    kind: str
    item: Union[Order, CallRecord]


class SqlCustomers:
    """Customers in the database; implements ``core.customers.CustomerRepository``.

    * ``add(customer)`` -- raises ``CustomerError`` if the ID exists;
    * ``get(customer_id) -> Customer`` -- raises ``UnknownCustomer``;
    * ``update(customer)`` -- name, region, notes, phones and addresses as given; raises ``UnknownCustomer``;
    * ``find_by_phone(number: PhoneNumber) -> list[Customer]`` -- every customer with that line, oldest first;
    * ``first_address(customer_id) -> Address | None`` -- raises ``UnknownCustomer``;
    * ``history(customer_id, limit=None) -> list[HistoryEntry]`` -- orders and call records, newest first.
    """

    def __init__(self, engine: Engine, *, connection: Connection | None = None) -> None:
        self.engine = engine
        self.db = StoreAccess(engine, connection)

    # --- writing ---------------------------------------------------------------------------------

    @staticmethod
    def _customer_columns(customer: Customer) -> dict:
        region = customer.region
        return dict(
            name=customer.name,
            created_at=customer.created_at,
            notes=customer.notes,
            region_code=region.code if region else None,
            region_province=region.province if region else "",
            region_city=region.city if region else "",
            region_county=region.county if region else "",
        )

    @staticmethod
    def _write_children(connection: Connection, customer: Customer) -> None:
        cid = customer.customer_id
        if customer.phones:
            connection.execute(
                insert(PHONE),
                [
                    dict(
                        customer_id=cid,
                        position=i,
                        key=p.key,
                        national=p.national,
                        kind=p.kind,
                        area_code=p.area_code,
                        extension=p.extension,
                    )
                    for i, p in enumerate(customer.phones)
                ],
            )
        if customer.addresses:
            connection.execute(
                insert(ADDRESS),
                [dict(customer_id=cid, position=i, **address_columns(a)) for i, a in enumerate(customer.addresses)],
            )

    def add(self, customer: Customer) -> None:
        try:
            with self.db.guarded() as connection:
                connection.execute(insert(CUSTOMER).values(id=customer.customer_id, **self._customer_columns(customer)))
                self._write_children(connection, customer)
        except IntegrityError as error:
            raise CustomerError(
                f"customer {customer.customer_id} already exists or repeats a phone: {error.orig}"
            ) from None

    def update(self, customer: Customer) -> None:
        with self.db.write() as connection:
            changed = connection.execute(
                update(CUSTOMER).where(CUSTOMER.c.id == customer.customer_id).values(**self._customer_columns(customer))
            ).rowcount
            if changed != 1:
                raise UnknownCustomer(customer.customer_id)
            connection.execute(delete(PHONE).where(PHONE.c.customer_id == customer.customer_id))
            connection.execute(delete(ADDRESS).where(ADDRESS.c.customer_id == customer.customer_id))
            self._write_children(connection, customer)

    # --- reading ---------------------------------------------------------------------------------

    @staticmethod
    def _read(connection: Connection, reads: tuple[Select, Select, Select], params: dict[str, str]) -> list[Customer]:
        """The customers ``reads`` select (``_customer_reads``), oldest first, with their phones and addresses:
        three reads sent together (one round trip on PostgreSQL: ``adapters.store.pipeline``)."""
        with pipelined(connection):
            customers, phone_rows, address_rows = (send_read(connection, [read], params) for read in reads)
        phones: dict[str, list[PhoneNumber]] = {}
        for p in phone_rows():
            phones.setdefault(p.customer_id, []).append(PhoneNumber(p.national, p.kind, p.area_code, p.extension))
        addresses: dict[str, list[Address]] = {}
        for a in address_rows():
            addresses.setdefault(a.customer_id, []).append(to_address(a))
        found = []
        for row in customers():
            region = (
                Division(row.region_code, row.region_province, row.region_city, row.region_county)
                if row.region_code
                else None
            )
            found.append(
                Customer(
                    row.id,
                    row.name,
                    phones.get(row.id, []),
                    float(row.created_at),
                    region=region,
                    addresses=addresses.get(row.id, []),
                    notes=row.notes,
                )
            )
        return found

    def get(self, customer_id: str) -> Customer:
        with self.db.read() as connection:
            found = self._read(connection, _BY_ID, {"customer_id": customer_id})
        if not found:
            raise UnknownCustomer(customer_id)
        return found[0]

    def find_by_phone(self, number: PhoneNumber) -> list[Customer]:
        with self.db.read() as connection:
            return self._read(connection, _BY_PHONE, {"key": number.key})

    def first_address(self, customer_id: str) -> Address | None:
        """One row read (an order sent without an address goes there), not the whole customer."""
        query = select(ADDRESS).where(ADDRESS.c.customer_id == customer_id).order_by(ADDRESS.c.position).limit(1)
        with self.db.read() as connection:
            row = connection.execute(query).first()
            if (
                row is None
                and connection.execute(select(CUSTOMER.c.id).where(CUSTOMER.c.id == customer_id)).first() is None
            ):
                raise UnknownCustomer(customer_id)
        return None if row is None else to_address(row)

    def history(self, customer_id: str, limit: int | None = None) -> list[HistoryEntry]:
        """Orders (``SqlOrders.get``) and call records of the customer, newest first."""
        from adapters.store.orders import SqlOrders

        orders_t, calls_t = OrderRow.__table__, CallRecordRow.__table__
        with self.db.read() as connection:  # the newest ``limit`` of each kind cover the newest ``limit`` of both
            order_ids = (
                connection.execute(
                    select(orders_t.c.id)
                    .where(orders_t.c.customer_id == customer_id)
                    .order_by(orders_t.c.placed_at.desc())
                    .limit(limit)
                )
                .scalars()
                .all()
            )
            calls = connection.execute(
                select(calls_t)
                .where(calls_t.c.customer_id == customer_id)
                .order_by(calls_t.c.started_at.desc())
                .limit(limit)
            ).all()
        orders = SqlOrders(self.engine, connection=self.db.connection)
        entries = [HistoryEntry(o.placed_at, "order", o) for o in map(orders.get, order_ids)]
        entries += [HistoryEntry(r.started_at, "call", r) for r in map(to_call_record, calls)]
        entries.sort(key=lambda e: (e.at, e.kind), reverse=True)
        return entries[:limit] if limit is not None else entries
