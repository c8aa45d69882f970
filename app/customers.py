"""Customers as agents keep them: register one with a new ID, change one (name, notes, numbers, an address),
each with its audit row. Phones come in any spelling and are read with ``default_area_code``."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.ports import AuditEntry, UnitOfWork
from core import customers
from core.customers import Customer, CustomerError
from core.phones import PhoneNumber, parse_phone
from core.regions import Address


@dataclass(slots=True)
class RegisterCustomer:
    now: float
    by: str
    name: str
    phones: list[str]
    address: Address | None = None
    default_area_code: str | None = None


@dataclass(slots=True)
class UpdateCustomer:
    """Fields left None (or empty) are not changed."""

    now: float
    by: str
    customer_id: str
    name: str | None = None
    notes: str | None = None
    add_phones: list[str] = field(default_factory=list)
    remove_phones: list[str | PhoneNumber] = field(default_factory=list)  # a text in any spelling, or the number
    add_address: Address | None = None
    default_area_code: str | None = None

    def changed(self) -> list[str]:
        """The names of the fields this command changes, for the audit row."""
        names = ("name", "notes", "add_phones", "remove_phones", "add_address")
        return [name for name in names if getattr(self, name) not in (None, [])]


def register_customer(command: RegisterCustomer, uow: UnitOfWork) -> Customer:
    """Raises ``CustomerError`` (no name, no number) or ``InvalidPhoneNumber``."""
    with uow:
        customer = customers.register_customer(
            uow.customers,
            uow.ids,
            name=command.name,
            phones=command.phones,
            now=command.now,
            default_area_code=command.default_area_code,
            address=command.address,
        )
        uow.audit.add(AuditEntry(command.now, command.by, "customers.create", "customer", (customer.customer_id,)))
        uow.commit()
    return customer


def update_customer(command: UpdateCustomer, uow: UnitOfWork) -> Customer:
    """Raises ``UnknownCustomer``, ``CustomerError`` (an empty name, removing the last number or one the
    customer does not have) or ``InvalidPhoneNumber``."""
    area = command.default_area_code
    with uow:
        customer = uow.customers.get(command.customer_id)
        if command.name is not None:
            if not command.name.strip():
                raise CustomerError("a customer needs a name")
            customer.name = command.name.strip()
        if command.notes is not None:
            customer.notes = command.notes
        for phone in command.add_phones:
            customer.add_phone(parse_phone(phone, default_area_code=area))
        for gone in command.remove_phones:
            customer.remove_phone(gone if isinstance(gone, PhoneNumber) else parse_phone(gone, default_area_code=area))
        if command.add_address is not None:
            customer.add_address(command.add_address)
        uow.customers.update(customer)
        uow.audit.add(
            AuditEntry(
                command.now,
                command.by,
                "customers.update",
                "customer",
                (customer.customer_id,),
                ", ".join(command.changed()),
            )
        )
        uow.commit()
    return customer
