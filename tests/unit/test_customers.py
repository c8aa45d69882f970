"""Customers (new IDs, several numbers, lookup returning every match) and the city field of an address."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.customers import (
    Customer,
    CustomerError,
    InMemoryCustomers,
    SequentialIds,
    UnknownCustomer,
    add_phone,
    find_customers,
    register_customer,
)
from core.phones import InvalidPhoneNumber, PhoneNumber, parse_phone
from core.regions import (
    Address,
    AddressError,
    Division,
    find_divisions,
    normalise_initials,
    normalise_postcode,
    region_of,
)

HAIDIAN = Division("110108", "北京市", "", "海淀区")
BEIJING = Division("110000", "北京市")
SHENZHEN = Division("440300", "广东省", "深圳市")
NANSHAN = Division("440305", "广东省", "深圳市", "南山区")
CHAOYANG_BJ = Division("110105", "北京市", "", "朝阳区")
CHAOYANG_LN = Division("211300", "辽宁省", "朝阳市")


class FakeRegions:
    """PhoneRegions by area code / mobile prefix from a small table."""

    def __init__(self, table: dict[str, Division]) -> None:
        self.table = table
        self.asked: list[str] = []

    def region_of(self, number: PhoneNumber) -> Division | None:
        self.asked.append(number.national)
        return self.table.get(number.area_code or number.mobile_prefix)


class FakeDirectory:
    """DivisionDirectory over a table of initials and postcodes (the real one is adapters/geo)."""

    def __init__(self, rows: list[tuple[Division, tuple[str, ...], tuple[str, ...]]]) -> None:
        self.rows = rows

    def get(self, code):
        return next((d for d, _, _ in self.rows if d.code == code), None)

    def by_initials(self, initials, limit=20):
        return [d for d, keys, _ in self.rows if initials in keys][:limit]

    def by_postcode(self, postcode):
        return [d for d, _, codes in self.rows if postcode in codes]


REGIONS = FakeRegions({"10": BEIJING, "755": SHENZHEN, "1380013": BEIJING})
DIRECTORY = FakeDirectory(
    [
        (HAIDIAN, ("HD", "BJHD"), ("100089",)),
        (CHAOYANG_BJ, ("CY", "BJCY"), ("100020",)),
        (CHAOYANG_LN, ("CY",), ("122000",)),
        (NANSHAN, ("NS", "SZNS"), ("518000",)),
        (SHENZHEN, ("SZ",), ("518000",)),
    ]
)


def new_repo():
    return InMemoryCustomers(), SequentialIds()


def test_a_new_customer_gets_an_id_and_normalised_numbers():
    repo, ids = new_repo()
    customer = register_customer(repo, ids, name=" 王女士 ", phones=["138 0013 8000", "+86 10 6234 5678"], now=100.0)
    assert customer.customer_id == "C000001"
    assert customer.name == "王女士"
    assert [p.national for p in customer.phones] == ["13800138000", "1062345678"]
    assert customer.created_at == 100.0
    assert repo.get("C000001") is customer
    assert register_customer(repo, ids, name="李先生", phones=["13900139000"], now=101.0).customer_id == "C000002"


def test_ids_are_deterministic_per_source():
    a, b = SequentialIds(), SequentialIds()
    assert [a.new_id("C"), a.new_id("C"), a.new_id("O")] == [b.new_id("C"), b.new_id("C"), b.new_id("O")]
    assert SequentialIds(width=3, start=7).new_id("X") == "X007"


def test_repeated_lines_are_kept_once():
    repo, ids = new_repo()
    customer = register_customer(
        repo, ids, name="王", phones=["13800138000", "+86 138 0013 8000", "010-62345678 转 1", "010 62345678"], now=0
    )
    assert len(customer.phones) == 2


def test_lookup_by_any_number_returns_every_match_oldest_first():
    repo, ids = new_repo()
    wang = register_customer(repo, ids, name="王", phones=["13800138000", "010-62345678"], now=1)
    li = register_customer(repo, ids, name="李", phones=["010-62345678 转 8"], now=2)  # same switchboard
    zhao = register_customer(repo, ids, name="赵", phones=["13900139000"], now=3)
    assert find_customers(repo, "+86 138-0013-8000") == [wang]
    assert find_customers(repo, "01062345678") == [wang, li]  # the agent picks
    assert find_customers(repo, "139 0013 9000") == [zhao]
    assert find_customers(repo, "13700137000") == []
    assert find_customers(repo, "62345678", default_area_code="010") == [wang, li]
    with pytest.raises(InvalidPhoneNumber):
        find_customers(repo, "anonymous")


def test_several_numbers_per_customer_and_adding_one_later():
    repo, ids = new_repo()
    customer = register_customer(repo, ids, name="王", phones=["13800138000"], now=1)
    add_phone(repo, customer.customer_id, "0755-86543210")
    assert find_customers(repo, "0755 8654 3210") == [customer]
    assert find_customers(repo, "13800138000") == [customer]
    add_phone(repo, customer.customer_id, "0755-86543210")  # twice is once
    assert len(customer.phones) == 2


def test_removing_numbers_keeps_at_least_one():
    repo, ids = new_repo()
    customer = register_customer(repo, ids, name="王", phones=["13800138000", "13900139000"], now=1)
    customer.remove_phone(parse_phone("13800138000"))
    assert find_customers(repo, "13800138000") == []
    with pytest.raises(CustomerError, match="at least one"):
        customer.remove_phone(parse_phone("13900139000"))
    with pytest.raises(CustomerError, match="has no number"):
        customer.remove_phone(parse_phone("13700137000"))


def test_bad_registrations_say_why():
    repo, ids = new_repo()
    with pytest.raises(CustomerError, match="name"):
        register_customer(repo, ids, name=" ", phones=["13800138000"], now=0)
    with pytest.raises(CustomerError, match="phone number"):
        register_customer(repo, ids, name="王", phones=[], now=0)
    with pytest.raises(InvalidPhoneNumber, match="11 digits"):
        register_customer(repo, ids, name="王", phones=["1380013800"], now=0)
    assert len(repo) == 0


def test_unknown_customer():
    repo, _ = new_repo()
    with pytest.raises(UnknownCustomer, match="C9"):
        repo.get("C9")
    with pytest.raises(UnknownCustomer):
        add_phone(repo, "C9", "13800138000")


def test_the_same_id_twice_is_refused():
    repo, _ = new_repo()
    repo.add(Customer("C1", "王", [parse_phone("13800138000")], 0))
    with pytest.raises(CustomerError, match="already exists"):
        repo.add(Customer("C1", "李", [parse_phone("13900139000")], 0))


def test_region_from_the_first_number_that_locates_one():
    repo, ids = new_repo()
    regions = FakeRegions({"755": SHENZHEN})
    customer = register_customer(
        repo, ids, name="王", phones=["400-123-4567", "13700137000", "0755-86543210"], now=0, regions=regions
    )
    assert customer.region == SHENZHEN
    assert "4001234567" not in regions.asked  # a service number locates nobody
    unplaced = register_customer(repo, ids, name="李", phones=["13700137000"], now=0, regions=regions)
    assert unplaced.region is None
    add_phone(repo, unplaced.customer_id, "010-62345678", regions=REGIONS)
    assert unplaced.region == BEIJING
    assert region_of(REGIONS, [parse_phone("13800138000")]) == BEIJING


# --- addresses ------------------------------------------------------------------------------------------


def test_divisions_know_their_level_and_full_name():
    assert HAIDIAN.full_name == "北京市海淀区" and HAIDIAN.level == "county" and HAIDIAN.name == "海淀区"
    assert NANSHAN.full_name == "广东省深圳市南山区" and SHENZHEN.level == "city" and BEIJING.level == "province"
    assert NANSHAN.within("4403") and NANSHAN.within("44") and NANSHAN.within("") and not NANSHAN.within("11")
    with pytest.raises(AddressError, match="6 digits"):
        Division("1101", "北京市")


def test_city_entry_by_initials_or_postcode():
    assert find_divisions(DIRECTORY, "BJHD") == [HAIDIAN]
    assert find_divisions(DIRECTORY, "bj hd") == [HAIDIAN]
    assert find_divisions(DIRECTORY, "ＢＪＨＤ") == [HAIDIAN]
    assert find_divisions(DIRECTORY, "cy") == [CHAOYANG_BJ, CHAOYANG_LN]  # ambiguous: every candidate
    assert find_divisions(DIRECTORY, "100089") == [HAIDIAN]
    assert find_divisions(DIRECTORY, "518 000") == [NANSHAN, SHENZHEN]
    assert find_divisions(DIRECTORY, "XX") == []


@pytest.mark.parametrize("entry", ["", "  ", "北京", "BJ1", "10008", "1000899", "B?"])
def test_city_entries_that_are_neither_initials_nor_a_postcode(entry):
    with pytest.raises(AddressError):
        find_divisions(DIRECTORY, entry)


def test_normalising_entries():
    assert normalise_initials("b-j-h-d") == "BJHD"
    assert normalise_postcode(" 100 089 ") == "100089"
    with pytest.raises(AddressError, match="initials"):
        normalise_initials("ABCDEFGHIJKLM")


def test_an_address_needs_its_street_part():
    address = Address(HAIDIAN, "中关村大街1号", recipient="王女士", phone=parse_phone("13800138000"), postcode="100080")
    assert str(address) == "北京市海淀区中关村大街1号"
    with pytest.raises(AddressError, match="street"):
        Address(HAIDIAN, "  ")
    with pytest.raises(AddressError, match="postcode"):
        Address(HAIDIAN, "中关村大街1号", postcode="10008")


def test_customers_keep_their_addresses_once():
    repo, ids = new_repo()
    address = Address(HAIDIAN, "中关村大街1号")
    customer = register_customer(repo, ids, name="王", phones=["13800138000"], now=0, address=address)
    customer.add_address(Address(HAIDIAN, "中关村大街1号"))
    assert customer.addresses == [address]


# --- property ---------------------------------------------------------------------------------------------

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@given(st.lists(st.lists(mobiles, min_size=1, max_size=3), min_size=1, max_size=12))
def test_property_lookup_finds_exactly_the_customers_with_that_line(phone_lists):
    repo, ids = new_repo()
    customers = [
        register_customer(repo, ids, name=f"客户{i}", phones=phones, now=float(i))
        for i, phones in enumerate(phone_lists)
    ]
    assert len({c.customer_id for c in customers}) == len(customers)
    for phones in phone_lists:
        for phone in phones:
            expected = [c for c in customers if phone in {p.national for p in c.phones}]
            assert find_customers(repo, "+86 " + phone) == expected
