"""Phone numbers: every way a Chinese number is written comes out as one normalised number."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.phones import FIXED, MOBILE, SERVICE, InvalidPhoneNumber, PhoneNumber, parse_phone, same_line


@pytest.mark.parametrize(
    "text",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+8613800138000",
        "0086 13800138000",
        "8613800138000",
        "013800138000",
        "(+86) 138 0013 8000",
        "１３８ ００１３ ８０００",
        "138.0013.8000",
    ],
)
def test_mobile_numbers_in_any_dress(text):
    number = parse_phone(text)
    assert number == PhoneNumber("13800138000", MOBILE)
    assert number.e164 == "+8613800138000"
    assert number.mobile_prefix == "1380013"
    assert number.area_code == "" and number.extension == ""
    assert str(number) == "138 0013 8000"


@pytest.mark.parametrize(
    "text",
    [
        "010-62345678",
        "(010) 6234 5678",
        "010 6234-5678",
        "+86 10 6234 5678",
        "+86 (0)10 62345678",
        "0086-10-62345678",
        "861062345678",
        "1062345678",
        "+86 010 62345678",
    ],
)
def test_beijing_fixed_line(text):
    number = parse_phone(text)
    assert number.kind == FIXED
    assert number.area_code == "10" and number.trunk_area_code == "010"
    assert number.subscriber == "62345678"
    assert number.national == "1062345678" and number.domestic == "01062345678"
    assert str(number) == "010-6234 5678"


@pytest.mark.parametrize(
    "text, area, subscriber",
    [
        ("0755-86543210", "755", "86543210"),
        ("020-87654321", "20", "87654321"),
        ("0571 8888 8888", "571", "88888888"),
        ("0931-2123456", "931", "2123456"),
        ("+86 898 3123 4567", "898", "31234567"),
    ],
)
def test_area_codes_of_two_and_three_digits(text, area, subscriber):
    number = parse_phone(text)
    assert (number.kind, number.area_code, number.subscriber) == (FIXED, area, subscriber)


@pytest.mark.parametrize(
    "text",
    [
        "010-62345678 ext 123",
        "010-62345678 ext. 123",
        "010-62345678 Extension: 123",
        "010-62345678x123",
        "010-62345678 转123",
        "010-62345678转 123",
        "010-62345678 转分机 123",
        "010-62345678 分机123",
        "010-62345678,123",
        "010-62345678-123",
        "(010) 6234 5678 EXT 123",
    ],
)
def test_extensions(text):
    number = parse_phone(text)
    assert (number.national, number.extension) == ("1062345678", "123")
    assert str(number) == "010-6234 5678 转 123"
    assert number.key == parse_phone("010-62345678").key  # caller IDs carry no extension


def test_a_dash_group_that_completes_the_number_is_not_an_extension():
    with pytest.raises(InvalidPhoneNumber):
        parse_phone("0755-1234-5678")  # 5678 is no extension: 0755-1234 is no number either
    number = parse_phone("0755-2345-6789")
    assert (number.subscriber, number.extension) == ("23456789", "")
    # 7-digit subscriber plus one more digit reads as an 8-digit number: the whole number wins
    assert parse_phone("0931-2123456-7").subscriber == "21234567"
    assert parse_phone("0931-2123456 转 7").extension == "7"  # a marker removes the doubt


def test_service_numbers():
    assert parse_phone("400-123-4567") == PhoneNumber("4001234567", SERVICE)
    assert parse_phone("800 810 8888").kind == SERVICE
    assert parse_phone("95588").kind == SERVICE
    assert parse_phone("10086").kind == SERVICE
    assert str(parse_phone("4001234567")) == "400-123-4567"


def test_local_number_takes_the_default_area_code():
    assert parse_phone("6234 5678", default_area_code="010") == parse_phone("010-62345678")
    assert parse_phone("6234 5678", default_area_code="10") == parse_phone("010-62345678")
    with pytest.raises(InvalidPhoneNumber, match="no area code"):
        parse_phone("62345678")
    with pytest.raises(InvalidPhoneNumber, match="default area code"):
        parse_phone("62345678", default_area_code="0x1")


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "contains 'a'"),
        ("138 0013 800O", "contains 'O'"),
        ("+1 212 555 1234", "country code"),
        ("001 212 555 1234", "another country"),
        ("1380013800", "11 digits"),
        ("138001380001", "11 digits"),
        ("12345678901", "not a mobile prefix"),
        ("010-1234567", "8 digits"),
        ("0755-12345", "7 or 8 digits"),
        ("0755-02345678", "does not start with 0 or 1"),
        ("13800+138000", "contains '+'"),
        ("---", "no digits"),
        ("400-1234567-8", "neither"),
    ],
)
def test_what_cannot_be_a_chinese_number_says_why(text, reason):
    with pytest.raises(InvalidPhoneNumber, match=re.escape(reason)) as failure:
        parse_phone(text)
    assert repr(text) in str(failure.value)
    assert isinstance(failure.value, ValueError)


def test_non_text_is_refused():
    with pytest.raises(InvalidPhoneNumber, match="expected text"):
        parse_phone(13800138000)  # type: ignore[arg-type]


def test_a_fixed_line_must_start_with_its_area_code():
    with pytest.raises(InvalidPhoneNumber):
        PhoneNumber("1062345678", FIXED, "755")
    with pytest.raises(InvalidPhoneNumber):
        PhoneNumber("1062345678", "pager")


def test_same_line_ignores_extensions():
    assert same_line(parse_phone("010-62345678 转 1"), parse_phone("+86 10 62345678"))
    assert not same_line(parse_phone("010-62345678"), parse_phone("010-62345679"))


# --- properties -----------------------------------------------------------------------------------------

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
two_digit_areas = st.sampled_from(["10"] + [f"2{d}" for d in range(10)])
three_digit_areas = st.from_regex(r"[3-9][0-9][0-9]", fullmatch=True).filter(lambda a: a not in ("400", "800"))
fixed_lines = st.one_of(
    st.tuples(two_digit_areas, st.from_regex(r"[2-9][0-9]{7}", fullmatch=True)),
    st.tuples(three_digit_areas, st.from_regex(r"[2-9][0-9]{6,7}", fullmatch=True)),
)
extensions = st.one_of(st.just(""), st.from_regex(r"[0-9]{1,5}", fullmatch=True))
separators = st.sampled_from(["", " ", "-", ".", " - "])


def _spread(digits: str, sep: str, cuts: list[int]) -> str:
    """Insert ``sep`` at some positions."""
    points = sorted({c % (len(digits) + 1) for c in cuts} - {0, len(digits)})
    parts, last = [], 0
    for point in points:
        parts.append(digits[last:point])
        last = point
    parts.append(digits[last:])
    return sep.join(parts)


@given(
    mobiles,
    st.sampled_from(["", "+86 ", "+86", "0086 ", "86", "0", "(+86) "]),
    separators,
    st.lists(st.integers(0, 20), max_size=3),
)
def test_property_any_mobile_in_any_dress(national, prefix, sep, cuts):
    number = parse_phone(prefix + _spread(national, sep, cuts))
    assert (number.national, number.kind, number.extension) == (national, MOBILE, "")


@given(
    fixed_lines,
    st.sampled_from(["0", "+86 ", "0086 ", "+86 (0)", "+86-"]),
    separators,
    extensions,
    st.sampled_from([" ext ", " 转 ", "x", "-", ",", " 分机 "]),
    st.booleans(),
)
def test_property_any_fixed_line_in_any_dress(line, prefix, sep, extension, marker, bracket):
    area, subscriber = line
    # "0300-2000000-0" is truly ambiguous: it reads as the 8-digit 20000000 first (documented), so a dash
    # only marks an extension after a full 8-digit subscriber number
    assume(not (marker == "-" and len(subscriber) == 7 and extension))
    head = f"({prefix}{area})" if bracket and not prefix.startswith("+86 (") else prefix + area
    text = head + (sep or " ") + _spread(subscriber, sep, [4]) + (marker + extension if extension else "")
    number = parse_phone(text)
    assert (number.kind, number.area_code, number.subscriber, number.extension) == (FIXED, area, subscriber, extension)


@given(
    st.one_of(
        mobiles.map(lambda n: PhoneNumber(n, MOBILE)),
        fixed_lines.map(lambda al: PhoneNumber(al[0] + al[1], FIXED, al[0])),
    ),
    extensions,
)
def test_property_display_and_e164_read_back(number, extension):
    number = PhoneNumber(number.national, number.kind, number.area_code, extension)
    assert parse_phone(str(number)) == number
    assert parse_phone(number.e164).key == number.key


@given(st.text(max_size=20))
def test_property_anything_either_parses_or_says_why(text):
    try:
        number = parse_phone(text)
    except InvalidPhoneNumber as failure:
        assert failure.reason
    else:
        assert number.kind in (MOBILE, FIXED, SERVICE)
        assert number.national.isdigit() and number.e164.startswith("+86")
