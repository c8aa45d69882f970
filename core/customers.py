"""Customers: found by any of their phone numbers (every match, the agent picks), created with a new ID."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Protocol

from core.phones import PhoneNumber, parse_phone
from core.regions import Address, Division, PhoneRegions, region_of


class CustomerError(ValueError):
    """A customer operation the rules forbid."""


class UnknownCustomer(CustomerError):
    def __init__(self, customer_id: str) -> None:
        super().__init__(f"no customer {customer_id!r}")
        self.customer_id = customer_id


class IdSource(Protocol):
    """Where new IDs come from. Injected, so the same inputs give the same IDs."""

    def new_id(self, kind: str) -> str: ...


class SequentialIds:
    """IDs "C000001", "O000001", ...: one counter per kind, deterministic. A database sequence is the
    production equivalent."""

    def __init__(self, width: int = 6, start: int = 1) -> None:
        self.width = width
        self._next: dict[str, int] = {}
        self._start = start

    def new_id(self, kind: str) -> str:
        n = self._next.get(kind, self._start)
        self._next[kind] = n + 1
        return f"{kind}{n:0{self.width}d}"


@dataclass(slots=True)
class Customer:
    customer_id: str
    name: str
    phones: list[PhoneNumber]
    created_at: float
    region: Division | None = None  # from the area code or mobile prefix, where the data allows
    addresses: list[Address] = field(default_factory=list)
    notes: str = ""

    def has_phone(self, number: PhoneNumber) -> bool:
        return any(p.key == number.key for p in self.phones)

    def add_phone(self, number: PhoneNumber) -> bool:
        """Adds the number unless the customer has that line already; True if added."""
        if self.has_phone(number):
            return False
        self.phones.append(number)
        return True

    def remove_phone(self, number: PhoneNumber) -> None:
        if not self.has_phone(number):
            raise CustomerError(f"customer {self.customer_id} has no number {number}")
        if len(self.phones) == 1:
            raise CustomerError(f"customer {self.customer_id} must keep at least one phone number")
        self.phones = [p for p in self.phones if p.key != number.key]

    def add_address(self, address: Address) -> None:
        if address not in self.addresses:
            self.addresses.append(address)

    @property
    def phone_keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.phones)


class CustomerRepository(Protocol):
    """Customer persistence. adapters/store implements it on the database; ``InMemoryCustomers`` is the
    fake for tests and the twin."""

    def add(self, customer: Customer) -> None: ...

    def get(self, customer_id: str) -> Customer:
        """Raises UnknownCustomer."""
        ...

    def update(self, customer: Customer) -> None: ...

    def find_by_phone(self, number: PhoneNumber) -> list[Customer]:
        """Every customer with this line (extensions aside), oldest first."""
        ...

    def first_address(self, customer_id: str) -> Address | None:
        """The customer's first address on file (None without one); raises UnknownCustomer."""
        ...


class InMemoryCustomers:
    """A CustomerRepository in a dict, indexed by phone key. For tests; not persistence."""

    def __init__(self, customers: Iterable[Customer] = ()) -> None:
        self._by_id: dict[str, Customer] = {}
        for customer in customers:
            self.add(customer)

    def add(self, customer: Customer) -> None:
        if customer.customer_id in self._by_id:
            raise CustomerError(f"customer {customer.customer_id} already exists")
        self._by_id[customer.customer_id] = customer

    def get(self, customer_id: str) -> Customer:
        try:
            return self._by_id[customer_id]
        except KeyError:
            raise UnknownCustomer(customer_id) from None

    def update(self, customer: Customer) -> None:
        self.get(customer.customer_id)
        self._by_id[customer.customer_id] = customer

    def find_by_phone(self, number: PhoneNumber) -> list[Customer]:
        found = [c for c in self._by_id.values() if c.has_phone(number)]
        return sorted(found, key=lambda c: (c.created_at, c.customer_id))

    def first_address(self, customer_id: str) -> Address | None:
        addresses = self.get(customer_id).addresses
        return addresses[0] if addresses else None

    def __len__(self) -> int:
        return len(self._by_id)


# --- what agents do ---------------------------------------------------------------------------------


def _as_number(phone: str | PhoneNumber, default_area_code: str | None) -> PhoneNumber:
    return phone if isinstance(phone, PhoneNumber) else parse_phone(phone, default_area_code=default_area_code)


def register_customer(
    customers: CustomerRepository,
    ids: IdSource,
    *,
    name: str,
    phones: Iterable[str | PhoneNumber],
    now: float,
    regions: PhoneRegions | None = None,
    default_area_code: str | None = None,
    address: Address | None = None,
) -> Customer:
    """Create a customer with a new ID. Numbers are normalised (InvalidPhoneNumber says why one is not a
    number) and repeated lines dropped; the region comes from the first number that locates one."""
    if not name.strip():
        raise CustomerError("a customer needs a name (the agent may type what the caller says, e.g. 王女士)")
    numbers: list[PhoneNumber] = []
    for phone in phones:
        number = _as_number(phone, default_area_code)
        if all(n.key != number.key for n in numbers):
            numbers.append(number)
    if not numbers:
        raise CustomerError("a customer needs at least one phone number")
    customer = Customer(
        customer_id=ids.new_id("C"),
        name=name.strip(),
        phones=numbers,
        created_at=now,
        region=region_of(regions, numbers) if regions is not None else None,
    )
    if address is not None:
        customer.add_address(address)
    customers.add(customer)
    return customer


def find_customers(
    customers: CustomerRepository, phone: str | PhoneNumber, *, default_area_code: str | None = None
) -> list[Customer]:
    """Screen pop: every customer with this number, oldest first; the agent picks. A text that is not a
    number raises InvalidPhoneNumber (a withheld caller ID should not be looked up at all)."""
    return customers.find_by_phone(_as_number(phone, default_area_code))


def add_phone(
    customers: CustomerRepository,
    customer_id: str,
    phone: str | PhoneNumber,
    *,
    regions: PhoneRegions | None = None,
    default_area_code: str | None = None,
) -> Customer:
    """Give a customer one more number; a customer without a region gets one from it if it can."""
    customer = customers.get(customer_id)
    number = _as_number(phone, default_area_code)
    if customer.add_phone(number):
        if customer.region is None and regions is not None:
            customer.region = region_of(regions, [number])
        customers.update(customer)
    return customer
