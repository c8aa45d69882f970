"""Where customers are: administrative divisions, delivery addresses, and the ports that look them up.

The divisions themselves are data (a package's administrative-division data set); adapters/geo implements
the ports below. The core only validates what the agent typed and decides what a lookup means.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

from core.phones import SERVICE, PhoneNumber

PROVINCE = "province"
CITY = "city"  # prefecture level (地级): 深圳市, 延边朝鲜族自治州
COUNTY = "county"  # county level (县级): districts, counties, county-level cities

_INITIALS = re.compile(r"[A-Z]{1,12}")
_POSTCODE = re.compile(r"\d{6}")
_DIVISION_CODE = re.compile(r"\d{6}")


class AddressError(ValueError):
    """An address, a city entry or a postcode that cannot be used."""


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative division with its parents' names. ``code`` is the 6-digit GB/T 2260 code
    (110108 海淀区; a province ends 0000, a prefecture 00). Municipalities (北京市) have no prefecture
    level, so their districts have an empty ``city``; so do county-level cities a province governs
    directly (湖北省仙桃市)."""

    code: str
    province: str
    city: str = ""
    county: str = ""

    def __post_init__(self) -> None:
        if not _DIVISION_CODE.fullmatch(self.code):
            raise AddressError(f"division code {self.code!r} is not 6 digits")
        if not self.province:
            raise AddressError(f"division {self.code} has no province")

    @property
    def level(self) -> str:
        if self.county:
            return COUNTY
        return CITY if self.city else PROVINCE

    @property
    def name(self) -> str:
        return self.county or self.city or self.province

    @property
    def full_name(self) -> str:
        """北京市海淀区, 广东省深圳市南山区: how an address is written."""
        return self.province + self.city + self.county

    def within(self, code_prefix: str) -> bool:
        """True if this division lies inside the area named by a code prefix ("44" Guangdong,
        "4403" Shenzhen, "" everywhere)."""
        return self.code.startswith(code_prefix)

    def __str__(self) -> str:
        return self.full_name


@dataclass(frozen=True, slots=True)
class Address:
    """A delivery address: the division, then the street part as the customer says it."""

    division: Division
    detail: str  # street, building, room
    recipient: str = ""
    phone: PhoneNumber | None = None
    postcode: str = ""

    def __post_init__(self) -> None:
        if not self.detail.strip():
            raise AddressError("an address needs its street part (street, building, room)")
        if self.postcode and not _POSTCODE.fullmatch(self.postcode):
            raise AddressError(f"postcode {self.postcode!r} is not 6 digits")

    def __str__(self) -> str:
        return self.division.full_name + self.detail


# --- ports ------------------------------------------------------------------------------------------


class DivisionDirectory(Protocol):
    """The administrative divisions, searchable the ways an agent enters a city."""

    def get(self, code: str) -> Division | None:
        """The division with this 6-digit code."""
        ...

    def by_initials(self, initials: str, limit: int = 20) -> list[Division]:
        """Divisions whose pinyin initials match, best first (exact before prefix matches).
        ``initials`` is upper-case A-Z, e.g. "BJHD" -> [北京市海淀区]."""
        ...

    def by_postcode(self, postcode: str) -> list[Division]:
        """Divisions a 6-digit postcode belongs to, best first; a postcode the data does not list gets
        the divisions of its delivery area (same leading digits)."""
        ...


class PhoneRegions(Protocol):
    """Where a number is registered: from the area code of a fixed line or the 7-digit mobile prefix."""

    def region_of(self, number: PhoneNumber) -> Division | None: ...


# --- what the agent typed -----------------------------------------------------------------------------


def normalise_initials(text: str) -> str:
    """ "bj hd", "B-J-H-D", "ＢＪＨＤ" -> "BJHD"."""
    letters = "".join(ch for ch in unicodedata.normalize("NFKC", text).upper() if ch not in " -_.'/")
    if not _INITIALS.fullmatch(letters):
        raise AddressError(f"city entry {text!r} is not pinyin initials (1-12 letters, e.g. BJHD)")
    return letters


def normalise_postcode(text: str) -> str:
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch not in " -")
    if not _POSTCODE.fullmatch(digits):
        raise AddressError(f"postcode {text!r} is not 6 digits")
    return digits


def find_divisions(directory: DivisionDirectory, entry: str, limit: int = 20) -> list[Division]:
    """The city field of the order form: digits are a postcode, letters are pinyin initials.
    Returns every candidate, best first; one candidate means the entry is unambiguous."""
    stripped = unicodedata.normalize("NFKC", entry).strip()
    if not stripped:
        raise AddressError("city entry is empty: type pinyin initials (BJHD) or a postcode (100080)")
    if any(ch.isdigit() for ch in stripped):
        return directory.by_postcode(normalise_postcode(stripped))[:limit]
    return directory.by_initials(normalise_initials(stripped), limit)


def region_of(regions: PhoneRegions, numbers: list[PhoneNumber] | tuple[PhoneNumber, ...]) -> Division | None:
    """The region of the first number that locates one (service numbers such as 400 never do)."""
    for number in numbers:
        if number.kind == SERVICE:
            continue
        division = regions.region_of(number)
        if division is not None:
            return division
    return None
